"""A tiny authoritative DNS server on loopback (UDP), for autoconfig tests.

    with DNSServer() as dns_server:
        dns_server.add("_imaps._tcp.example.test", "SRV", "0 1 993 imap.example.test.")
        resolver = dns_server.resolver()

Names it knows answer with their records (NOERROR and no records for another
type); unknown names get NXDOMAIN. Names at or below a domain passed to fail() get
SERVFAIL, and those passed to ignore() get no answer at all, to exercise timeouts.
"""

import socket
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.resolver
import dns.rrset

from tests.harness.ports import LOOPBACK

TTL = 60


class DNSServer:
    def __init__(self) -> None:
        self._records: dict[tuple[str, str], list[str]] = {}
        self._failing: set[str] = set()
        self._silent: set[str] = set()
        self._stop = threading.Event()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._thread = threading.Thread(target=self._serve, name="test-dns", daemon=True)
        self.queries: list[tuple[str, str]] = []

    @property
    def port(self) -> int:
        return self._sock.getsockname()[1]

    def add(self, name: str, rdtype: str, *rdata: str) -> None:
        """Records in zone-file syntax, e.g. add("example.test", "MX", "10 mx.example.test.")."""
        self._records.setdefault((_key(name), rdtype.upper()), []).extend(rdata)

    def fail(self, name: str) -> None:
        self._failing.add(_key(name))

    def ignore(self, name: str) -> None:
        self._silent.add(_key(name))

    def resolver(self, lifetime: float = 2.0) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [LOOPBACK]
        resolver.port = self.port
        resolver.timeout = resolver.lifetime = lifetime
        return resolver

    def __enter__(self) -> "DNSServer":
        self._sock.bind((LOOPBACK, 0))
        self._sock.settimeout(0.05)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                wire, client = self._sock.recvfrom(4096)
            except TimeoutError:
                continue
            reply = self._reply(dns.message.from_wire(wire))
            if reply is not None:
                self._sock.sendto(reply.to_wire(), client)

    def _reply(self, query: dns.message.Message) -> dns.message.Message | None:
        question = query.question[0]
        name, rdtype = _key(question.name.to_text()), dns.rdatatype.to_text(question.rdtype)
        self.queries.append((name, rdtype))
        if _under(name, self._silent):
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if _under(name, self._failing):
            response.set_rcode(dns.rcode.SERVFAIL)
        elif (name, rdtype) in self._records:
            rdata = self._records[(name, rdtype)]
            response.answer.append(dns.rrset.from_text(question.name, TTL, "IN", rdtype, *rdata))
        elif not any(known == name for known, _type in self._records):
            response.set_rcode(dns.rcode.NXDOMAIN)
        return response


def _key(name: str) -> str:
    return name.rstrip(".").lower()


def _under(name: str, domains: set[str]) -> bool:
    return any(name == domain or name.endswith(f".{domain}") for domain in domains)
