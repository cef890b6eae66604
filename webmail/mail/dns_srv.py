"""Mail settings from DNS: SRV records (RFC 6186, RFC 8314 §5.1) and MX hosts.

Every lookup goes through a dnspython resolver the caller passes in, so tests (and
a deployment with its own DNS) choose where the questions go. Answers are not
authenticated: a target found here is a suggestion, and the login check that uses
it verifies the server's certificate against that target's name.
"""

import random
import time
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.name
import dns.resolver

from webmail.mail.autoconfig_xml import ServerTemplate
from webmail.mail.types import Protocol, Security


@dataclass(frozen=True)
class SrvService:
    label: str
    protocol: Protocol
    security: Security


# RFC 8314 §5.1 adds "_submissions" to RFC 6186's services, and RFC 8314 prefers
# implicit TLS (§3): each protocol's implicit-TLS service is listed first.
SERVICES: tuple[SrvService, ...] = (
    SrvService("_imaps._tcp", Protocol.IMAP, Security.TLS),
    SrvService("_imap._tcp", Protocol.IMAP, Security.STARTTLS),
    SrvService("_pop3s._tcp", Protocol.POP3, Security.TLS),
    SrvService("_pop3._tcp", Protocol.POP3, Security.STARTTLS),
    SrvService("_submissions._tcp", Protocol.SMTP, Security.TLS),
    SrvService("_submission._tcp", Protocol.SMTP, Security.STARTTLS),
)


@dataclass(frozen=True)
class SrvRecord:
    priority: int
    weight: int
    port: int
    target: str  # lower case, without the final dot; "." stays "."


@dataclass
class SrvResult:
    templates: list[ServerTemplate] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def srv_templates(
    domain: str,
    resolver: dns.resolver.Resolver,
    *,
    lifetime: float,
    rng: random.Random | None = None,
) -> SrvResult:
    """Servers announced by the domain's SRV records, service by service in
    SERVICES order, each service's records in RFC 2782 order. A lookup that
    fails is noted in ``failures`` and the other services are still asked."""
    deadline = time.monotonic() + lifetime
    result = SrvResult()
    for service in SERVICES:
        name = f"{service.label}.{domain}"
        try:
            records = lookup_srv(resolver, name, lifetime=deadline - time.monotonic())
        except dns.exception.DNSException as error:
            result.failures.append(f"{name} SRV: {describe(error)}")
            continue
        result.templates.extend(_templates(service, order_records(records, rng)))
    return result


def _templates(service: SrvService, records: list[SrvRecord]) -> list[ServerTemplate]:
    # RFC 2782: a target of "." means the service is decidedly not available here.
    return [
        ServerTemplate(service.protocol, record.target, record.port, service.security)
        for record in records
        if record.target != "." and record.port > 0
    ]


def order_records(records: list[SrvRecord], rng: random.Random | None = None) -> list[SrvRecord]:
    """RFC 2782 "Usage rules": lowest priority first; within one priority a
    weighted random draw, so a heavier record tends to come first and a record
    of weight 0 has only a very small chance to."""
    rng = rng or random.Random()
    ordered: list[SrvRecord] = []
    for priority in sorted({record.priority for record in records}):
        same_priority = [record for record in records if record.priority == priority]
        ordered.extend(_weighted_order(same_priority, rng))
    return ordered


def _weighted_order(records: list[SrvRecord], rng: random.Random) -> list[SrvRecord]:
    # RFC 2782 puts weight-0 records first in the running sum: they win only
    # when the draw is exactly 0.
    remaining = sorted(records, key=lambda record: record.weight != 0)
    ordered = []
    while remaining:
        draw = rng.randint(0, sum(record.weight for record in remaining))
        running = 0
        for index, record in enumerate(remaining):
            running += record.weight
            if running >= draw:
                ordered.append(remaining.pop(index))
                break
    return ordered


def lookup_srv(resolver: dns.resolver.Resolver, name: str, *, lifetime: float) -> list[SrvRecord]:
    """The SRV records at ``name``, unordered; none when the name does not exist."""
    return [
        SrvRecord(record.priority, record.weight, record.port, host_text(record.target))
        for record in query(resolver, name, "SRV", lifetime=lifetime)
    ]


def lookup_mx(resolver: dns.resolver.Resolver, domain: str, *, lifetime: float) -> list[str]:
    """The domain's mail exchangers, most preferred first (RFC 5321 §5.1). A null
    MX (RFC 7505, a lone ".") yields none."""
    records = sorted(query(resolver, domain, "MX", lifetime=lifetime), key=lambda r: r.preference)
    return [host_text(record.exchange) for record in records if record.exchange != dns.name.root]


def query(resolver: dns.resolver.Resolver, name: str, rdtype: str, *, lifetime: float) -> list[Any]:
    """The records of one type at ``name``. A missing name or type is an empty
    answer, not an error; timeouts and server failures raise DNSException."""
    if lifetime <= 0:
        raise dns.exception.Timeout(timeout=0.0)
    # An absolute name: the resolver's search list must never be appended.
    qname = dns.name.from_text(name)
    try:
        answer = resolver.resolve(qname, rdtype, lifetime=lifetime, raise_on_no_answer=False)
    except dns.resolver.NXDOMAIN:
        return []
    return list(answer)


def host_text(name: dns.name.Name) -> str:
    if name == dns.name.root:
        return "."
    return name.to_text(omit_final_dot=True).lower()


def describe(error: dns.exception.DNSException) -> str:
    return f"{type(error).__name__}: {error}"
