"""Connecting and logging in to IMAP, and every way it fails, against the real
Dovecot fixture; a scripted peer stands in only for what Dovecot never does."""

import base64
import socket
import ssl
import threading
import time
from dataclasses import replace

import pytest

from tests.harness.certs import SERVER_HOSTNAME
from tests.harness.ports import free_port
from webmail.mail.errors import AuthError, ConnectError, TemporaryError, TLSError
from webmail.mail.imap import open_imap
from webmail.mail.types import Security, ServerSettings


def imap_settings(dovecot, user, certs, security=Security.TLS, **changes) -> ServerSettings:
    port = dovecot.imaps_port if security is Security.TLS else dovecot.imap_port
    settings = ServerSettings(
        host=SERVER_HOSTNAME,
        port=port,
        security=security,
        username=user.name,
        password=user.password,
        ca_file=str(certs.ca_cert),
        timeout=10,
    )
    return replace(settings, **changes)


def der(pem: str) -> bytes:
    return ssl.PEM_cert_to_DER_cert(pem)


@pytest.mark.parametrize("security", list(Security))
def test_it_logs_in_with_each_security_mode(dovecot, certs, mail_user, security):
    with open_imap(imap_settings(dovecot, mail_user, certs, security)) as session:
        assert "IMAP4REV1" in session.capabilities
        assert {"QRESYNC", "CONDSTORE"} <= session.enabled
        assert [folder.name for folder in session.list_folders() if folder.name == "INBOX"]


def test_starttls_really_encrypts(dovecot, certs, mail_user):
    settings = imap_settings(dovecot, mail_user, certs, Security.STARTTLS)

    with open_imap(settings) as session:
        assert isinstance(session._client.socket(), ssl.SSLSocket)


def test_a_wrong_password_is_an_auth_error(dovecot, certs, mail_user):
    settings = imap_settings(dovecot, mail_user, certs, password="not-the-password")

    with pytest.raises(AuthError) as failure:
        open_imap(settings)

    assert failure.value.code == "bad_credentials"
    assert "AUTHENTICATIONFAILED" in failure.value.detail


def test_a_non_ascii_password_logs_in_through_authenticate_plain(dovecot, certs):
    user = dovecot.add_user(password="mot de passe d'été ✓")

    with open_imap(imap_settings(dovecot, user, certs)) as session:
        assert session.capabilities


def test_quotes_and_spaces_in_a_user_name_stay_inside_the_login(dovecot, certs, mail_user):
    settings = imap_settings(dovecot, mail_user, certs, username=f'{mail_user.name}" x \\')

    with pytest.raises(AuthError):
        open_imap(settings)


def test_line_breaks_in_credentials_are_refused_before_anything_is_sent():
    settings = ServerSettings("localhost", free_port(), Security.PLAIN, "a", "pw\r\nA1 LOGOUT")

    with pytest.raises(AuthError, match="line break"):
        open_imap(settings)


def test_a_closed_port_is_refused():
    settings = ServerSettings("127.0.0.1", free_port(), Security.TLS, "a", "b", timeout=5)

    with pytest.raises(ConnectError) as failure:
        open_imap(settings)

    assert failure.value.code == "refused"


def test_an_unknown_host_is_not_found():
    settings = ServerSettings("nonexistent.invalid", 993, Security.TLS, "a", "b", timeout=5)

    with pytest.raises(ConnectError) as failure:
        open_imap(settings)

    assert failure.value.code == "not_found"


@pytest.mark.parametrize("security", [Security.TLS, Security.PLAIN])
def test_a_server_that_never_answers_times_out_in_time(security):
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        settings = ServerSettings("127.0.0.1", port, security, "a", "b", timeout=0.5)
        started = time.monotonic()

        with pytest.raises(ConnectError) as failure:
            open_imap(settings)

    assert failure.value.code == "timeout"
    assert time.monotonic() - started < 3


BAD_CERTIFICATES = [
    pytest.param("wrong_host", "certificate_wrong_host", id="wrong-host"),
    pytest.param("expired", "certificate_expired", id="expired"),
    pytest.param("self_signed", "certificate_untrusted", id="self-signed"),
]


def tls_variant(dovecot, certs, kind: str):
    return dovecot.start_tls_variant(getattr(certs, f"{kind}_cert"), getattr(certs, f"{kind}_key"))


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
@pytest.mark.parametrize(("kind", "code"), BAD_CERTIFICATES)
def test_a_bad_certificate_is_refused_and_shown(dovecot, certs, mail_user, kind, code, security):
    variant = tls_variant(dovecot, certs, kind)
    settings = imap_settings(variant, mail_user, certs, security)

    with pytest.raises(TLSError) as failure:
        open_imap(settings)

    assert failure.value.code == code
    served = getattr(certs, f"{kind}_cert").read_text()
    assert der(failure.value.certificate) == der(served)


@pytest.mark.parametrize("security", [Security.TLS, Security.STARTTLS])
def test_a_pinned_self_signed_certificate_is_trusted(dovecot, certs, mail_user, security):
    variant = tls_variant(dovecot, certs, "self_signed")
    pinned = certs.self_signed_cert.read_text()
    settings = imap_settings(variant, mail_user, certs, security, pinned_certificate=pinned)

    with open_imap(settings) as session:
        assert session.capabilities


def test_pinning_another_certificate_does_not_trust_the_server(dovecot, certs, mail_user):
    variant = tls_variant(dovecot, certs, "self_signed")
    other = certs.expired_cert.read_text()

    with pytest.raises(TLSError) as failure:
        open_imap(imap_settings(variant, mail_user, certs, pinned_certificate=other))

    assert failure.value.code == "certificate_untrusted"


def test_a_session_whose_connection_was_cut_fails_clearly_and_still_closes(
    dovecot, certs, mail_user
):
    session = open_imap(imap_settings(dovecot, mail_user, certs))
    session.select("INBOX")

    dovecot.reset_user(mail_user)

    with pytest.raises(TemporaryError) as failure:
        session.all_uids()
    assert failure.value.code == "connection_lost"
    session.close()


# -- what Dovecot will not do: a scripted peer --------------------------------------------


class ScriptedServer:
    """Accepts one connection, greets, and answers each command from ``answers``
    (keyed by command name; "{tag}" is replaced). Records what it received."""

    def __init__(self, greeting: bytes, answers: dict[bytes, bytes]) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._greeting = greeting
        self._answers = {b"LOGOUT": b"* BYE bye\r\n{tag} OK done\r\n", **answers}
        self.received: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def settings(self, security=Security.PLAIN, **changes) -> ServerSettings:
        return replace(
            ServerSettings("127.0.0.1", self.port, security, "user", "secret", timeout=5),
            **changes,
        )

    def _serve(self) -> None:
        with self._listener, self._listener.accept()[0] as connection:
            connection.sendall(self._greeting)
            pending_tag = b""
            for line in connection.makefile("rb"):
                self.received.append(line)
                if pending_tag:  # the SASL response line of AUTHENTICATE
                    connection.sendall(pending_tag + b" OK [CAPABILITY IMAP4rev1] in\r\n")
                    pending_tag = b""
                    continue
                tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
                command = rest.split(b" ", 1)[0].upper()
                connection.sendall(
                    self._answers.get(command, b"{tag} BAD no\r\n").replace(b"{tag}", tag)
                )
                if command == b"AUTHENTICATE":
                    pending_tag = tag
                if command == b"LOGOUT":
                    return


def capability(*names: bytes) -> bytes:
    return b"* CAPABILITY IMAP4rev1 " + b" ".join(names) + b"\r\n{tag} OK done\r\n"


def test_starttls_that_is_not_offered_is_refused_before_any_password():
    server = ScriptedServer(b"* OK ready\r\n", {b"CAPABILITY": capability(b"AUTH=PLAIN")})

    with pytest.raises(TLSError) as failure:
        open_imap(server.settings(Security.STARTTLS))

    assert failure.value.code == "starttls_unavailable"
    assert not [line for line in server.received if b"LOGIN" in line or b"AUTH" in line]


@pytest.mark.parametrize("code", [b"UNAVAILABLE", b"INUSE"])
def test_a_busy_server_is_a_temporary_error(code):
    server = ScriptedServer(
        b"* OK ready\r\n",
        {b"CAPABILITY": capability(), b"LOGIN": b"{tag} NO [%s] try later\r\n" % code},
    )

    with pytest.raises(TemporaryError):
        open_imap(server.settings())


def test_a_goodbye_greeting_is_a_temporary_error():
    server = ScriptedServer(b"* BYE too many connections\r\n", {})

    with pytest.raises(TemporaryError):
        open_imap(server.settings())


def test_login_disabled_uses_authenticate_plain():
    capabilities = capability(b"LOGINDISABLED", b"AUTH=PLAIN")
    server = ScriptedServer(
        b"* OK ready\r\n", {b"CAPABILITY": capabilities, b"AUTHENTICATE": b"+ \r\n"}
    )

    open_imap(server.settings()).close()

    assert b"AUTHENTICATE PLAIN" in server.received[1]
    assert base64.b64decode(server.received[2]) == b"\0user\0secret"
    assert not [line for line in server.received if b" LOGIN " in line]


def test_login_disabled_without_a_mechanism_we_speak_is_explained():
    server = ScriptedServer(b"* OK ready\r\n", {b"CAPABILITY": capability(b"LOGINDISABLED")})

    with pytest.raises(AuthError) as failure:
        open_imap(server.settings())

    assert failure.value.code == "mechanism_unavailable"


def test_a_refused_enable_leaves_a_working_session_without_qresync():
    server = ScriptedServer(
        b"* OK ready\r\n",
        {
            b"CAPABILITY": capability(b"AUTH=PLAIN"),
            b"LOGIN": b"{tag} OK [CAPABILITY IMAP4rev1 ENABLE QRESYNC CONDSTORE] in\r\n",
            b"ENABLE": b"{tag} NO not today\r\n",
        },
    )

    with open_imap(server.settings()) as session:
        assert "QRESYNC" in session.capabilities
        assert session.enabled == frozenset()
        assert not session.condstore
