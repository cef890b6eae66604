"""Opening an IMAP connection: TLS, STARTTLS or plain, then LOGIN or
AUTHENTICATE PLAIN, every failure named for a person (see ``errors``)."""

import functools
import imaplib
import ssl
from contextlib import suppress

from imapclient import IMAPClient

from webmail.mail import tls
from webmail.mail.errors import (
    AuthError,
    ConnectError,
    MailError,
    ProtocolError,
    TemporaryError,
    TLSError,
)
from webmail.mail.imap_arguments import quoted
from webmail.mail.imap_errors import from_login_failure
from webmail.mail.net import classify_os_error, resolve_within
from webmail.mail.types import Security, ServerSettings


def connect(settings: ServerSettings) -> IMAPClient:
    """A connected, not yet authenticated client: TLS from the first byte,
    upgraded with STARTTLS (refused if not offered), or plain, as asked."""
    resolve_within(settings.host, settings.port, settings.timeout)
    try:
        if settings.security is Security.TLS:
            return _client(settings, tls.client_context(settings))
        client = _client(settings, None)
    except ssl.SSLCertVerificationError as error:
        raise tls.classify(error, _presented_certificate(settings)) from error
    except (OSError, UnicodeError, imaplib.IMAP4.error) as error:
        raise _connect_failure(error) from error
    if settings.security is Security.STARTTLS:
        try:
            _start_tls(client, settings)
        except BaseException:
            drop(client)
            raise
    return client


def _client(settings: ServerSettings, context: ssl.SSLContext | None) -> IMAPClient:
    # One timeout bounds the TCP connect, the TLS handshake and every later read.
    client = IMAPClient(
        settings.host,
        port=settings.port,
        ssl=context is not None,
        ssl_context=context,
        timeout=settings.timeout,
    )
    # imapclient turns imaplib's debugging on to feed its logger: every line read
    # is formatted and logged, making a bulk FETCH's receive ~1.5x slower.
    client._imap.debug = 0
    return client


def _start_tls(client: IMAPClient, settings: ServerSettings) -> None:
    # The pre-TLS CAPABILITY is unauthenticated, but a missing STARTTLS is the
    # downgrade we refuse, so trusting it costs nothing (RFC 9051 section 11.1).
    if b"STARTTLS" not in client.capabilities():
        raise TLSError("starttls_unavailable", "the server does not offer STARTTLS")
    try:
        client.starttls(tls.client_context(settings))
    except ssl.SSLCertVerificationError as error:
        raise tls.classify(error, _presented_certificate(settings)) from error
    except (OSError, imaplib.IMAP4.error) as error:
        raise _connect_failure(error) from error


def _connect_failure(error: Exception) -> MailError:
    if isinstance(error, ssl.SSLError):
        return tls.classify(error)
    if isinstance(error, OSError):
        return classify_os_error(error)
    if isinstance(error, UnicodeError):
        # The host is IDNA-encoded before any DNS query: "mail..example" fails there.
        return ConnectError("not_found", str(error))
    if isinstance(error, imaplib.IMAP4.abort):
        return ConnectError("unreachable", f"the server closed the connection: {error}")
    # A BYE greeting: too many connections, maintenance (RFC 9051 section 7.1.5).
    if "BYE" in str(error):
        return TemporaryError("unavailable", str(error))
    return ProtocolError("protocol", f"not an IMAP server? {error}")


def _presented_certificate(settings: ServerSettings) -> str:
    """The certificate a server presents, read over a second, unverified
    connection that sends no credentials: only for a person deciding to pin it."""
    try:
        if settings.security is Security.TLS:
            return tls.fetch_certificate(settings)
        probe = IMAPClient(settings.host, port=settings.port, ssl=False, timeout=settings.timeout)
        try:
            probe.starttls(_unverified_context())
            der = probe.socket().getpeercert(binary_form=True)
        finally:
            drop(probe)
        return ssl.DER_cert_to_PEM_cert(der) if der else ""
    except (MailError, OSError, imaplib.IMAP4.error, ValueError):
        return ""


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def check_credentials(settings: ServerSettings) -> None:
    """Refuse, before connecting, credentials that could end a command early
    and start another (IMAP injection)."""
    for value in (settings.username, settings.password):
        if any(character in value for character in "\r\n\0"):
            raise AuthError("bad_credentials", "a line break or NUL in the user name or password")


def log_in(client: IMAPClient, settings: ServerSettings) -> frozenset[str]:
    """LOGIN, or AUTHENTICATE PLAIN where LOGIN cannot be used; return the
    capabilities of the authenticated state (they change at login)."""
    before = {item.decode().upper() for item in client.capabilities()}
    non_ascii = not (settings.username + settings.password).isascii()
    try:
        if "LOGINDISABLED" in before or non_ascii:
            # LOGIN's quoted strings are 7-bit; SASL PLAIN carries UTF-8 (RFC 4616).
            if "AUTH=PLAIN" not in before:
                raise AuthError("mechanism_unavailable", "LOGIN refused and no AUTH=PLAIN")
            client.plain_login(settings.username, settings.password)
        else:
            # imaplib sends LOGIN's user name as given: quote it ourselves.
            client.login(quoted(settings.username), settings.password)
        after = client.capabilities()
    except imaplib.IMAP4.abort as error:
        raise TemporaryError("connection_lost", str(error)) from error
    except imaplib.IMAP4.error as error:
        raise from_login_failure(str(error)) from error
    except OSError as error:
        raise classify_os_error(error) from error
    return frozenset(item.decode("ascii", "replace").upper() for item in after)


def drop(client: IMAPClient) -> None:
    """Close the connection without a word: it may be broken already."""
    with suppress(OSError, imaplib.IMAP4.error, AttributeError):
        client.shutdown()
