"""IMAP failures as the gateway's few typed errors.

imaplib and imapclient raise ``IMAP4.error`` for NO/BAD, ``IMAP4.abort`` when
the connection is gone or the server said BYE, and socket or ssl errors from
below. The server's response code (RFC 5530), when it gives one, decides.
"""

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator

from webmail.mail.errors import (
    AuthError,
    MailError,
    ProtocolError,
    TemporaryError,
)
from webmail.mail.net import classify_os_error

_RESPONSE_CODE = re.compile(r"\[([A-Z][A-Z0-9-]*)")

# RFC 5530 codes that mean "try again later".
_TEMPORARY_CODES = {"UNAVAILABLE": "unavailable", "INUSE": "in_use", "LIMIT": "limit"}
_AUTH_CODES = {
    "AUTHENTICATIONFAILED": "bad_credentials",
    "AUTHORIZATIONFAILED": "bad_credentials",
    "EXPIRED": "bad_credentials",
    "PRIVACYREQUIRED": "mechanism_unavailable",
}
_PROTOCOL_CODES = {
    "NONEXISTENT": "nonexistent",
    "TRYCREATE": "nonexistent",
    "ALREADYEXISTS": "already_exists",
    "OVERQUOTA": "over_quota",
    "NOPERM": "no_permission",
    "CANNOT": "cannot",
    "READ-ONLY": "read_only",
    "CLIENTBUG": "protocol",
    "SERVERBUG": "server_bug",
}


def response_code(text: str) -> str | None:
    """The first bracketed response code of a server's text (["OVERQUOTA"] …)."""
    match = _RESPONSE_CODE.search(text)
    return match.group(1) if match else None


def from_server_text(text: str) -> MailError:
    """The error for a NO (or BAD) answer, from its response code."""
    code = response_code(text)
    if code in _TEMPORARY_CODES:
        return TemporaryError(_TEMPORARY_CODES[code], text)
    if code in _AUTH_CODES:
        return AuthError(_AUTH_CODES[code], text)
    return ProtocolError(_PROTOCOL_CODES.get(code or "", "protocol"), text)


def from_login_failure(text: str) -> MailError:
    """A refused LOGIN/AUTHENTICATE: wrong credentials unless the server says
    it is busy or wants a safer mechanism."""
    error = from_server_text(text)
    if isinstance(error, TemporaryError | AuthError):
        return error
    return AuthError("bad_credentials", text)


def translate(error: BaseException) -> MailError | None:
    """The MailError for a failure during a session, or None if not ours to map."""
    if isinstance(error, MailError):
        return error
    if isinstance(error, imaplib.IMAP4.readonly):
        return ProtocolError("read_only", str(error))
    if isinstance(error, imaplib.IMAP4.abort):
        return _from_abort(str(error))
    if isinstance(error, imaplib.IMAP4.error):
        return from_server_text(str(error))
    if isinstance(error, ssl.SSLError):
        # Mid-session (the handshake has its own mapping in open_imap).
        return TemporaryError("connection_lost", str(error))
    if isinstance(error, OSError):
        return _from_os_error(error)
    return None


def _from_abort(text: str) -> MailError:
    if "unexpected" in text:  # imaplib could not make sense of a line
        return ProtocolError("protocol", text)
    # "socket error: EOF", or the text of the server's BYE (shutdown, kicked).
    return TemporaryError("connection_lost", text)


def _from_os_error(error: OSError) -> MailError:
    if isinstance(error, ConnectionResetError | BrokenPipeError | ConnectionAbortedError):
        return TemporaryError("connection_lost", str(error))
    return classify_os_error(error)


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """Run a session operation; whatever fails leaves as a MailError."""
    try:
        yield
    except (imaplib.IMAP4.error, OSError) as error:
        translated_error = translate(error)
        if translated_error is None:
            raise
        raise translated_error from error
