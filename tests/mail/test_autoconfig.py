"""discover(): sources in order of trust, failures noted, internal hosts dropped.

DNS answers come from a server on 127.0.0.1 and autoconfig documents from an
HTTP server on 127.0.0.1: https://<host>/<path> is fetched as
http://127.0.0.1:<port>/<host>/<path>.
"""

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.harness.dns_server import DNSServer
from tests.harness.http_server import HTTPServer
from webmail.mail.autoconfig import (
    ServerCandidate,
    discover,
    parse_address,
    probe,
)
from webmail.mail.errors import ConnectError
from webmail.mail.netguard import BlockedAddressError, fetch_url
from webmail.mail.types import Protocol, Security

ROOT = Path(__file__).resolve().parents[2]
AUTOCONFIG_PATH = "/autoconfig.example.test/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/example.test/.well-known/autoconfig/mail/config-v1.1.xml"


def config(*servers: tuple[str, str, str, int, str, str]) -> bytes:
    """A clientConfig document from (element, type, host, port, socketType, username)."""
    entries = "".join(
        f'<{element} type="{kind}"><hostname>{host}</hostname><port>{port}</port>'
        f"<socketType>{socket_type}</socketType><username>{username}</username></{element}>"
        for element, kind, host, port, socket_type, username in servers
    )
    return f"<clientConfig><emailProvider>{entries}</emailProvider></clientConfig>".encode()


@pytest.fixture
def dns_server():
    with DNSServer() as server:
        yield server


@pytest.fixture
def web():
    with HTTPServer() as server:
        yield server


def loopback_fetch(server: HTTPServer):
    def fetch(url: str, timeout: float) -> bytes:
        parts = urlsplit(url)
        local = server.url(f"/{parts.hostname}{parts.path}")
        local += f"?{parts.query}" if parts.query else ""
        return fetch_url(local, allow_private=True, timeout=timeout).body

    return fetch


def summary(candidates):
    return [(c.host, c.port, c.security, c.source) for c in candidates]


def test_the_full_order_is_provider_srv_autoconfig_then_guesses(dns_server, web):
    dns_server.add("example.test", "MX", "10 aspmx.l.google.com.")
    dns_server.add("_imaps._tcp.example.test", "SRV", "0 1 993 mail.example.test.")
    dns_server.add("_imap._tcp.example.test", "SRV", "0 1 143 mail.example.test.")
    web.serve(
        AUTOCONFIG_PATH,
        config(
            ("incomingServer", "imap", "mail.example.test", 993, "SSL", "%EMAILADDRESS%"),
            ("incomingServer", "imap", "imap.example.test", 993, "SSL", "%EMAILADDRESS%"),
        ),
    )
    found = discover(
        "alice@example.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web)
    )

    assert found.provider == "Gmail"
    assert summary(found.imap) == [
        ("imap.gmail.com", 993, Security.TLS, "provider"),
        ("mail.example.test", 993, Security.TLS, "srv"),
        ("mail.example.test", 143, Security.STARTTLS, "srv"),
        ("imap.example.test", 993, Security.TLS, "autoconfig"),  # its first entry was a dupe
        ("imap.example.test", 143, Security.STARTTLS, "guess"),
    ]


def test_guesses_cover_every_protocol_with_implicit_tls_first(dns_server, web):
    found = discover(
        "alice@example.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web)
    )
    assert summary(found.pop3) == [
        ("pop.example.test", 995, Security.TLS, "guess"),
        ("pop3.example.test", 995, Security.TLS, "guess"),
        ("mail.example.test", 995, Security.TLS, "guess"),
        ("pop.example.test", 110, Security.STARTTLS, "guess"),
        ("pop3.example.test", 110, Security.STARTTLS, "guess"),
        ("mail.example.test", 110, Security.STARTTLS, "guess"),
    ]
    assert [(c.host, c.port) for c in found.smtp] == [
        ("smtp.example.test", 465),
        ("mail.example.test", 465),
        ("smtp.example.test", 587),
        ("mail.example.test", 587),
    ]
    assert {c.username for c in found.candidates} == {"alice@example.test"}


def test_a_known_provider_domain_needs_no_lookup_at_all():
    def no_fetch(url, timeout):
        raise AssertionError(f"fetched {url}")

    found = discover("Jean.Dupont@Free.fr", resolver=object(), fetch=no_fetch)
    assert found.provider == "Free"
    assert {c.source for c in found.candidates} == {"provider"}
    assert found.imap[0] == ServerCandidate(
        Protocol.IMAP, "imap.free.fr", 993, Security.TLS, "Jean.Dupont", "provider"
    )
    assert found.failures == ()


def test_icloud_candidates_carry_the_right_usernames():
    found = discover("emily@icloud.com")
    assert found.imap[0].username == "emily"
    assert found.smtp[0].username == "emily@icloud.com"
    assert found.pop3 == ()


def test_the_autoconfig_url_carries_the_address(dns_server, web):
    discover("alice@example.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web))
    [request] = [r for r in web.requests if r.path == AUTOCONFIG_PATH]
    assert parse_qs(request.query) == {"emailaddress": ["alice@example.test"]}
    assert WELL_KNOWN_PATH in {r.path for r in web.requests}


def test_autoconfig_usernames_and_domains_are_expanded(dns_server, web):
    web.serve(
        WELL_KNOWN_PATH,
        config(("outgoingServer", "smtp", "out.%EMAILDOMAIN%", 465, "SSL", "%EMAILLOCALPART%")),
    )
    found = discover(
        "alice@example.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web)
    )
    assert found.smtp[0] == ServerCandidate(
        Protocol.SMTP, "out.example.test", 465, Security.TLS, "alice", "autoconfig"
    )


def test_each_failing_step_is_noted_and_the_others_still_count(dns_server, web):
    dns_server.fail("_imaps._tcp.example.test")
    dns_server.add("_imap._tcp.example.test", "SRV", "0 1 143 mail.example.test.")
    web.serve(AUTOCONFIG_PATH, b"<!DOCTYPE x [<!ENTITY a 'b'>]><clientConfig/>")
    web.serve(WELL_KNOWN_PATH, b"oops", status=500)
    found = discover(
        "alice@example.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web)
    )

    assert [c.source for c in found.imap][:1] == ["srv"]
    assert {c.source for c in found.candidates} == {"srv", "guess"}
    details = {failure.step: [] for failure in found.failures}
    for failure in found.failures:
        details[failure.step].append(failure.detail)
    assert any("NoNameservers" in detail for detail in details["srv"])
    assert any("DOCTYPE" in detail for detail in details["autoconfig"])
    assert any("500" in detail for detail in details["autoconfig"])


def test_an_unanswered_lookup_ends_at_the_overall_timeout(dns_server):
    dns_server.ignore("slow.test")
    stop = threading.Event()

    def hanging_fetch(url, timeout):
        stop.wait(timeout)
        raise ConnectError("timeout")

    started = time.monotonic()
    found = discover(
        "alice@slow.test", resolver=dns_server.resolver(), fetch=hanging_fetch, timeout=0.4
    )
    stop.set()
    assert time.monotonic() - started < 1.2
    assert {failure.step for failure in found.failures} >= {"provider", "srv", "autoconfig"}
    assert found.imap[0].source == "guess"


def test_a_broken_fetcher_is_a_noted_failure_not_a_crash(dns_server):
    def broken_fetch(url, timeout):
        raise RuntimeError("surprise")

    found = discover("alice@example.test", resolver=dns_server.resolver(), fetch=broken_fetch)
    assert any("surprise" in failure.detail for failure in found.failures)
    assert found.imap


def test_candidates_pointing_inside_are_dropped_by_default(dns_server, web):
    dns_server.add("_imaps._tcp.example.test", "SRV", "0 1 993 localhost.")
    web.serve(
        AUTOCONFIG_PATH,
        config(
            ("incomingServer", "imap", "127.0.0.1", 993, "SSL", "%EMAILADDRESS%"),
            ("incomingServer", "pop3", "169.254.169.254", 995, "SSL", "%EMAILADDRESS%"),
            ("outgoingServer", "smtp", "[fd00::25]", 465, "SSL", "%EMAILADDRESS%"),
        ),
    )
    found = discover(
        "alice@example.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web)
    )
    assert {c.source for c in found.candidates} == {"guess"}
    dropped = [f.detail for f in found.failures if "internal address" in f.detail]
    assert len(dropped) == 4


def test_candidates_pointing_inside_are_kept_with_allow_private(dns_server, web):
    web.serve(
        AUTOCONFIG_PATH,
        config(("incomingServer", "imap", "127.0.0.1", 1993, "SSL", "%EMAILADDRESS%")),
    )
    found = discover(
        "alice@example.test",
        resolver=dns_server.resolver(),
        fetch=loopback_fetch(web),
        allow_private=True,
    )
    assert summary(found.imap)[0] == ("127.0.0.1", 1993, Security.TLS, "autoconfig")


def test_host_names_that_are_not_names_are_dropped(dns_server, web):
    web.serve(
        AUTOCONFIG_PATH,
        config(("incomingServer", "imap", "imap.example.test:993/x", 993, "SSL", "")),
    )
    found = discover(
        "alice@example.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web)
    )
    assert "autoconfig" not in {c.source for c in found.candidates}
    assert any("not a fully qualified host name" in f.detail for f in found.failures)


def test_an_international_domain_is_looked_up_in_its_ascii_form(dns_server, web):
    found = discover("zoé@exämple.test", resolver=dns_server.resolver(), fetch=loopback_fetch(web))
    assert found.imap[0].host == "imap.xn--exmple-cua.test"
    assert found.imap[0].username == "zoé@exämple.test"
    assert ("_imaps._tcp.xn--exmple-cua.test", "SRV") in dns_server.queries


@pytest.mark.parametrize(
    "email",
    [
        "",
        "nobody",
        "alice@",
        "@example.org",
        "alice@localhost",
        "alice@127.0.0.1",
        "alice@[127.0.0.1]",
        "ali ce@example.org",
        "alice@exa mple.org",
        "alice@example.org/path",
        "alice@example.org:8080",
        "alice@-example.org",
    ],
)
def test_what_is_not_an_address_is_refused(email):
    with pytest.raises(ValueError):
        parse_address(email)


def test_probe_reports_whether_a_port_accepts_connections():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        open_port = ServerCandidate(Protocol.IMAP, "127.0.0.1", port, Security.TLS, "a", "guess")
        assert probe(open_port, 1, allow_private=True)
    closed = ServerCandidate(Protocol.IMAP, "127.0.0.1", port, Security.TLS, "a", "guess")
    assert not probe(closed, 1, allow_private=True)


def test_probe_refuses_internal_hosts_by_default():
    candidate = ServerCandidate(Protocol.IMAP, "localhost", 993, Security.TLS, "a", "guess")
    with pytest.raises(BlockedAddressError):
        probe(candidate, 1)


def test_autoconfig_adds_no_django_or_celery_import_of_its_own():
    # The webmail package itself loads the Celery app; the mail modules must add nothing.
    code = (
        "import sys, webmail;"
        "before = set(sys.modules);"
        "import webmail.mail.autoconfig;"
        "added = [m for m in set(sys.modules) - before if m.split('.')[0] in ('django', 'celery')];"
        "sys.exit(f'added {added}' if added else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
