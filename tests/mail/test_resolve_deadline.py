"""Name resolution has a deadline for every protocol. A resolver that never
answers cannot be produced on loopback, so getaddrinfo is held by the test (the
only stand-in here); everything after it is real."""

import socket
import threading

import pytest

from webmail.mail.errors import ConnectError
from webmail.mail.imap import open_imap
from webmail.mail.net import resolve_within
from webmail.mail.pop3 import check_pop3_login
from webmail.mail.smtp import check_smtp_login
from webmail.mail.types import Security, ServerSettings

SLOW_NAME = "mail.slow-resolver.test"


@pytest.fixture
def silent_resolver(monkeypatch):
    """getaddrinfo blocks for SLOW_NAME until the test ends; other names resolve."""
    released = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if host == SLOW_NAME:
            released.wait(30)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield
    released.set()


def settings(port: int, security: Security = Security.TLS) -> ServerSettings:
    return ServerSettings(SLOW_NAME, port, security, "user", "password", timeout=0.2)


@pytest.mark.parametrize(
    "open_connection",
    [
        pytest.param(lambda: open_imap(settings(993)), id="imap"),
        pytest.param(lambda: check_pop3_login(settings(995)), id="pop3"),
        pytest.param(lambda: check_smtp_login(settings(587, Security.STARTTLS)), id="smtp"),
    ],
)
def test_a_resolver_that_does_not_answer_is_a_timeout(silent_resolver, open_connection):
    with pytest.raises(ConnectError) as failure:
        open_connection()
    assert failure.value.code == "timeout"
    assert SLOW_NAME in failure.value.detail


def test_names_that_resolve_and_addresses_pass(silent_resolver):
    resolve_within("localhost", 993, 5)
    resolve_within("127.0.0.1", 993, 0.001)  # an address needs no lookup at all
    resolve_within("[::1]", 993, 0.001)


def test_a_name_that_does_not_exist_is_not_found():
    with pytest.raises(ConnectError) as failure:
        resolve_within("nonexistent.invalid", 993, 5)
    assert failure.value.code == "not_found"
