"""What the SMTP and POP3 gateways share about a connection: turning socket, DNS and
TLS failures into MailErrors, socket options, closing, and a look at the certificate a
server presents. Pure Python, no Django."""

import contextlib
import socket
import ssl
from collections.abc import Callable, Iterator
from functools import cache
from typing import Protocol

from webmail.mail import tls
from webmail.mail.errors import ConnectError, MailError
from webmail.mail.net import classify_os_error


class Closable(Protocol):
    def close(self) -> None: ...


CertificateSource = Callable[[], str]


def no_certificate() -> str:
    return ""


def disable_nagle(sock: socket.socket | None) -> None:
    """Send each write at once: on a reused TLS connection Nagle's algorithm against the
    server's delayed ACK costs ~44 ms per message (STACK.md, measured with smtplib)."""
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def close_quietly(client: Closable) -> None:
    """Close a client whose connection may already be broken (or half TLS-wrapped)."""
    with contextlib.suppress(OSError):
        client.close()


@contextlib.contextmanager
def closed_on_error[ClosableT: Closable](client: ClosableT) -> Iterator[ClosableT]:
    try:
        yield client
    except BaseException:
        close_quietly(client)
        raise


@contextlib.contextmanager
def translated_errors(peer_certificate: CertificateSource = no_certificate) -> Iterator[None]:
    """Socket, DNS and TLS failures leave as ConnectError or TLSError. ``peer_certificate``
    is called only when verification failed, so a person can see (and pin) what the
    server presented."""
    try:
        yield
    except (OSError, UnicodeError) as error:
        translated = translate(error, peer_certificate)
        if translated is None:
            raise
        raise translated from error


def translate(
    error: BaseException, peer_certificate: CertificateSource = no_certificate
) -> MailError | None:
    """The MailError for a socket-level failure, or None when ``error`` is not one."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return tls.classify(error, _best_effort(peer_certificate))
    if isinstance(error, ssl.SSLError):
        return tls.classify(error)
    if isinstance(error, OSError):
        return classify_os_error(error)
    if isinstance(error, UnicodeError) and "idna" in str(error):
        # getaddrinfo() IDNA-encodes the host before any DNS query: a typo such as
        # "mail..example.org" fails there, as a UnicodeError rather than a gaierror.
        return ConnectError("not_found", str(error))
    return None


def _best_effort(peer_certificate: CertificateSource) -> str:
    # The certificate only helps a person decide whether to pin it: failing to fetch it
    # must never replace the verification error being reported.
    try:
        return peer_certificate()
    except Exception:
        return ""


@cache
def inspection_context() -> ssl.SSLContext:
    """Accepts any certificate. Only to read the one a server presents after verification
    failed; a connection made with it must never carry credentials."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def certificate_of(sock: socket.socket | None) -> str:
    """The PEM certificate the peer of a TLS socket presented, or ""."""
    if not isinstance(sock, ssl.SSLSocket):
        return ""
    der = sock.getpeercert(binary_form=True)
    return ssl.DER_cert_to_PEM_cert(der) if der else ""
