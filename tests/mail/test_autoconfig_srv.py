"""SRV discovery (RFC 6186, RFC 8314) against a DNS server on loopback."""

import random

import pytest

from tests.harness.dns_server import DNSServer
from webmail.mail.autoconfig_xml import ServerTemplate
from webmail.mail.dns_srv import SrvRecord, order_records, srv_templates
from webmail.mail.types import Protocol, Security

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS = Security.TLS, Security.STARTTLS


@pytest.fixture
def dns_server():
    with DNSServer() as server:
        yield server


def record(priority, weight, target="host.example.test"):
    return SrvRecord(priority, weight, 993, target)


def test_records_come_in_ascending_priority():
    records = [record(20, 0, "c"), record(0, 0, "a"), record(10, 0, "b")]
    assert [r.target for r in order_records(records)] == ["a", "b", "c"]


def test_a_heavier_record_usually_comes_first_within_a_priority():
    rng = random.Random(6186)
    heavy, light = record(0, 90, "heavy"), record(0, 10, "light")
    firsts = [order_records([light, heavy], rng)[0].target for _ in range(2000)]
    assert 0.85 < firsts.count("heavy") / len(firsts) < 0.95


def test_a_weight_zero_record_almost_never_comes_first():
    rng = random.Random(2782)
    records = [record(0, 0, "spare"), record(0, 50, "main")]
    firsts = [order_records(records, rng)[0].target for _ in range(1000)]
    assert firsts.count("spare") < 50


def test_priority_outranks_weight():
    records = [record(10, 1000, "backup"), record(0, 1, "primary")]
    assert order_records(records)[0].target == "primary"


def test_services_are_read_with_implicit_tls_before_starttls(dns_server):
    dns_server.add("_imap._tcp.example.test", "SRV", "0 1 143 imap.example.test.")
    dns_server.add("_imaps._tcp.example.test", "SRV", "0 1 993 imap.example.test.")
    dns_server.add("_submission._tcp.example.test", "SRV", "0 1 587 smtp.example.test.")
    dns_server.add("_submissions._tcp.example.test", "SRV", "0 1 465 smtp.example.test.")
    dns_server.add("_pop3s._tcp.example.test", "SRV", "0 1 995 pop.example.test.")
    found = srv_templates("example.test", dns_server.resolver(), lifetime=2)
    assert found.failures == []
    assert found.templates == [
        ServerTemplate(IMAP, "imap.example.test", 993, TLS),
        ServerTemplate(IMAP, "imap.example.test", 143, STARTTLS),
        ServerTemplate(POP3, "pop.example.test", 995, TLS),
        ServerTemplate(SMTP, "smtp.example.test", 465, TLS),
        ServerTemplate(SMTP, "smtp.example.test", 587, STARTTLS),
    ]


def test_each_service_lists_its_records_by_priority(dns_server):
    dns_server.add(
        "_imaps._tcp.example.test",
        "SRV",
        "20 0 993 backup.example.test.",
        "10 0 993 Primary.Example.Test.",
    )
    found = srv_templates("example.test", dns_server.resolver(), lifetime=2)
    assert [t.host for t in found.templates] == ["primary.example.test", "backup.example.test"]


def test_a_dot_target_means_the_service_is_not_provided(dns_server):
    dns_server.add("_imap._tcp.example.test", "SRV", "0 0 0 .")
    dns_server.add("_pop3._tcp.example.test", "SRV", "0 0 0 .")
    dns_server.add("_imaps._tcp.example.test", "SRV", "0 1 993 imap.example.test.")
    found = srv_templates("example.test", dns_server.resolver(), lifetime=2)
    assert found.templates == [ServerTemplate(IMAP, "imap.example.test", 993, TLS)]
    assert found.failures == []


def test_a_domain_without_srv_records_yields_nothing_and_no_failure(dns_server):
    found = srv_templates("example.test", dns_server.resolver(), lifetime=2)
    assert (found.templates, found.failures) == ([], [])


def test_a_failing_lookup_is_noted_and_the_other_services_still_count(dns_server):
    dns_server.fail("_imap._tcp.example.test")
    dns_server.add("_imaps._tcp.example.test", "SRV", "0 1 993 imap.example.test.")
    found = srv_templates("example.test", dns_server.resolver(), lifetime=2)
    assert found.templates == [ServerTemplate(IMAP, "imap.example.test", 993, TLS)]
    [failure] = found.failures
    assert failure.startswith("_imap._tcp.example.test SRV: NoNameservers")


def test_lookups_stop_when_the_lifetime_is_spent(dns_server):
    dns_server.ignore("example.test")
    found = srv_templates("example.test", dns_server.resolver(), lifetime=0.2)
    assert found.templates == []
    assert len(found.failures) == 6
    assert all("Timeout" in failure for failure in found.failures)
