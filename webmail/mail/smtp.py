"""SMTP gateway: an authenticated connection to a submission server, and a login check.

Implicit TLS (RFC 8314, port 465), STARTTLS (RFC 3207, port 587) or, only when asked,
plain text (port 25). Every failure leaves as a MailError (see errors.py).
"""

import base64
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
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
from webmail.mail.net import resolve_within
from webmail.mail.types import Security, ServerSettings

# EHLO wants a fully qualified name (RFC 5321 §4.1.4); giving one also spares smtplib a
# getfqdn() lookup on every connection.
LOCAL_HOSTNAME = "courriel.localdomain"

# Both send the password as is, so only over TLS or with the person's consent to plain
# text. PLAIN first: one round trip with the initial response (RFC 4954 §4).
_MECHANISMS = ("PLAIN", "LOGIN")
_SIZE = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class SMTPInfo:
    """What a login check learnt. ``size_limit`` is None when the server states none."""

    size_limit: int | None
    auth_mechanisms: frozenset[str]
    security: Security


@contextmanager
def open_smtp(
    settings: ServerSettings, *, local_hostname: str = LOCAL_HOSTNAME
) -> Iterator[smtplib.SMTP]:
    """An smtplib client, connected, encrypted as ``settings.security`` says and logged
    in (when a user name is given), closed on leaving the block.

    Code inside the block catches the smtplib errors it wants to handle (refused
    recipients…); any other error leaving the block becomes a MailError.
    """
    with _translated_errors(settings, local_hostname):
        client = _open_authenticated(settings, local_hostname)
        try:
            yield client
        except BaseException:
            # The session may be in the middle of DATA, where a QUIT line would become
            # part of the message: hang up instead. Without its final "." line the
            # message was never accepted, so the server discards it.
            sockets.close_quietly(client)
            raise
        _quit(client)


def check_smtp_login(settings: ServerSettings, *, local_hostname: str = LOCAL_HOSTNAME) -> SMTPInfo:
    """Connect and log in as ``settings`` says, then say what the server offers."""
    with open_smtp(settings, local_hostname=local_hostname) as client:
        return SMTPInfo(
            size_limit=_size_limit(client),
            auth_mechanisms=_auth_mechanisms(client),
            security=settings.security,
        )


def _open_authenticated(settings: ServerSettings, local_hostname: str) -> smtplib.SMTP:
    client = _open_transport(settings, tls.client_context(settings), local_hostname)
    with sockets.closed_on_error(client):
        if settings.username:
            _authenticate(client, settings)
    return client


def _open_transport(
    settings: ServerSettings, context: ssl.SSLContext, local_hostname: str
) -> smtplib.SMTP:
    """Connected, greeted, encrypted as asked and EHLO'd; not yet logged in."""
    client = _connected_client(settings, context, local_hostname)
    with sockets.closed_on_error(client):
        # Only the greeting was read so far: nothing we write waits for Nagle.
        sockets.disable_nagle(client.sock)
        client.ehlo_or_helo_if_needed()
        if settings.security is Security.STARTTLS:
            _start_tls(client, context)
    return client


def _connected_client(
    settings: ServerSettings, context: ssl.SSLContext, local_hostname: str
) -> smtplib.SMTP:
    # The host must go to the constructor, which connects and reads the greeting:
    # smtplib takes the TLS server name (SNI, certificate check) from there only. Debug
    # output stays off (level 0): it would print the AUTH lines.
    resolve_within(settings.host, settings.port, settings.timeout)
    if settings.security is Security.TLS:
        return smtplib.SMTP_SSL(
            settings.host,
            settings.port,
            local_hostname=local_hostname,
            timeout=settings.timeout,
            context=context,
        )
    return smtplib.SMTP(
        settings.host, settings.port, local_hostname=local_hostname, timeout=settings.timeout
    )


def _start_tls(client: smtplib.SMTP, context: ssl.SSLContext) -> None:
    # Never fall back to plain text when STARTTLS is missing: that is exactly what a
    # man in the middle stripping it from EHLO wants (RFC 3207 §6).
    if not client.has_extn("starttls"):
        raise TLSError("starttls_unavailable", "the server does not offer STARTTLS")
    client.starttls(context=context)
    # RFC 3207 §4.2: forget what the server said before TLS, ask again.
    client.ehlo_or_helo_if_needed()


def _authenticate(client: smtplib.SMTP, settings: ServerSettings) -> None:
    offered = _auth_mechanisms(client)
    mechanism = next((name for name in _MECHANISMS if name in offered), None)
    if mechanism is None:
        detail = f"offered: {' '.join(sorted(offered))}" if offered else "no AUTH offered"
        raise AuthError("mechanism_unavailable", detail)
    if mechanism == "PLAIN":
        code, reply = _auth_plain(client, settings.username, settings.password)
    else:
        code, reply = _auth_login(client, settings.username, settings.password)
    if code != 235:
        raise _auth_error(code, _text(reply))


# Not smtplib's login(): it encodes credentials as ASCII, so a password such as
# "mot-de-passe-été" cannot be sent (SASL PLAIN is UTF-8, RFC 4616 §2), and it tries
# every offered mechanism in turn, so one wrong password counts as two failed logins
# towards the server's lockout.
def _auth_plain(client: smtplib.SMTP, username: str, password: str) -> tuple[int, bytes]:
    return client.docmd("AUTH", "PLAIN " + _base64(f"\0{username}\0{password}"))


def _auth_login(client: smtplib.SMTP, username: str, password: str) -> tuple[int, bytes]:
    code, reply = client.docmd("AUTH", "LOGIN")
    for answer in (username, password):
        if code != 334:
            break
        code, reply = client.docmd(_base64(answer))
    return code, reply


def _auth_error(code: int, text: str) -> MailError:
    if code == 535:
        return AuthError("bad_credentials", f"{code} {text}")
    if code in (534, 538):
        # RFC 4954 §6: mechanism too weak; encryption required for this mechanism.
        return AuthError("mechanism_unavailable", f"{code} {text}")
    return _reply_error(code, text)


def _reply_error(code: int, text: str) -> MailError:
    if 400 <= code < 500:
        return TemporaryError("temporary", f"{code} {text}")
    return ProtocolError("protocol", f"{code} {text}")


def _quit(client: smtplib.SMTP) -> None:
    # Whatever the block did is already accepted or refused: a QUIT that fails changes
    # nothing worth reporting.
    try:
        client.quit()
    except OSError:
        sockets.close_quietly(client)


@contextmanager
def _translated_errors(settings: ServerSettings, local_hostname: str) -> Iterator[None]:
    with sockets.translated_errors(lambda: _peer_certificate(settings, local_hostname)):
        try:
            yield
        # smtplib's errors are OSErrors too: they must be caught before sockets' turn.
        except smtplib.SMTPServerDisconnected as error:
            raise _disconnected(error) from error
        except smtplib.SMTPResponseException as error:
            raise _reply_error(error.smtp_code, _text(error.smtp_error)) from error
        except smtplib.SMTPException as error:
            raise ProtocolError("protocol", str(error)) from error


def _disconnected(error: smtplib.SMTPServerDisconnected) -> MailError:
    # smtplib turns a failed read (a timeout, a reset) into SMTPServerDisconnected; the
    # real cause stays in __context__.
    cause = error.__context__
    translated = sockets.translate(cause) if cause is not None else None
    return translated or ConnectError("unreachable", "the server closed the connection")


def _peer_certificate(settings: ServerSettings, local_hostname: str) -> str:
    client = _open_transport(settings, sockets.inspection_context(), local_hostname)
    try:
        return sockets.certificate_of(client.sock)
    finally:
        sockets.close_quietly(client)


def _size_limit(client: smtplib.SMTP) -> int | None:
    value = client.esmtp_features.get("size", "").strip()
    # RFC 1870 §4: a bare SIZE says nothing about the limit, and SIZE 0 means none.
    if not _SIZE.fullmatch(value) or int(value) == 0:
        return None
    return int(value)


def _auth_mechanisms(client: smtplib.SMTP) -> frozenset[str]:
    return frozenset(client.esmtp_features.get("auth", "").upper().split())


def _base64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


# -- sending ----------------------------------------------------------------------------------

_CLOSING = 421  # RFC 5321 section 3.8: the server is shutting the channel
_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)


@dataclass(frozen=True)
class Reply:
    """One SMTP reply: its code and the server's own words."""

    code: int
    text: str

    @property
    def positive(self) -> bool:
        return 200 <= self.code < 400

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500

    def __str__(self) -> str:
        return f"{self.code} {self.text}".strip()


@dataclass(frozen=True)
class RecipientResult:
    """The server's answer to RCPT TO for one address."""

    address: str
    reply: Reply

    @property
    def accepted(self) -> bool:
        return 200 <= self.reply.code < 300


@dataclass(frozen=True)
class SendResult:
    """How one SMTP transaction ended.

    ``refused_at`` is None when the server accepted the message (its reply to the
    final "." in ``reply``) for every recipient whose result is accepted; else it
    names the step that refused the whole message: "mail" (the sender), "rcpt"
    (no recipient accepted), "data" (the DATA command) or "dot" (the message
    itself), with that reply. ``session_closed`` is True when the server said 421:
    the connection is gone and the next message needs a new one."""

    recipients: tuple[RecipientResult, ...]
    refused_at: str | None
    reply: Reply | None
    session_closed: bool = False

    @property
    def delivered(self) -> bool:
        return self.refused_at is None


class DeliveryAbandoned(Exception):
    """``before_final_dot`` said no: the message must not be completed. Leaving
    ``open_smtp`` with it hangs up, so the server discards the unfinished DATA."""


def send_message(
    client: smtplib.SMTP,
    envelope_from: str,
    recipients: Sequence[str],
    raw: bytes,
    *,
    before_final_dot: Callable[[tuple[RecipientResult, ...]], bool] | None = None,
) -> SendResult:
    """One transaction on an ``open_smtp`` connection: MAIL FROM, one RCPT TO per
    recipient (each answer kept), then DATA for the accepted ones.

    ``before_final_dot`` runs once the whole message but its final "." has been
    written: it sees the RCPT results and returns False to abandon (then
    DeliveryAbandoned is raised). A failure after it returned True may have come
    after the server accepted the message: callers that must never send twice
    record, in that callback, that the "." is about to go.

    Refusals come back in the SendResult (the connection stays usable, except after
    a 421); a lost connection or a timeout raises ConnectError, as does every other
    network failure."""
    with _session_errors():
        mail = _reply(client.mail(envelope_from, _mail_options(client, raw)))
        if not 200 <= mail.code < 300:
            return _refused(client, "mail", mail, ())
        results: tuple[RecipientResult, ...] = ()
        for address in recipients:
            results += (RecipientResult(address, _reply(client.rcpt(address))),)
            if results[-1].reply.code == _CLOSING:
                return _refused(client, "rcpt", results[-1].reply, results)
        if not any(result.accepted for result in results):
            return _refused(client, "rcpt", None, results)
        client.putcmd("data")
        data = _reply(client.getreply())
        if data.code != 354:
            return _refused(client, "data", data, results)
        client.send(_dot_stuffed(raw))
        if before_final_dot is not None and not before_final_dot(results):
            raise DeliveryAbandoned
        client.send(b".\r\n")
        final = _reply(client.getreply())
        if not 200 <= final.code < 300:
            return _refused(client, "dot", final, results, reset=False)
        return SendResult(results, None, final)


def _reply(answer: tuple[int, bytes]) -> Reply:
    code, text = answer
    return Reply(code, _text(text).replace("\n", " "))


def _mail_options(client: smtplib.SMTP, raw: bytes) -> list[str]:
    options = []
    if "size" in client.esmtp_features:
        options.append(f"SIZE={len(raw)}")  # RFC 1870: refused early when too large
    if not raw.isascii() and client.has_extn("8bitmime"):
        options.append("BODY=8BITMIME")
    return options


def _refused(
    client: smtplib.SMTP,
    step: str,
    reply: Reply | None,
    results: tuple[RecipientResult, ...],
    *,
    reset: bool = True,
) -> SendResult:
    closing = reply is not None and reply.code == _CLOSING
    if closing:
        sockets.close_quietly(client)
    elif reset:
        # Forget the refused transaction before the next one (RFC 5321 section 4.1.1.5).
        client.rset()
    return SendResult(results, step, reply, session_closed=closing)


def _dot_stuffed(raw: bytes) -> bytes:
    """The DATA block without its final ".": CRLF line ends everywhere (a bare LF
    followed by "." is how SMTP smuggling hides a second message), each line
    starting with "." doubled (RFC 5321 section 4.5.2), ending with CRLF."""
    crlf = raw.count(b"\r\n")
    if raw.count(b"\r") != crlf or raw.count(b"\n") != crlf:  # counting is cheaper than a regex
        raw = _LINE_END.sub(b"\r\n", raw)
    if raw.startswith(b".") or b"\n." in raw:
        raw = _LEADING_DOT.sub(b"..", raw)
    return raw if raw.endswith(b"\r\n") else raw + b"\r\n"


@contextmanager
def _session_errors() -> Iterator[None]:
    try:
        yield
    except smtplib.SMTPServerDisconnected as error:
        raise _disconnected(error) from error
    except smtplib.SMTPResponseException as error:
        raise _reply_error(error.smtp_code, _text(error.smtp_error)) from error
    except smtplib.SMTPException as error:
        raise ProtocolError("protocol", str(error)) from error
    except (OSError, UnicodeError) as error:
        translated = sockets.translate(error)
        if translated is None:
            raise
        raise translated from error
