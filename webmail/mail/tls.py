"""TLS contexts and the translation of ssl failures into TLSError codes."""

import hashlib
import socket
import ssl
from functools import lru_cache

from webmail.mail.errors import ConnectError, TLSError
from webmail.mail.types import Security, ServerSettings


@lru_cache(maxsize=64)
def _context(ca_file: str, pinned_certificate: str) -> ssl.SSLContext:
    # A new default context costs ~40 ms of CPU: build each kind once per process.
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    if pinned_certificate:
        # Trust exactly this certificate, whatever its issuer or name (Thunderbird's
        # "exception"). PARTIAL_CHAIN lets a non-self-signed leaf be the anchor.
        context = ssl.create_default_context(cadata=pinned_certificate)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.check_hostname = False
        context.verify_flags = ssl.VERIFY_X509_PARTIAL_CHAIN
    return context


def client_context(settings: ServerSettings) -> ssl.SSLContext:
    return _context(settings.ca_file, settings.pinned_certificate)


def web_context(ca_file: str = "") -> ssl.SSLContext:
    """The system's trust store, plus ``ca_file`` (an organisation's own CA), for
    HTTPS requests the server makes on a person's behalf."""
    return _context(ca_file, "")


def fingerprint(certificate_pem: str) -> str:
    """SHA-256 of a certificate, as browsers show it (AB:CD:…)."""
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(certificate_pem)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def classify(error: ssl.SSLError, certificate: str = "") -> TLSError:
    if isinstance(error, ssl.SSLCertVerificationError):
        message = (error.verify_message or str(error)).lower()
        if "expired" in message or "not yet valid" in message:
            return TLSError("certificate_expired", error.verify_message, certificate)
        if "hostname" in message or "ip address mismatch" in message:
            return TLSError("certificate_wrong_host", error.verify_message, certificate)
        return TLSError("certificate_untrusted", error.verify_message or str(error), certificate)
    return TLSError("handshake", str(error), certificate)


def fetch_certificate(settings: ServerSettings) -> str:
    """The certificate a server presents on implicit TLS, unverified: only to show
    it to a person deciding whether to pin it. STARTTLS servers go through their
    protocol's gateway instead."""
    if settings.security is not Security.TLS:
        raise ValueError("fetch_certificate speaks implicit TLS only")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        raw = socket.create_connection((settings.host, settings.port), settings.timeout)
        with context.wrap_socket(raw, server_hostname=settings.host) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as error:
        raise ConnectError("unreachable", str(error)) from error
    return ssl.DER_cert_to_PEM_cert(der)
