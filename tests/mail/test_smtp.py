"""The SMTP gateway's connection layer, against real aiosmtpd servers (tests/harness/smtp.py)."""

import base64
import dataclasses
import socket
import ssl
import time
import traceback
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.harness.certs import SERVER_HOSTNAME
from tests.harness.ports import LOOPBACK, free_port
from tests.harness.smtp import SMTPServer
from webmail.mail.errors import AuthError, ConnectError, ProtocolError, TemporaryError, TLSError
from webmail.mail.smtp import LOCAL_HOSTNAME, check_smtp_login, open_smtp
from webmail.mail.types import Security, ServerSettings

USER = "alice@courriel.test"
PASSWORD = "correct horse battery staple 42"
WRONG_PASSWORD = "Wrong-but-still-secret-7f3a"
NON_ASCII_USER = "zoe@courriel.test"
NON_ASCII_PASSWORD = "mot-de-passe-été-ñ"
FROM = USER
TO = "bob@example.test"
RAW_MESSAGE = f"From: {FROM}\r\nTo: {TO}\r\nSubject: Hi\r\n\r\nHello Bob.\r\n".encode()
BAD_CERTIFICATES = [
    ("wrong_host", "certificate_wrong_host"),
    ("expired", "certificate_expired"),
    ("self_signed", "certificate_untrusted"),
]
ENCRYPTED = [Security.TLS, Security.STARTTLS]


def port_of(server: SMTPServer, security: Security) -> int:
    return {
        Security.TLS: server.smtps_port,
        Security.STARTTLS: server.submission_port,
        Security.PLAIN: server.plain_port,
    }[security]


def settings_for(server: SMTPServer, security: Security, certs, **changes) -> ServerSettings:
    settings = ServerSettings(
        host=SERVER_HOSTNAME,
        port=port_of(server, security),
        security=security,
        username=USER,
        password=PASSWORD,
        ca_file=str(certs.ca_cert),
        timeout=5.0,
    )
    return dataclasses.replace(settings, **changes)


def same_certificate(pem: str, path: Path) -> bool:
    return bool(pem) and ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(path.read_text())


@pytest.fixture
def server(smtp):
    smtp.add_user(USER, PASSWORD)
    return smtp


@pytest.fixture(scope="module")
def smtp_presenting(certs):
    """Start (once per module) an SMTP server presenting one of the broken certificates."""
    servers: dict[str, SMTPServer] = {}

    def presenting(kind: str) -> SMTPServer:
        if kind not in servers:
            cert, key = getattr(certs, f"{kind}_cert"), getattr(certs, f"{kind}_key")
            servers[kind] = SMTPServer(cert, key).start()
            servers[kind].add_user(USER, PASSWORD)
        return servers[kind]

    yield presenting
    for started in servers.values():
        started.stop()


def accept_alice(server, session, envelope, mechanism, auth_data) -> AuthResult:
    if isinstance(auth_data, LoginPassword):
        valid = (auth_data.login, auth_data.password) == (
            USER.encode(),
            NON_ASCII_PASSWORD.encode(),
        )
        return AuthResult(success=valid, handled=False)
    return AuthResult(success=False, handled=False)


@pytest.fixture(scope="module")
def login_only_port():
    """A real aiosmtpd offering AUTH LOGIN but not PLAIN, as Office 365 does."""
    controller = Controller(
        object(),
        hostname=LOOPBACK,
        port=free_port(),
        authenticator=accept_alice,
        auth_require_tls=False,
        auth_exclude_mechanism=["PLAIN"],
    )
    controller.start()
    yield controller.port
    controller.stop()


@pytest.fixture
def silent_port():
    """A listener whose connections the kernel accepts but nobody ever answers."""
    with socket.create_server((LOOPBACK, 0)) as listener:
        yield listener.getsockname()[1]


# --- logging in ------------------------------------------------------------------------


@pytest.mark.parametrize("security", list(Security))
def test_it_logs_in_with_every_security_mode(server, certs, security):
    info = check_smtp_login(settings_for(server, security, certs))

    assert info.security is security
    assert info.auth_mechanisms == {"LOGIN", "PLAIN"}


def test_it_reports_the_size_limit_the_server_announces(server, certs):
    info = check_smtp_login(settings_for(server, Security.STARTTLS, certs))

    assert info.size_limit == server.size_limit


def test_the_block_gets_a_logged_in_session_that_can_send(server, certs):
    with open_smtp(settings_for(server, Security.STARTTLS, certs)) as client:
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    [received] = server.messages
    assert received.auth_user == USER


@pytest.mark.parametrize("security", list(Security))
def test_the_socket_sends_small_writes_at_once_and_greets_with_our_name(server, certs, security):
    with open_smtp(settings_for(server, security, certs)) as client:
        assert client.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        assert client.local_hostname == LOCAL_HOSTNAME


def test_a_non_ascii_password_logs_in(smtp, certs):
    smtp.add_user(NON_ASCII_USER, NON_ASCII_PASSWORD)
    settings = settings_for(
        smtp, Security.TLS, certs, username=NON_ASCII_USER, password=NON_ASCII_PASSWORD
    )

    assert check_smtp_login(settings).security is Security.TLS


def test_auth_login_is_used_when_plain_is_not_offered(login_only_port):
    settings = ServerSettings(
        SERVER_HOSTNAME, login_only_port, Security.PLAIN, USER, NON_ASCII_PASSWORD
    )

    assert check_smtp_login(settings).auth_mechanisms == {"LOGIN"}


def test_auth_login_with_a_wrong_password_is_bad_credentials(login_only_port):
    settings = ServerSettings(
        SERVER_HOSTNAME, login_only_port, Security.PLAIN, USER, WRONG_PASSWORD
    )

    with pytest.raises(AuthError) as refused:
        check_smtp_login(settings)

    assert refused.value.code == "bad_credentials"


def test_without_a_user_name_it_connects_without_auth(server, certs):
    server.offer_plain_auth = False

    info = check_smtp_login(settings_for(server, Security.PLAIN, certs, username="", password=""))

    assert info.auth_mechanisms == frozenset()


def test_credentials_for_a_server_without_auth_are_mechanism_unavailable(server, certs):
    server.offer_plain_auth = False

    with pytest.raises(AuthError) as refused:
        check_smtp_login(settings_for(server, Security.PLAIN, certs))

    assert refused.value.code == "mechanism_unavailable"


# --- refusals and failures ---------------------------------------------------------------


@pytest.mark.parametrize("security", ENCRYPTED)
def test_a_wrong_password_is_bad_credentials(server, certs, security):
    with pytest.raises(AuthError) as refused:
        check_smtp_login(settings_for(server, security, certs, password=WRONG_PASSWORD))

    assert refused.value.code == "bad_credentials"
    assert refused.value.detail.startswith("535 ")


def test_a_refused_password_appears_in_no_error_message(server, certs):
    plain_response = base64.b64encode(f"\0{USER}\0{WRONG_PASSWORD}".encode()).decode()

    with pytest.raises(AuthError) as refused:
        check_smtp_login(settings_for(server, Security.STARTTLS, certs, password=WRONG_PASSWORD))

    shown = "".join(traceback.format_exception(refused.value)) + repr(refused.value)
    assert WRONG_PASSWORD not in shown
    assert plain_response not in shown


def test_no_protocol_trace_is_printed(server, certs, capfd):
    with open_smtp(settings_for(server, Security.STARTTLS, certs)) as client:
        assert client.debuglevel == 0

    assert capfd.readouterr() == ("", "")


def test_a_closed_port_is_refused():
    settings = ServerSettings(SERVER_HOSTNAME, free_port(), Security.STARTTLS, USER, PASSWORD)

    with pytest.raises(ConnectError) as failure:
        check_smtp_login(settings)

    assert failure.value.code == "refused"


@pytest.mark.parametrize("host", ["nonexistent.invalid", "mail..example.org"])
def test_a_host_that_does_not_resolve_is_not_found(host):
    settings = ServerSettings(host, 587, Security.STARTTLS, USER, PASSWORD)

    with pytest.raises(ConnectError) as failure:
        check_smtp_login(settings)

    assert failure.value.code == "not_found"


@pytest.mark.parametrize("security", ENCRYPTED)
def test_a_server_that_never_speaks_times_out_within_the_timeout(silent_port, certs, security):
    settings = ServerSettings(SERVER_HOSTNAME, silent_port, security, USER, PASSWORD, timeout=1.0)
    started = time.monotonic()

    with pytest.raises(ConnectError) as failure:
        check_smtp_login(settings)

    assert failure.value.code == "timeout"
    assert time.monotonic() - started < 1.9


@pytest.mark.parametrize("security", list(Security))
def test_a_busy_greeting_is_a_temporary_error(server, certs, security):
    server.fail_next("connect", 421, "4.3.2 Try again later")

    with pytest.raises(TemporaryError) as busy:
        check_smtp_login(settings_for(server, security, certs))

    assert busy.value.detail == "421 4.3.2 Try again later"


def test_a_refusing_greeting_is_a_protocol_error(server, certs):
    server.fail_next("connect", 554, "5.3.2 No service here")

    with pytest.raises(ProtocolError) as refused:
        check_smtp_login(settings_for(server, Security.STARTTLS, certs))

    assert refused.value.detail == "554 5.3.2 No service here"


def test_an_smtp_error_leaving_the_block_becomes_a_mail_error(server, certs):
    server.fail_next("mail", 451, "4.3.0 Sender check failed")

    with (
        pytest.raises(TemporaryError) as failure,
        open_smtp(settings_for(server, Security.STARTTLS, certs)) as client,
    ):
        client.sendmail(FROM, [TO], RAW_MESSAGE)

    assert failure.value.detail == "451 4.3.0 Sender check failed"


# --- TLS ---------------------------------------------------------------------------------


def test_starttls_missing_is_refused_rather_than_sending_the_password_in_clear(server, certs):
    # The plain listener offers AUTH but no STARTTLS.
    plain = settings_for(server, Security.PLAIN, certs)
    settings = dataclasses.replace(plain, security=Security.STARTTLS)

    with pytest.raises(TLSError) as refused:
        check_smtp_login(settings)

    assert refused.value.code == "starttls_unavailable"


def test_implicit_tls_to_a_plain_text_port_fails_the_handshake(server, certs):
    plain = settings_for(server, Security.PLAIN, certs)
    settings = dataclasses.replace(plain, security=Security.TLS)

    with pytest.raises(TLSError) as refused:
        check_smtp_login(settings)

    assert refused.value.code == "handshake"


@pytest.mark.parametrize("security", ENCRYPTED)
@pytest.mark.parametrize(("kind", "code"), BAD_CERTIFICATES)
def test_a_bad_certificate_is_refused_with_its_reason_and_the_certificate(
    smtp_presenting, certs, kind, code, security
):
    settings = settings_for(smtp_presenting(kind), security, certs)

    with pytest.raises(TLSError) as refused:
        check_smtp_login(settings)

    assert refused.value.code == code
    assert same_certificate(refused.value.certificate, getattr(certs, f"{kind}_cert"))


@pytest.mark.parametrize("security", ENCRYPTED)
def test_a_pinned_self_signed_certificate_is_trusted(smtp_presenting, certs, security):
    pinned = certs.self_signed_cert.read_text()
    settings = settings_for(
        smtp_presenting("self_signed"), security, certs, pinned_certificate=pinned, ca_file=""
    )

    assert check_smtp_login(settings).security is security


def test_a_pinned_certificate_the_server_no_longer_presents_is_untrusted(server, certs):
    pinned = certs.self_signed_cert.read_text()
    settings = settings_for(server, Security.TLS, certs, pinned_certificate=pinned)

    with pytest.raises(TLSError) as refused:
        check_smtp_login(settings)

    assert refused.value.code == "certificate_untrusted"
    assert same_certificate(refused.value.certificate, certs.server_cert)
