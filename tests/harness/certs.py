"""Throw-away PKI for tests: a CA, a good server certificate and three broken ones."""

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_HOSTNAME = "localhost"
SERVER_IP = "127.0.0.1"
WRONG_HOSTNAME = "wrong.example"

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class CertificateSet:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    wrong_host_cert: Path
    wrong_host_key: Path
    expired_cert: Path
    expired_key: Path
    self_signed_cert: Path
    self_signed_key: Path

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_cert))


@dataclass(frozen=True)
class _Issuer:
    name: x509.Name
    key: ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class _Validity:
    not_before: datetime.datetime
    not_after: datetime.datetime


def generate_certificates(directory: Path) -> CertificateSet:
    """Write all PEM files into `directory` (created if needed) and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    valid = _Validity(now - _ONE_DAY, now + 30 * _ONE_DAY)
    expired = _Validity(now - 30 * _ONE_DAY, now - _ONE_DAY)

    ca = _Issuer(_name("Courriel Test CA"), _new_key())
    _write_cert(directory / "ca.pem", _ca_certificate(ca, valid))

    server = _write_leaf(directory, "server", SERVER_HOSTNAME, ca, valid)
    wrong_host = _write_leaf(directory, "wrong-host", WRONG_HOSTNAME, ca, valid)
    expired_pair = _write_leaf(directory, "expired", SERVER_HOSTNAME, ca, expired)
    self_signed = _write_leaf(directory, "self-signed", SERVER_HOSTNAME, None, valid)
    return CertificateSet(
        ca_cert=directory / "ca.pem",
        server_cert=server[0],
        server_key=server[1],
        wrong_host_cert=wrong_host[0],
        wrong_host_key=wrong_host[1],
        expired_cert=expired_pair[0],
        expired_key=expired_pair[1],
        self_signed_cert=self_signed[0],
        self_signed_key=self_signed[1],
    )


def _write_leaf(
    directory: Path, stem: str, hostname: str, issuer: _Issuer | None, validity: _Validity
) -> tuple[Path, Path]:
    """Write `<stem>.pem` and `<stem>.key`; `issuer=None` makes the certificate self-signed."""
    key = _new_key()
    issuer = issuer or _Issuer(_name(hostname), key)
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    _write_cert(cert_path, _leaf_certificate(key, hostname, issuer, validity))
    _write_key(key_path, key)
    return cert_path, key_path


def _ca_certificate(ca: _Issuer, validity: _Validity) -> x509.Certificate:
    public_key = ca.key.public_key()
    return (
        _builder(ca.name, ca.name, public_key, validity)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .sign(ca.key, hashes.SHA256())
    )


def _leaf_certificate(
    key: ec.EllipticCurvePrivateKey, hostname: str, issuer: _Issuer, validity: _Validity
) -> x509.Certificate:
    # Python 3.13 enables VERIFY_X509_STRICT by default, which insists on these extensions.
    return (
        _builder(_name(hostname), issuer.name, key.public_key(), validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_subject_alt_name(hostname), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
        .sign(issuer.key, hashes.SHA256())
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key, validity: _Validity
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity.not_before)
        .not_valid_after(validity.not_after)
    )


def _subject_alt_name(hostname: str) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(hostname)]
    if hostname == SERVER_HOSTNAME:
        names.append(x509.IPAddress(ipaddress.ip_address(SERVER_IP)))
    return x509.SubjectAlternativeName(names)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
