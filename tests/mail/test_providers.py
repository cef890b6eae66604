"""The bundled provider table, by domain and by MX host."""

import pytest

from tests.harness.dns_server import DNSServer
from webmail.mail.autoconfig_xml import EMAIL_ADDRESS, EMAIL_LOCAL_PART
from webmail.mail.dns_srv import lookup_mx
from webmail.mail.providers import (
    PROVIDERS,
    provider_for_domain,
    provider_for_mx,
)
from webmail.mail.types import Protocol, Security

DOMAINS = {
    "Gmail": ["gmail.com", "googlemail.com"],
    "Outlook.com": ["outlook.com", "hotmail.com", "hotmail.fr", "live.com", "live.fr", "msn.com"],
    "Yahoo": ["yahoo.com", "yahoo.fr", "ymail.com"],
    "iCloud": ["icloud.com", "me.com", "mac.com"],
    "GMX": ["gmx.com", "gmx.fr"],
    "GMX (Germany)": ["gmx.net", "gmx.de"],
    "Fastmail": ["fastmail.com", "fastmail.fm"],
    "Zoho Mail": ["zoho.com", "zohomail.com"],
    "Orange": ["orange.fr", "wanadoo.fr"],
    "Free": ["free.fr"],
    "SFR": ["sfr.fr", "neuf.fr"],
    "La Poste": ["laposte.net"],
    "OVHcloud": ["ovh.net", "ovh.com"],
}


def first(provider, protocol):
    return next(server for server in provider.servers if server.protocol is protocol)


@pytest.mark.parametrize(
    ("domain", "name"), [(domain, name) for name, domains in DOMAINS.items() for domain in domains]
)
def test_each_listed_domain_finds_its_provider(domain, name):
    assert provider_for_domain(domain).name == name


def test_domain_lookups_ignore_case_and_a_final_dot():
    assert provider_for_domain("GMail.COM.").name == "Gmail"


def test_an_unknown_domain_finds_nothing():
    assert provider_for_domain("example.org") is None


@pytest.mark.parametrize(
    ("domain", "protocol", "host", "port", "security"),
    [
        ("gmail.com", Protocol.IMAP, "imap.gmail.com", 993, Security.TLS),
        ("gmail.com", Protocol.SMTP, "smtp.gmail.com", 465, Security.TLS),
        ("hotmail.fr", Protocol.IMAP, "outlook.office365.com", 993, Security.TLS),
        ("hotmail.fr", Protocol.POP3, "outlook.office365.com", 995, Security.TLS),
        ("hotmail.fr", Protocol.SMTP, "smtp-mail.outlook.com", 587, Security.STARTTLS),
        ("yahoo.fr", Protocol.IMAP, "imap.mail.yahoo.com", 993, Security.TLS),
        ("me.com", Protocol.IMAP, "imap.mail.me.com", 993, Security.TLS),
        ("me.com", Protocol.SMTP, "smtp.mail.me.com", 587, Security.STARTTLS),
        ("orange.fr", Protocol.IMAP, "imap.orange.fr", 993, Security.TLS),
        ("orange.fr", Protocol.SMTP, "smtp.orange.fr", 465, Security.TLS),
        ("free.fr", Protocol.IMAP, "imap.free.fr", 993, Security.TLS),
        ("sfr.fr", Protocol.SMTP, "smtp.sfr.fr", 465, Security.TLS),
        ("laposte.net", Protocol.IMAP, "imap.laposte.net", 993, Security.TLS),
        ("laposte.net", Protocol.SMTP, "smtp.laposte.net", 465, Security.TLS),
        ("ovh.net", Protocol.IMAP, "ssl0.ovh.net", 993, Security.TLS),
    ],
)
def test_the_preferred_server_of_each_protocol(domain, protocol, host, port, security):
    server = first(provider_for_domain(domain), protocol)
    assert (server.host, server.port, server.security) == (host, port, security)


def test_free_also_offers_submission_on_587():
    servers = provider_for_domain("free.fr").servers
    assert any(s.host == "smtp.free.fr" and s.port == 587 for s in servers)


def test_icloud_imap_logs_in_with_the_local_part_and_smtp_with_the_address():
    icloud = provider_for_domain("icloud.com")
    assert first(icloud, Protocol.IMAP).username == EMAIL_LOCAL_PART
    assert first(icloud, Protocol.SMTP).username == EMAIL_ADDRESS
    assert not [server for server in icloud.servers if server.protocol is Protocol.POP3]


def test_no_domain_belongs_to_two_providers():
    domains = [domain for provider in PROVIDERS for domain in provider.domains]
    assert len(domains) == len(set(domains))


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda provider: provider.name)
def test_every_provider_receives_and_sends_encrypted(provider):
    protocols = {server.protocol for server in provider.servers}
    assert {Protocol.IMAP, Protocol.SMTP} <= protocols
    assert all(server.security is not Security.PLAIN for server in provider.servers)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda provider: provider.name)
def test_implicit_tls_comes_before_starttls_for_each_protocol(provider):
    for protocol in Protocol:
        kinds = [s.security for s in provider.servers if s.protocol is protocol]
        assert kinds == sorted(kinds, key=lambda security: security is not Security.TLS)


@pytest.mark.parametrize(
    ("mx_host", "name"),
    [
        ("aspmx.l.google.com", "Gmail"),
        ("ALT1.ASPMX.L.GOOGLE.COM.", "Gmail"),
        ("smtp.google.com", "Gmail"),
        ("aspmx2.googlemail.com", "Gmail"),
        ("example-org.mail.protection.outlook.com", "Microsoft 365"),
        ("mx1.mail.ovh.net", "OVHcloud"),
        ("mx4.ovh.net", "OVHcloud"),
    ],
)
def test_custom_domains_are_recognised_by_their_mx(mx_host, name):
    assert provider_for_mx([mx_host]).name == name


@pytest.mark.parametrize(
    "mx_host",
    ["mx.example.org", "google.com.attacker.example", "evilgoogle.com", "mail.ovh.net.example"],
)
def test_other_or_lookalike_mx_hosts_match_nothing(mx_host):
    assert provider_for_mx([mx_host]) is None


def test_the_most_preferred_matching_mx_decides():
    hosts = ["mx.example.org", "example-org.mail.protection.outlook.com", "aspmx.l.google.com"]
    assert provider_for_mx(hosts).name == "Microsoft 365"


def test_microsoft_365_sends_through_smtp_office365_com():
    office = provider_for_mx(["contoso-com.mail.protection.outlook.com"])
    smtp = first(office, Protocol.SMTP)
    assert (smtp.host, smtp.port, smtp.security) == ("smtp.office365.com", 587, Security.STARTTLS)


def test_mx_hosts_come_from_dns_in_preference_order():
    with DNSServer() as dns_server:
        dns_server.add(
            "example.test",
            "MX",
            "20 alt1.aspmx.l.google.com.",
            "10 example-test.mail.protection.outlook.com.",
        )
        hosts = lookup_mx(dns_server.resolver(), "example.test", lifetime=2)
    assert hosts == ["example-test.mail.protection.outlook.com", "alt1.aspmx.l.google.com"]
    assert provider_for_mx(hosts).name == "Microsoft 365"


def test_a_null_mx_yields_no_hosts():
    with DNSServer() as dns_server:
        dns_server.add("example.test", "MX", "0 .")
        assert lookup_mx(dns_server.resolver(), "example.test", lifetime=2) == []
