"""Mail server settings from an e-mail address alone.

discover() gathers candidates from these sources, in this order of trust:

0. "preset": the administrator's own provider presets, passed in by the caller,
   by domain or MX hosts; trusted like the table, and their hosts may be internal
   (an organisation's own server);
1. "provider": the bundled table of common providers (webmail.mail.providers),
   by the address's domain or, for a custom domain, by its MX hosts;
2. "srv": the domain's SRV records (RFC 6186, RFC 8314 §5.1);
3. "autoconfig": Thunderbird-style autoconfig documents served by the domain;
4. "guess": conventional host names on the standard ports.

Nothing here logs in or even connects to a mail server: the candidates are
proposals that the login check tries in order. The lookups run in parallel
within one overall timeout; a failing source is noted in Discovery.failures and
the others still count.
"""

import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlencode

import dns.exception
import dns.resolver

from webmail.mail import dns_srv, netguard, providers
from webmail.mail.autoconfig_xml import (
    ConfigDocumentError,
    ServerTemplate,
    expand_placeholders,
    parse_config,
)
from webmail.mail.errors import ConnectError, MailError
from webmail.mail.types import Protocol, Security

Fetch = Callable[[str, float], bytes]
"""fetch(url, timeout) -> body; raises on any failure (see netguard.fetch_url)."""

SOURCES = ("preset", "provider", "srv", "autoconfig", "guess")

# Conventional names on the standard ports: implicit TLS first (RFC 8314 §3), then
# STARTTLS; a guess never proposes an unencrypted connection.
_GUESSES: tuple[tuple[Protocol, tuple[str, ...], tuple[tuple[int, Security], ...]], ...] = (
    (Protocol.IMAP, ("imap", "mail"), ((993, Security.TLS), (143, Security.STARTTLS))),
    (Protocol.POP3, ("pop", "pop3", "mail"), ((995, Security.TLS), (110, Security.STARTTLS))),
    (Protocol.SMTP, ("smtp", "mail"), ((465, Security.TLS), (587, Security.STARTTLS))),
)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# The last label starts with a letter, which rules out IPv4 addresses as domains.
_DOMAIN = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?")
_HOST_NAME = re.compile(rf"(?=.{{1,253}}$)(?:{_LABEL}\.)+{_LABEL}")


@dataclass(frozen=True)
class ServerCandidate:
    protocol: Protocol
    host: str
    port: int
    security: Security
    username: str  # the address, or its local part, as the source says
    source: str  # one of SOURCES


@dataclass(frozen=True)
class StepFailure:
    step: str  # a source, or "dns" when no resolver could be set up
    detail: str


@dataclass(frozen=True)
class Discovery:
    address: str
    candidates: tuple[ServerCandidate, ...]
    failures: tuple[StepFailure, ...] = ()
    provider: str = ""  # the provider's name when the table recognised one

    def for_protocol(self, protocol: Protocol) -> tuple[ServerCandidate, ...]:
        return tuple(c for c in self.candidates if c.protocol is protocol)

    @property
    def imap(self) -> tuple[ServerCandidate, ...]:
        return self.for_protocol(Protocol.IMAP)

    @property
    def pop3(self) -> tuple[ServerCandidate, ...]:
        return self.for_protocol(Protocol.POP3)

    @property
    def smtp(self) -> tuple[ServerCandidate, ...]:
        return self.for_protocol(Protocol.SMTP)


@dataclass(frozen=True)
class EmailAddress:
    local_part: str
    domain: str  # lower case, as typed: what %EMAILADDRESS% expands to
    ascii_domain: str  # IDNA form, for DNS names and URLs

    @property
    def address(self) -> str:
        return f"{self.local_part}@{self.domain}"


@dataclass
class _StepResult:
    source: str
    templates: list[ServerTemplate] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    provider_name: str = ""


def parse_address(email: str) -> EmailAddress:
    """Split and check an address; ValueError when it cannot be one."""
    local_part, at, domain = email.strip().rpartition("@")
    domain = domain.rstrip(".").lower()
    ascii_domain = _idna(domain)
    printable = local_part.isprintable() and not any(ch.isspace() for ch in local_part)
    if not (at and local_part and len(local_part) <= 64 and printable):
        raise ValueError(f"not an e-mail address: {email!r}")
    if not _DOMAIN.fullmatch(ascii_domain):
        raise ValueError(f"not an e-mail domain: {domain!r}")
    return EmailAddress(local_part, domain, ascii_domain)


def _idna(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""


def discover(
    email: str,
    *,
    resolver: dns.resolver.Resolver | None = None,
    fetch: Fetch | None = None,
    allow_private: bool = False,
    timeout: float = 10.0,
    presets: Sequence[providers.Provider] = (),
) -> Discovery:
    """Candidate servers for ``email``, best first within each protocol.

    A domain in the provider table gets its table entry and nothing else: the
    table is curated, and no lookup means nothing about the person leaves this
    server. Any other domain is looked up (MX, SRV, autoconfig) through
    ``resolver`` (default: the system's) and ``fetch`` (default: netguard's
    fetch_url, which refuses internal addresses unless ``allow_private``), all
    within ``timeout`` seconds; guesses complete the list. Candidates pointing
    at internal addresses are dropped unless ``allow_private`` (or they come from
    one of the administrator's ``presets``, which are looked at before the table).

    Raises ValueError when ``email`` is not an address.
    """
    address = parse_address(email)
    known = providers.provider_for_domain(address.ascii_domain, presets)
    if known is not None:
        source = "preset" if known in presets else "provider"
        step = _StepResult(source, list(known.servers), provider_name=known.name)
        return _assemble(address, [step], allow_private=allow_private)
    deadline = time.monotonic() + timeout
    fetch = fetch or _default_fetch(allow_private)
    steps = _look_up(address, resolver, fetch, deadline, tuple(presets))
    steps.append(_StepResult("guess", guess_templates(address.ascii_domain)))
    return _assemble(address, steps, allow_private=allow_private)


def autoconfig_urls(address: EmailAddress) -> list[str]:
    """Where a domain may publish its autoconfig document. https only: Thunderbird
    also tries plain http, but then anyone on the path could rewrite the answer
    and collect the password on a server of their own."""
    query = urlencode({"emailaddress": address.address})
    return [
        f"https://autoconfig.{address.ascii_domain}/mail/config-v1.1.xml?{query}",
        f"https://{address.ascii_domain}/.well-known/autoconfig/mail/config-v1.1.xml",
    ]


def guess_templates(domain: str) -> list[ServerTemplate]:
    """imap./mail./pop./pop3./smtp. names on the standard ports, never probed here."""
    return [
        ServerTemplate(protocol, f"{prefix}.{domain}", port, security)
        for protocol, prefixes, ports in _GUESSES
        for port, security in ports
        for prefix in prefixes
    ]


def probe(candidate: ServerCandidate, timeout: float = 3.0, *, allow_private: bool = False) -> bool:
    """Whether something accepts TCP connections at the candidate's address: a
    cheap hint, not a login. Raises netguard.BlockedAddressError for an internal
    host unless ``allow_private``."""
    try:
        connection = netguard.connect_vetted(
            candidate.host, candidate.port, timeout=timeout, allow_private=allow_private
        )
    except netguard.BlockedAddressError:
        raise
    except ConnectError:
        return False
    connection.close()
    return True


# --- Lookups --------------------------------------------------------------------


def _look_up(
    address: EmailAddress,
    resolver: dns.resolver.Resolver | None,
    fetch: Fetch,
    deadline: float,
    presets: tuple[providers.Provider, ...] = (),
) -> list[_StepResult]:
    jobs, failures = _jobs(address, resolver, fetch, deadline, presets)
    pool = ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="autoconfig")
    try:
        futures = [(source, pool.submit(job)) for source, job in jobs]
        return failures + [_outcome(source, future, deadline) for source, future in futures]
    finally:
        # A lookup still running at the deadline is abandoned, not awaited: its
        # own timeout (the same deadline) ends it moments later.
        pool.shutdown(wait=False, cancel_futures=True)


def _jobs(
    address: EmailAddress,
    resolver: dns.resolver.Resolver | None,
    fetch: Fetch,
    deadline: float,
    presets: tuple[providers.Provider, ...],
) -> tuple[list[tuple[str, Callable[[], _StepResult]]], list[_StepResult]]:
    jobs: list[tuple[str, Callable[[], _StepResult]]] = []
    failures = []
    try:
        resolver = resolver or dns.resolver.Resolver()
    except (dns.exception.DNSException, OSError) as error:
        failures.append(_StepResult("dns", failures=[f"no DNS resolver: {error}"]))
    else:
        by_mx = partial(_provider_by_mx, address, resolver, deadline, presets)
        jobs.append(("provider", by_mx))
        jobs.append(("srv", partial(_srv, address, resolver, deadline)))
    for url in autoconfig_urls(address):
        jobs.append(("autoconfig", partial(_autoconfig, url, fetch, deadline)))
    return jobs, failures


def _outcome(source: str, future: Future[_StepResult], deadline: float) -> _StepResult:
    try:
        return future.result(timeout=_remaining(deadline))
    except TimeoutError:
        return _StepResult(source, failures=["no answer within the overall timeout"])
    except Exception as error:  # an injected resolver or fetcher may raise anything
        return _StepResult(source, failures=[f"{type(error).__name__}: {error}"])


def _provider_by_mx(
    address: EmailAddress,
    resolver: dns.resolver.Resolver,
    deadline: float,
    presets: tuple[providers.Provider, ...] = (),
) -> _StepResult:
    try:
        mx_hosts = dns_srv.lookup_mx(resolver, address.ascii_domain, lifetime=_remaining(deadline))
    except dns.exception.DNSException as error:
        return _StepResult("provider", failures=[f"MX lookup: {dns_srv.describe(error)}"])
    provider = providers.provider_for_mx(mx_hosts, presets)
    if provider is None:
        return _StepResult("provider")
    source = "preset" if provider in presets else "provider"
    return _StepResult(source, list(provider.servers), provider_name=provider.name)


def _srv(address: EmailAddress, resolver: dns.resolver.Resolver, deadline: float) -> _StepResult:
    found = dns_srv.srv_templates(address.ascii_domain, resolver, lifetime=_remaining(deadline))
    return _StepResult("srv", found.templates, found.failures)


def _autoconfig(url: str, fetch: Fetch, deadline: float) -> _StepResult:
    try:
        templates = parse_config(fetch(url, _remaining(deadline)))
    except (MailError, ConfigDocumentError, OSError) as error:
        return _StepResult("autoconfig", failures=[f"{url}: {type(error).__name__}: {error}"])
    return _StepResult("autoconfig", templates)


def _default_fetch(allow_private: bool) -> Fetch:
    def fetch(url: str, timeout: float) -> bytes:
        return netguard.fetch_url(url, allow_private=allow_private, timeout=timeout).body

    return fetch


def _remaining(deadline: float) -> float:
    return max(0.0, deadline - time.monotonic())


# --- Assembly -------------------------------------------------------------------


def _assemble(address: EmailAddress, steps: list[_StepResult], *, allow_private: bool) -> Discovery:
    candidates: dict[tuple[Protocol, str, int, Security], ServerCandidate] = {}
    failures = [StepFailure(step.source, detail) for step in steps for detail in step.failures]
    for step in steps:
        for template in step.templates:
            candidate = _candidate(template, address, step.source)
            # The administrator's presets may name the organisation's internal server.
            trusted = allow_private or step.source == "preset"
            problem = _problem(candidate, allow_private=trusted)
            if problem:
                failures.append(StepFailure(step.source, problem))
                continue
            key = (candidate.protocol, candidate.host, candidate.port, candidate.security)
            candidates.setdefault(key, candidate)  # the first, most trusted source wins
    provider_name = next((step.provider_name for step in steps if step.provider_name), "")
    return Discovery(address.address, tuple(candidates.values()), tuple(failures), provider_name)


def _candidate(template: ServerTemplate, address: EmailAddress, source: str) -> ServerCandidate:
    # Host names go to DNS in their ASCII form; a user name keeps the address as typed.
    host = expand_placeholders(
        template.host, local_part=address.local_part, domain=address.ascii_domain
    )
    username = expand_placeholders(
        template.username, local_part=address.local_part, domain=address.domain
    )
    return ServerCandidate(
        template.protocol,
        netguard.normalise_host(host),
        template.port,
        template.security,
        username,
        source,
    )


def _problem(candidate: ServerCandidate, *, allow_private: bool) -> str:
    if not allow_private and netguard.is_internal_name(candidate.host):
        return f"ignored {candidate.host}: an internal address"
    literal = netguard.ip_literal(candidate.host) is not None
    # With internal hosts allowed (a self-hosted server on this machine), "localhost" is fine.
    local = allow_private and candidate.host == "localhost"
    if not (literal or local) and not _HOST_NAME.fullmatch(candidate.host):
        return f"ignored {candidate.host!r}: not a fully qualified host name"
    return ""
