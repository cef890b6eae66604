"""The few errors a gateway raises. Each carries a stable ``code`` the UI turns
into a sentence for a person, and the server's own words in ``detail``."""


class MailError(Exception):
    code = "error"

    def __init__(self, code: str | None = None, detail: str = ""):
        self.code = code or self.code
        self.detail = detail
        super().__init__(f"{self.code}: {detail}" if detail else self.code)


class ConnectError(MailError):
    """The server could not be reached: not_found, refused, timeout, unreachable."""

    code = "unreachable"


class TLSError(MailError):
    """certificate_expired, certificate_wrong_host, certificate_untrusted,
    starttls_unavailable, handshake. ``certificate`` holds the server's
    certificate (PEM) when one was seen, so a person can choose to pin it."""

    code = "handshake"

    def __init__(self, code: str | None = None, detail: str = "", certificate: str = ""):
        super().__init__(code, detail)
        self.certificate = certificate


class AuthError(MailError):
    """bad_credentials, or mechanism_unavailable (e.g. plain login refused)."""

    code = "bad_credentials"


class TemporaryError(MailError):
    """The server is busy or asks to come back later (IN-USE, LOGIN-DELAY, 4xx)."""

    code = "temporary"


class ProtocolError(MailError):
    """The server answered something we did not expect."""

    code = "protocol"
