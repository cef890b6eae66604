"""The POP3 gateway's connection layer, against the real Dovecot (tests/harness/dovecot.py)."""

import dataclasses
import gc
import socket
import socketserver
import ssl
import threading
import time
import traceback
from pathlib import Path

import pytest

from tests.harness.certs import SERVER_HOSTNAME
from tests.harness.ports import LOOPBACK, free_port
from webmail.mail.errors import AuthError, ConnectError, ProtocolError, TemporaryError, TLSError
from webmail.mail.pop3 import check_pop3_login, classify_response, open_pop3
from webmail.mail.types import Security, ServerSettings

WRONG_PASSWORD = "Wrong-but-still-secret-7f3a"
BAD_CERTIFICATES = [
    ("wrong_host", "certificate_wrong_host"),
    ("expired", "certificate_expired"),
    ("self_signed", "certificate_untrusted"),
]
ENCRYPTED = [Security.TLS, Security.STARTTLS]


def message(subject: str) -> bytes:
    return f"From: bob@example.test\r\nSubject: {subject}\r\n\r\nHello.\r\n".encode()


def settings_for(server, user, security: Security, certs, **changes) -> ServerSettings:
    settings = ServerSettings(
        host=SERVER_HOSTNAME,
        port=server.pop3s_port if security is Security.TLS else server.pop3_port,
        security=security,
        username=user.name,
        password=user.password,
        ca_file=str(certs.ca_cert),
        timeout=5.0,
    )
    return dataclasses.replace(settings, **changes)


def same_certificate(pem: str, path: Path) -> bool:
    return bool(pem) and ssl.PEM_cert_to_DER_cert(pem) == ssl.PEM_cert_to_DER_cert(path.read_text())


@pytest.fixture
def silent_port():
    """A listener whose connections the kernel accepts but nobody ever answers."""
    with socket.create_server((LOOPBACK, 0)) as listener:
        yield listener.getsockname()[1]


class _NoTLSHandler(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        self.wfile.write(b"+OK POP3 server without TLS\r\n")
        for line in self.rfile:
            self.server.received.append(line)
            command = line.strip().upper()
            if command == b"CAPA" and self.server.capabilities is not None:
                listed = b"".join(name + b"\r\n" for name in self.server.capabilities)
                self.wfile.write(b"+OK\r\n" + listed + b".\r\n")
            elif command == b"QUIT":
                self.wfile.write(b"+OK\r\n")
                return
            else:
                self.wfile.write(b"-ERR unknown command\r\n")


@pytest.fixture(params=[[b"USER", b"UIDL"], None], ids=["capa_without_stls", "no_capa"])
def pop3_without_tls(request):
    """Dovecot always offers STLS, so this one condition needs a stand-in: a POP3
    server whose CAPA lacks STLS, or that has no CAPA at all (RFC 1939 only)."""
    server = socketserver.ThreadingTCPServer((LOOPBACK, 0), _NoTLSHandler)
    server.daemon_threads = True
    server.capabilities = request.param
    server.received = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# --- logging in ------------------------------------------------------------------------


@pytest.mark.parametrize("security", list(Security))
def test_it_logs_in_with_every_security_mode(dovecot, mail_user, certs, security):
    info = check_pop3_login(settings_for(dovecot, mail_user, security, certs))

    assert info.message_count == 0
    assert info.has_uidl
    assert info.has_pipelining
    assert {"UIDL", "TOP", "RESP-CODES"} <= info.capabilities


def test_it_counts_the_messages_waiting(dovecot, mail_user, certs):
    dovecot.deliver(mail_user, message("one"))
    dovecot.deliver(mail_user, message("two"))

    info = check_pop3_login(settings_for(dovecot, mail_user, Security.TLS, certs))

    assert info.message_count == 2


def test_a_non_ascii_password_logs_in(dovecot, certs):
    user = dovecot.add_user(password="mot-de-passe-été-ñ")

    info = check_pop3_login(settings_for(dovecot, user, Security.STARTTLS, certs))

    assert info.message_count == 0


def test_leaving_the_block_normally_commits_deletions(dovecot, mail_user, certs):
    dovecot.deliver(mail_user, message("delete me"))
    settings = settings_for(dovecot, mail_user, Security.TLS, certs)

    with open_pop3(settings) as client:
        client.dele(1)

    assert check_pop3_login(settings).message_count == 0


def test_a_failure_in_the_block_deletes_nothing(dovecot, mail_user, certs):
    dovecot.deliver(mail_user, message("keep me"))
    settings = settings_for(dovecot, mail_user, Security.TLS, certs)

    with pytest.raises(RuntimeError), open_pop3(settings) as client:
        client.dele(1)
        raise RuntimeError("storing the message failed")

    assert check_pop3_login(settings).message_count == 1


def test_a_pop3_error_leaving_the_block_becomes_a_mail_error(dovecot, mail_user, certs):
    with (
        pytest.raises(ProtocolError) as failure,
        open_pop3(settings_for(dovecot, mail_user, Security.TLS, certs)) as client,
    ):
        client.retr(99)

    assert failure.value.detail.startswith("-ERR")


@pytest.fixture
def from_another_address(monkeypatch):
    """Connect from 127.0.0.2. Dovecot counts only a connection whose two ends share an
    address as secured, so from here it treats us as a remote client: no plain-text
    login without TLS, as in production."""
    connect = socket.create_connection

    def create_connection(address, timeout=None, source_address=None, **options):
        return connect(address, timeout, ("127.0.0.2", 0), **options)

    monkeypatch.setattr(socket, "create_connection", create_connection)


def test_a_server_refusing_plain_text_login_is_mechanism_unavailable(
    dovecot, mail_user, certs, from_another_address
):
    settings = settings_for(dovecot, mail_user, Security.PLAIN, certs, host=LOOPBACK)

    with pytest.raises(AuthError) as refused:
        check_pop3_login(settings)

    assert refused.value.code == "mechanism_unavailable"
    assert "Plaintext authentication disallowed" in refused.value.detail


def test_stls_lets_a_remote_client_log_in(dovecot, mail_user, certs, from_another_address):
    settings = settings_for(dovecot, mail_user, Security.STARTTLS, certs)

    assert check_pop3_login(settings).has_uidl


# --- refusals and failures ---------------------------------------------------------------


@pytest.mark.parametrize("security", ENCRYPTED)
def test_a_wrong_password_is_bad_credentials(dovecot, mail_user, certs, security):
    settings = settings_for(dovecot, mail_user, security, certs, password=WRONG_PASSWORD)

    with pytest.raises(AuthError) as refused:
        check_pop3_login(settings)

    assert refused.value.code == "bad_credentials"
    assert "[AUTH]" in refused.value.detail


def test_a_refused_password_appears_in_no_error_message(dovecot, mail_user, certs):
    settings = settings_for(dovecot, mail_user, Security.TLS, certs, password=WRONG_PASSWORD)

    with pytest.raises(AuthError) as refused:
        check_pop3_login(settings)

    shown = "".join(traceback.format_exception(refused.value)) + repr(refused.value)
    assert WRONG_PASSWORD not in shown


def test_no_protocol_trace_is_printed(dovecot, mail_user, certs, capfd):
    check_pop3_login(settings_for(dovecot, mail_user, Security.STARTTLS, certs))

    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("password", ["secret\r\nDELE 1", "secret\nQUIT"])
def test_a_line_break_in_the_credentials_is_never_sent(password):
    # Port 9 (discard) on loopback: the refusal must come before any connection.
    settings = ServerSettings(LOOPBACK, 9, Security.PLAIN, "alice", password)

    with pytest.raises(AuthError) as refused:
        check_pop3_login(settings)

    assert refused.value.code == "bad_credentials"
    assert password not in str(refused.value)


def test_a_closed_port_is_refused(mail_user):
    settings = ServerSettings(
        SERVER_HOSTNAME, free_port(), Security.TLS, mail_user.name, mail_user.password
    )

    with pytest.raises(ConnectError) as failure:
        check_pop3_login(settings)

    assert failure.value.code == "refused"


@pytest.mark.parametrize("host", ["nonexistent.invalid", "mail..example.org"])
def test_a_host_that_does_not_resolve_is_not_found(host):
    settings = ServerSettings(host, 995, Security.TLS, "alice", "secret")

    with pytest.raises(ConnectError) as failure:
        check_pop3_login(settings)

    assert failure.value.code == "not_found"


@pytest.mark.parametrize("security", ENCRYPTED)
def test_a_server_that_never_speaks_times_out_within_the_timeout(silent_port, security):
    settings = ServerSettings(
        SERVER_HOSTNAME, silent_port, security, "alice", "secret", timeout=1.0
    )
    started = time.monotonic()

    with pytest.raises(ConnectError) as failure:
        check_pop3_login(settings)

    assert failure.value.code == "timeout"
    assert time.monotonic() - started < 1.9


def test_a_greeting_that_never_comes_leaves_no_socket_open(silent_port, recwarn):
    # poplib reads the greeting in its constructor and, when that fails, leaves the
    # socket to the garbage collector.
    settings = ServerSettings(LOOPBACK, silent_port, Security.STARTTLS, "a", "b", timeout=0.2)

    with pytest.raises(ConnectError):
        check_pop3_login(settings)
    gc.collect()

    # Only this server's sockets: a socket another test leaked may be collected here too.
    unclosed = [
        warning.message
        for warning in recwarn
        if warning.category is ResourceWarning and f", {silent_port})" in str(warning.message)
    ]
    assert unclosed == []


@pytest.mark.parametrize(
    "response",
    [
        b"-ERR [IN-USE] Mailbox is locked by another POP3 session.",
        b"-ERR [LOGIN-DELAY] Wait 15 minutes between logins",
        b"-ERR [SYS/TEMP] Server shutting down.",
        b"-ERR [in-use] locked",
    ],
)
def test_busy_and_delay_codes_are_temporary_errors_that_keep_the_code(response):
    error = classify_response(response, to_login=True)

    assert isinstance(error, TemporaryError)
    assert error.detail == response.decode()


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (b"-ERR [AUTH] Authentication failed.", AuthError),
        (b"-ERR invalid password", AuthError),
        (b"-ERR [SYS/PERM] Mailbox is corrupt", ProtocolError),
    ],
)
def test_login_refusals_are_read_by_their_response_code(response, expected):
    assert type(classify_response(response, to_login=True)) is expected


def test_a_refusal_outside_login_is_a_protocol_error():
    assert type(classify_response(b"-ERR no such message")) is ProtocolError


# --- TLS ---------------------------------------------------------------------------------


def test_stls_missing_is_refused_rather_than_sending_the_password_in_clear(pop3_without_tls):
    port = pop3_without_tls.server_address[1]
    settings = ServerSettings(LOOPBACK, port, Security.STARTTLS, "alice", "secret")

    with pytest.raises(TLSError) as refused:
        check_pop3_login(settings)

    assert refused.value.code == "starttls_unavailable"
    assert not [line for line in pop3_without_tls.received if line.startswith((b"USER", b"PASS"))]


def test_implicit_tls_to_a_plain_text_port_fails_the_handshake(dovecot, mail_user, certs):
    plain = settings_for(dovecot, mail_user, Security.PLAIN, certs)

    with pytest.raises(TLSError) as refused:
        check_pop3_login(dataclasses.replace(plain, security=Security.TLS))

    assert refused.value.code == "handshake"


@pytest.mark.parametrize("security", ENCRYPTED)
@pytest.mark.parametrize(("kind", "code"), BAD_CERTIFICATES)
def test_a_bad_certificate_is_refused_with_its_reason_and_the_certificate(
    dovecot, mail_user, certs, kind, code, security
):
    cert = getattr(certs, f"{kind}_cert")
    variant = dovecot.start_tls_variant(cert, getattr(certs, f"{kind}_key"))

    with pytest.raises(TLSError) as refused:
        check_pop3_login(settings_for(variant, mail_user, security, certs))

    assert refused.value.code == code
    assert same_certificate(refused.value.certificate, cert)


@pytest.mark.parametrize("security", ENCRYPTED)
def test_a_pinned_self_signed_certificate_is_trusted(dovecot, mail_user, certs, security):
    variant = dovecot.start_tls_variant(certs.self_signed_cert, certs.self_signed_key)
    pinned = certs.self_signed_cert.read_text()
    settings = settings_for(
        variant, mail_user, security, certs, pinned_certificate=pinned, ca_file=""
    )

    assert check_pop3_login(settings).message_count == 0


def test_a_pinned_certificate_the_server_no_longer_presents_is_untrusted(dovecot, mail_user, certs):
    pinned = certs.self_signed_cert.read_text()
    settings = settings_for(dovecot, mail_user, Security.STARTTLS, certs, pinned_certificate=pinned)

    with pytest.raises(TLSError) as refused:
        check_pop3_login(settings)

    assert refused.value.code == "certificate_untrusted"
    assert same_certificate(refused.value.certificate, certs.server_cert)
