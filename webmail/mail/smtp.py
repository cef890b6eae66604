"""SMTP gateway: an authenticated connection to a submission server, and a login check.

Implicit TLS (RFC 8314, port 465), STARTTLS (RFC 3207, port 587) or, only when asked,
plain text (port 25). Every failure leaves as a MailError (see errors.py).
"""

import base64
import re
import smtplib
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
