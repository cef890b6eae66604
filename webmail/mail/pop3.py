"""POP3 gateway: an authenticated connection to a maildrop, and a login check.

Implicit TLS (RFC 8314, port 995), STLS (RFC 2595, port 110) or, only when asked, plain
text. USER/PASS login (RFC 1939 §7); capabilities and response codes from RFC 2449 and
RFC 3206. Every failure leaves as a MailError (see errors.py).
"""

import poplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from webmail.mail import sockets, tls
from webmail.mail.errors import (
    AuthError,
    ConnectError,
    MailError,
    ProtocolError,
    TemporaryError,
    TLSError,
)
from webmail.mail.types import Security, ServerSettings

# RFC 2449 §8.1 (IN-USE, LOGIN-DELAY) and RFC 3206 §4 (SYS/TEMP): try again later.
_TEMPORARY_CODES = frozenset({"IN-USE", "LOGIN-DELAY", "SYS/TEMP"})
_RESPONSE_CODE = re.compile(r"-ERR\s+\[([^\]\s]+)\]", re.IGNORECASE)
# poplib's own message when the server closed the connection (server lines are bytes).
_POPLIB_EOF = "-ERR EOF"


@dataclass(frozen=True)
class POP3Info:
    """What a login check learnt. Capabilities are the CAPA names (RFC 2449) announced
    after login, upper case; empty for servers without CAPA."""

    capabilities: frozenset[str]
    has_uidl: bool
    has_pipelining: bool
    message_count: int


@contextmanager
def open_pop3(settings: ServerSettings) -> Iterator[poplib.POP3]:
    """A poplib client, connected, encrypted as ``settings.security`` says and logged in.

    Leaving the block normally sends QUIT, which commits any DELE. Leaving it with an
    exception hangs up without QUIT: the session never reaches the UPDATE state, so no
    message is removed (RFC 1939 §6) — a message is deleted only if everything done
    with it in the block succeeded. Any error leaving the block becomes a MailError.
    """
    _refuse_line_breaks(settings)
    with _translated_errors(settings):
        client = _open_authenticated(settings)
        try:
            yield client
        except BaseException:
            sockets.close_quietly(client)
            raise
        _quit(client)


def check_pop3_login(settings: ServerSettings) -> POP3Info:
    """Connect and log in as ``settings`` says, then say what the maildrop offers."""
    with open_pop3(settings) as client:
        # Asked after login: RFC 2449 §5 lets capabilities depend on the user.
        capabilities = _capabilities(client)
        message_count, _size = client.stat()
    return POP3Info(
        capabilities=capabilities,
        has_uidl="UIDL" in capabilities,
        has_pipelining="PIPELINING" in capabilities,
        message_count=message_count,
    )


def classify_response(response: bytes | str, *, to_login: bool = False) -> MailError:
    """The MailError for a server's -ERR line, read by its response code. ``to_login``:
    the line answered USER or PASS, where no code (RFC 1939 servers) or [AUTH] means
    the credentials were refused."""
    text = _text(response)
    code = _response_code(text)
    if code in _TEMPORARY_CODES:
        return TemporaryError("temporary", text)
    if to_login and code.partition("/")[0] in {"", "AUTH"}:
        return AuthError("bad_credentials", text)
    return ProtocolError("protocol", text)


def _refuse_line_breaks(settings: ServerSettings) -> None:
    # poplib writes USER and PASS lines as given: a CR or LF would end the line early
    # and send the rest as a command of its own.
    for value in (settings.username, settings.password):
        if "\r" in value or "\n" in value:
            raise AuthError("bad_credentials", "the user name or password has a line break")


def _open_authenticated(settings: ServerSettings) -> poplib.POP3:
    client = _open_transport(settings, tls.client_context(settings))
    with sockets.closed_on_error(client):
        _login(client, settings)
    return client


def _open_transport(settings: ServerSettings, context: ssl.SSLContext) -> poplib.POP3:
    """Connected, greeted and encrypted as asked; not yet logged in."""
    client: poplib.POP3
    if settings.security is Security.TLS:
        client = _POP3SSL(settings.host, settings.port, settings.timeout, context)
    else:
        client = _POP3(settings.host, settings.port, settings.timeout)
    with sockets.closed_on_error(client):
        sockets.disable_nagle(client.sock)
        if settings.security is Security.STARTTLS:
            _start_tls(client, context)
    return client


def _start_tls(client: poplib.POP3, context: ssl.SSLContext) -> None:
    try:
        client.stls(context)
    except poplib.error_proto as error:
        if _is_eof(error):
            raise
        # CAPA without STLS, no CAPA at all, or STLS refused: no encryption either way,
        # and falling back to plain text is what a man in the middle wants (RFC 2595,
        # Security Considerations).
        raise TLSError("starttls_unavailable", _text(_reply_of(error))) from error


def _login(client: poplib.POP3, settings: ServerSettings) -> None:
    try:
        client.user(settings.username)
        client.pass_(settings.password)
    except poplib.error_proto as error:
        if _is_eof(error):
            raise
        raise _login_failure(client, _reply_of(error)) from error


def _login_failure(client: poplib.POP3, response: bytes | str) -> MailError:
    failure = classify_response(response, to_login=True)
    if isinstance(failure, AuthError) and not _accepts_user_pass(client):
        # The password may well be right: the server does not take USER/PASS here
        # (Dovecot without TLS, for one, drops USER from CAPA).
        return AuthError("mechanism_unavailable", failure.detail)
    return failure


def _accepts_user_pass(client: poplib.POP3) -> bool:
    # Asked only after a refusal, to spare every login a round trip. CAPA is valid in
    # the AUTHORIZATION state (RFC 2449 §5); the USER capability offers USER/PASS (§6.2).
    try:
        capabilities = _capabilities(client)
    except (OSError, poplib.error_proto):
        return True
    return not capabilities or "USER" in capabilities


def _capabilities(client: poplib.POP3) -> frozenset[str]:
    try:
        return frozenset(name.upper() for name in client.capa())
    except poplib.error_proto as error:
        if _is_eof(error):
            raise
        # RFC 1939 servers answer -ERR to CAPA, which RFC 2449 added.
        return frozenset()


def _quit(client: poplib.POP3) -> None:
    # A -ERR to QUIT says some deletions were not committed (RFC 1939 §6): it must
    # reach the caller, so it is not swallowed here.
    try:
        client.quit()
    finally:
        sockets.close_quietly(client)


@contextmanager
def _translated_errors(settings: ServerSettings) -> Iterator[None]:
    with sockets.translated_errors(lambda: _peer_certificate(settings)):
        try:
            yield
        except poplib.error_proto as error:
            if _is_eof(error):
                raise ConnectError("unreachable", "the server closed the connection") from error
            raise classify_response(_reply_of(error)) from error


def _peer_certificate(settings: ServerSettings) -> str:
    client = _open_transport(settings, sockets.inspection_context())
    try:
        return sockets.certificate_of(client.sock)
    finally:
        sockets.close_quietly(client)


class _POP3(poplib.POP3):
    def __init__(self, host: str, port: int, timeout: float) -> None:
        try:
            super().__init__(host, port, timeout)
        except BaseException:
            _close_half_open(self)
            raise


class _POP3SSL(poplib.POP3_SSL):
    def __init__(self, host: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        try:
            super().__init__(host, port, timeout=timeout, context=context)
        except BaseException:
            _close_half_open(self)
            raise


def _close_half_open(client: poplib.POP3) -> None:
    # poplib connects and reads the greeting inside its constructor; when the greeting
    # fails (timeout, -ERR) it leaves the socket to the garbage collector. It sets sock,
    # then file, then reads: close whichever it got to.
    for name in ("file", "sock"):
        resource = getattr(client, name, None)
        if resource is not None:
            resource.close()


def _response_code(text: str) -> str:
    match = _RESPONSE_CODE.match(text)
    return match.group(1).upper() if match else ""


def _reply_of(error: poplib.error_proto) -> bytes | str:
    return error.args[0] if error.args else ""


def _is_eof(error: poplib.error_proto) -> bool:
    return _reply_of(error) == _POPLIB_EOF


def _text(response: bytes | str) -> str:
    return response.decode("utf-8", "replace") if isinstance(response, bytes) else response
