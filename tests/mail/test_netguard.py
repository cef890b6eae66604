"""SSRF protection: internal addresses are refused, by name, literal, redirect or
rebinding, and fetches are capped in time and size. Loopback servers only."""

import socket
import time

import pytest

from tests.harness.http_server import HTTPServer, Route
from webmail.mail.errors import ConnectError, TLSError
from webmail.mail.netguard import (
    BlockedAddressError,
    FetchError,
    fetch_url,
    host_is_allowed,
    is_internal_name,
    is_public_address,
    post_form,
    resolve_public,
)

INTERNAL_ADDRESSES = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
    "224.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "::1",
    "::",
    "fd12:3456::1",  # unique local
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::ffff:10.0.0.1",
    "64:ff9b::7f00:1",  # NAT64 form of 127.0.0.1
    "2001:db8::1",
]
PUBLIC_ADDRESSES = ["1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "64:ff9b::808:808"]


@pytest.fixture
def server():
    with HTTPServer() as running:
        yield running


def pretend_public(name: str):
    """A resolver that says ``name`` is public but lives on 127.0.0.1 (as a
    rebinding attacker would) and vets every other name for real."""

    def resolve(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == name else resolve_public(host, port)

    return resolve


@pytest.mark.parametrize("address", INTERNAL_ADDRESSES)
def test_internal_addresses_are_refused_by_default(address):
    assert not is_public_address(address)
    with pytest.raises(BlockedAddressError):
        resolve_public(address, 443)


@pytest.mark.parametrize("address", INTERNAL_ADDRESSES)
def test_internal_addresses_are_allowed_with_allow_private(address):
    assert resolve_public(address, 443, allow_private=True)


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_pass(address):
    assert is_public_address(address)
    assert resolve_public(address, 443) == [address]


def test_localhost_is_refused_by_name():
    with pytest.raises(BlockedAddressError):
        resolve_public("localhost", 80)


def test_bracketed_ipv6_literals_are_understood():
    with pytest.raises(BlockedAddressError):
        resolve_public("[::1]", 80)


@pytest.mark.parametrize("host", ["localhost", "imap.localhost", "127.0.0.1", "[::1]", "10.0.0.7"])
def test_names_known_internal_without_dns_are_recognised(host):
    assert is_internal_name(host)


@pytest.mark.parametrize("host", ["imap.example.org", "1.1.1.1", "localhost.example.org"])
def test_other_names_are_not_judged_without_dns(host):
    assert not is_internal_name(host)


def test_a_loopback_server_is_refused_before_any_request(server):
    server.serve("/config.xml", b"<clientConfig/>")
    with pytest.raises(BlockedAddressError):
        fetch_url(server.url("/config.xml"))
    assert server.requests == []


def test_a_loopback_server_is_reached_with_allow_private(server):
    server.serve("/config.xml", b"<clientConfig/>")
    result = fetch_url(server.url("/config.xml"), allow_private=True)
    assert result.status == 200
    assert result.body == b"<clientConfig/>"
    assert result.content_type == "application/xml"


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/inner",
        "http://localhost:{port}/inner",
        "http://[::ffff:127.0.0.1]:{port}/inner",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/inner",
        "http://[fd00::1]/inner",
    ],
)
def test_a_redirect_to_an_internal_address_is_refused(server, location):
    server.redirect("/start", location.format(port=server.port))
    server.serve("/inner", b"secret")
    url = server.url("/start", host="autoconfig.example.test")
    with pytest.raises(BlockedAddressError):
        fetch_url(url, resolve=pretend_public("autoconfig.example.test"))
    assert [request.path for request in server.requests] == ["/start"]


def test_redirects_are_followed_and_revetted_with_allow_private(server):
    server.redirect("/start", server.url("/inner"))
    server.serve("/inner", b"found")
    result = fetch_url(server.url("/start"), allow_private=True)
    assert result.body == b"found"
    assert result.url == server.url("/inner")


def test_relative_redirects_are_resolved_against_the_current_url(server):
    server.redirect("/a/start", "../inner", status=301)
    server.serve("/inner", b"found")
    assert fetch_url(server.url("/a/start"), allow_private=True).body == b"found"


def test_three_redirects_are_followed(server):
    for hop in range(3):
        server.redirect(f"/{hop}", f"/{hop + 1}")
    server.serve("/3", b"end")
    assert fetch_url(server.url("/0"), allow_private=True).body == b"end"


def test_a_fourth_redirect_is_refused(server):
    for hop in range(4):
        server.redirect(f"/{hop}", f"/{hop + 1}")
    server.serve("/4", b"end")
    with pytest.raises(FetchError) as refused:
        fetch_url(server.url("/0"), allow_private=True)
    assert refused.value.code == "too_many_redirects"


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "gopher://example.org/", "//example.org/"]
)
def test_only_http_and_https_urls_are_fetched(url):
    with pytest.raises(FetchError) as refused:
        fetch_url(url, allow_private=True)
    assert refused.value.code == "bad_url"


def test_urls_with_credentials_are_refused(server):
    with pytest.raises(FetchError) as refused:
        fetch_url(server.url("/x", host="user:password@127.0.0.1"), allow_private=True)
    assert refused.value.code == "bad_url"
    assert server.requests == []


def test_an_error_status_is_a_fetch_error(server):
    with pytest.raises(FetchError) as refused:
        fetch_url(server.url("/missing"), allow_private=True)
    assert refused.value.code == "http_status"
    assert "404" in refused.value.detail


def test_no_cookies_or_credentials_are_sent_even_when_a_server_sets_them(server):
    server.routes["/start"] = Route(302, headers={"Location": "/next", "Set-Cookie": "id=1"})
    server.serve("/next", b"ok")
    fetch_url(server.url("/start"), allow_private=True)
    for request in server.requests:
        names = {name.lower() for name in request.headers}
        assert not names & {"cookie", "authorization", "proxy-authorization"}
        assert request.headers["Accept-Encoding"] == "identity"


def test_an_announced_oversized_body_is_refused(server):
    server.serve("/big", b"x" * 1001)
    with pytest.raises(FetchError) as refused:
        fetch_url(server.url("/big"), allow_private=True, max_bytes=1000)
    assert refused.value.code == "too_large"


def test_an_unannounced_oversized_body_is_cut_off(server):
    server.serve("/big", b"x" * 300_000, unsized=True)
    with pytest.raises(FetchError) as refused:
        fetch_url(server.url("/big"), allow_private=True)
    assert refused.value.code == "too_large"


def test_a_body_at_the_size_cap_is_accepted(server):
    server.serve("/exact", b"x" * 1000, unsized=True)
    assert len(fetch_url(server.url("/exact"), allow_private=True, max_bytes=1000).body) == 1000


def test_a_body_dripped_slowly_is_abandoned_at_the_timeout(server):
    server.serve("/slow", b"x" * 1000, drip="body")
    started = time.monotonic()
    with pytest.raises(ConnectError) as failed:
        fetch_url(server.url("/slow"), allow_private=True, timeout=0.3)
    assert failed.value.code == "timeout"
    assert time.monotonic() - started < 1.0


def test_headers_dripped_slowly_are_abandoned_at_the_timeout(server):
    # Each byte arrives well within a per-recv timeout; only an overall cap stops this.
    server.serve("/slow", b"", drip="headers")
    started = time.monotonic()
    with pytest.raises(ConnectError) as failed:
        fetch_url(server.url("/slow"), allow_private=True, timeout=0.3)
    assert failed.value.code == "timeout"
    assert time.monotonic() - started < 1.0


def test_the_connection_goes_to_the_vetted_address_without_resolving_again(server):
    server.serve("/config.xml", b"pinned")
    asked = []

    def resolve(host, port):
        asked.append((host, port))
        return ["127.0.0.1"]

    # rebind.example.test exists nowhere else: a second, system lookup would fail.
    url = server.url("/config.xml", host="rebind.example.test")
    assert fetch_url(url, resolve=resolve).body == b"pinned"
    assert asked == [("rebind.example.test", server.port)]
    assert server.requests[0].headers["Host"] == f"rebind.example.test:{server.port}"


def test_connection_failures_are_connect_errors():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(ConnectError) as failed:
        fetch_url(f"http://127.0.0.1:{port}/", allow_private=True)
    assert failed.value.code == "refused"


# --- https: the name is verified while the vetted address is dialled ------------


def to_loopback(host, port):
    return ["127.0.0.1"]


def test_https_verifies_the_certificate_against_the_url_name(tls_server, certs):
    tls_server.serve("/config.xml", b"secure")
    url = tls_server.url("/config.xml", host="localhost")
    result = fetch_url(url, resolve=to_loopback, ssl_context=certs.client_context())
    assert result.body == b"secure"


def test_https_refuses_a_certificate_for_another_name(tls_server, certs):
    tls_server.serve("/config.xml", b"secure")
    url = tls_server.url("/config.xml", host="autoconfig.example.test")
    with pytest.raises(TLSError) as refused:
        fetch_url(url, resolve=to_loopback, ssl_context=certs.client_context())
    assert refused.value.code == "certificate_wrong_host"


def test_https_refuses_an_unknown_issuer_by_default(tls_server):
    tls_server.serve("/config.xml", b"secure")
    with pytest.raises(TLSError) as refused:
        fetch_url(tls_server.url("/config.xml", host="localhost"), resolve=to_loopback)
    assert refused.value.code == "certificate_untrusted"


def test_an_https_page_cannot_redirect_to_plain_http(tls_server, server, certs):
    tls_server.redirect("/start", server.url("/next"))
    server.serve("/next", b"downgraded")
    url = tls_server.url("/start", host="localhost")
    with pytest.raises(FetchError) as refused:
        fetch_url(url, resolve=to_loopback, ssl_context=certs.client_context())
    assert refused.value.code == "insecure_redirect"
    assert server.requests == []


# --- post_form: one POST, no redirect followed (one-click unsubscription) --------

FORM = b"List-Unsubscribe=One-Click"


def test_a_form_is_posted_once_with_its_content_type(server):
    server.serve("/unsubscribe", b"", status=202)
    status = post_form(server.url("/unsubscribe?list=7"), FORM, allow_private=True)
    [request] = server.requests
    assert status == 202
    assert (request.method, request.path, request.query) == ("POST", "/unsubscribe", "list=7")
    assert request.body == FORM
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "Cookie" not in request.headers


def test_a_redirect_answering_a_post_is_returned_not_followed(server):
    server.redirect("/unsubscribe", server.url("/elsewhere"), status=307)
    server.serve("/elsewhere", b"")
    assert post_form(server.url("/unsubscribe"), FORM, allow_private=True) == 307
    assert [request.path for request in server.requests] == ["/unsubscribe"]


def test_an_error_status_is_returned_as_it_is(server):
    server.serve("/unsubscribe", b"oops", status=500)
    assert post_form(server.url("/unsubscribe"), FORM, allow_private=True) == 500


def test_a_post_to_a_loopback_address_is_refused_before_connecting(server):
    with pytest.raises(BlockedAddressError):
        post_form(server.url("/unsubscribe"), FORM)
    with pytest.raises(BlockedAddressError):
        post_form(server.url("/unsubscribe", host="localhost"), FORM)
    assert server.requests == []


def test_a_post_whose_answer_drips_is_abandoned_at_the_timeout(server):
    server.serve("/unsubscribe", b"", drip="headers")
    with pytest.raises(ConnectError) as failed:
        post_form(server.url("/unsubscribe"), FORM, allow_private=True, timeout=0.3)
    assert failed.value.code == "timeout"


def test_a_post_over_https_verifies_the_url_name(tls_server, certs):
    tls_server.serve("/unsubscribe", b"")
    url = tls_server.url("/unsubscribe", host="localhost")
    assert post_form(url, FORM, resolve=to_loopback, ssl_context=certs.client_context()) == 200
    assert tls_server.requests[0].body == FORM
    with pytest.raises(TLSError):
        post_form(url, FORM, resolve=to_loopback)  # the test CA is not trusted by default


# --- The administrator's allow and block lists -----------------------------------


def test_every_host_is_allowed_when_both_lists_are_empty():
    assert host_is_allowed("imap.example.org", [], [])


def test_a_blocked_name_is_refused_whatever_its_case_or_final_dot():
    assert not host_is_allowed("IMAP.Example.org.", [], ["imap.example.org"])
    assert host_is_allowed("smtp.example.org", [], ["imap.example.org"])


def test_a_wildcard_covers_names_below_the_domain_but_not_the_domain_itself():
    blocked = ["*.corp.example"]
    assert not host_is_allowed("mail.corp.example", [], blocked)
    assert not host_is_allowed("a.b.corp.example", [], blocked)
    assert host_is_allowed("corp.example", [], blocked)
    assert host_is_allowed("evilcorp.example", [], blocked)


def test_an_allow_list_refuses_every_other_host():
    allowed = ["mail.example.org", "*.partner.example"]
    assert host_is_allowed("mail.example.org", allowed, [])
    assert host_is_allowed("imap.partner.example", allowed, [])
    assert not host_is_allowed("imap.gmail.com", allowed, [])


def test_the_block_list_wins_over_the_allow_list():
    assert not host_is_allowed(
        "old.partner.example", ["*.partner.example"], ["old.partner.example"]
    )


def test_networks_match_address_literals_including_ipv4_mapped_forms():
    blocked = ["10.0.0.0/8", "2001:db8::/32"]
    assert not host_is_allowed("10.2.3.4", [], blocked)
    assert not host_is_allowed("::ffff:10.2.3.4", [], blocked)
    assert not host_is_allowed("[2001:db8::25]", [], blocked)
    assert host_is_allowed("192.0.2.1", [], blocked)


def test_networks_match_names_through_the_addresses_the_caller_resolved():
    assert not host_is_allowed("mail.example.org", [], ["10.0.0.0/8"], addresses=["10.9.9.9"])
    assert host_is_allowed("mail.example.org", [], ["10.0.0.0/8"], addresses=["192.0.2.7"])


def test_an_allowed_network_must_hold_every_address_of_a_name():
    allowed = ["192.0.2.0/24"]
    assert host_is_allowed("mx.example.org", allowed, [], addresses=["192.0.2.1", "192.0.2.2"])
    assert not host_is_allowed("mx.example.org", allowed, [], addresses=["192.0.2.1", "8.8.8.8"])
    assert not host_is_allowed("mx.example.org", allowed, [])


def test_a_single_address_is_a_network_of_one():
    assert not host_is_allowed("192.0.2.1", [], ["192.0.2.1"])
    assert host_is_allowed("192.0.2.2", [], ["192.0.2.1"])


def test_a_malformed_network_is_an_error_rather_than_no_rule():
    with pytest.raises(ValueError):
        host_is_allowed("10.0.0.1", [], ["10.0.0.0/33"])
