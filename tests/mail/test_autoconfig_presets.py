"""The administrator's presets, handed to discover() as Provider values (no Django here)."""

import pytest

from tests.harness.dns_server import DNSServer
from webmail.mail.autoconfig import discover
from webmail.mail.autoconfig_xml import EMAIL_LOCAL_PART, ServerTemplate
from webmail.mail.providers import Provider
from webmail.mail.types import Protocol, Security

ORG = Provider(
    name="Org",
    domains=("gmail.com",),  # an organisation may pin even a bundled domain
    mx_patterns=("mx*.org.example",),
    servers=(
        ServerTemplate(Protocol.IMAP, "mail.org.example", 993, Security.TLS, EMAIL_LOCAL_PART),
        ServerTemplate(Protocol.SMTP, "mail.org.example", 465, Security.TLS, EMAIL_LOCAL_PART),
    ),
)
INTERNAL = Provider(
    name="Internal",
    domains=("corp.example",),
    servers=(
        ServerTemplate(Protocol.IMAP, "localhost", 993, Security.TLS),
        ServerTemplate(Protocol.SMTP, "10.1.2.3", 465, Security.TLS),
    ),
)


def no_fetch(url, timeout):
    raise AssertionError(f"fetched {url}")


def test_a_preset_comes_before_the_bundled_table_and_needs_no_lookup():
    found = discover("jean@gmail.com", resolver=object(), fetch=no_fetch, presets=[ORG])
    assert found.provider == "Org"
    assert [(c.host, c.username, c.source) for c in found.candidates] == [
        ("mail.org.example", "jean", "preset"),
        ("mail.org.example", "jean", "preset"),
    ]


def test_a_preset_may_point_at_internal_addresses_which_lookups_may_not():
    found = discover("a@corp.example", resolver=object(), fetch=no_fetch, presets=[INTERNAL])
    assert [c.host for c in found.candidates] == ["localhost", "10.1.2.3"]
    assert found.failures == ()


@pytest.fixture
def dns_server():
    with DNSServer() as server:
        yield server


def test_a_custom_domain_is_recognised_by_a_presets_mx_patterns(dns_server):
    dns_server.add("hosted.example", "MX", "10 mx1.org.example.")
    found = discover(
        "a@hosted.example", resolver=dns_server.resolver(), fetch=no_fetch, presets=[ORG], timeout=3
    )
    assert found.imap[0].host == "mail.org.example"
    assert found.imap[0].source == "preset"
