"""Keep outgoing connections that outsiders choose away from our own network (SSRF).

An e-mail domain's owner decides what its DNS, its autoconfig document and its
redirects point at. Without a guard, "add an account" would let anyone make this
server connect to 127.0.0.1, the cloud metadata service at 169.254.169.254, or a
database on the private network, and read the answers back as error messages.

- resolve_public: a host's addresses, refused if any of them is not public.
- fetch_url: an HTTP(S) GET that connects only to vetted addresses, re-vets every
  redirect, and caps time and size.
- post_form: one HTTP(S) form POST to a vetted address, capped in time, that
  follows no redirect (one-click unsubscription, RFC 8058).
- host_is_allowed: the administrator's allow and block lists of mail hosts.
"""

import functools
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urljoin, urlsplit

from webmail.mail.errors import ConnectError, MailError, ProtocolError
from webmail.mail.net import IPAddress, classify_os_error, ip_literal
from webmail.mail.tls import classify as classify_tls_error

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str, int], list[str]]

DEFAULT_MAX_BYTES = 256 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "Courriel-autoconfig/1.0"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CHUNK = 64 * 1024

# Never reachable from autoconfig, whatever the ipaddress module's tables say in a
# given Python version (RFC 6890 special-purpose registries, RFC 6598 for CGNAT).
_BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",  # RFC 1918
        "100.64.0.0/10",  # carrier-grade NAT, RFC 6598
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, cloud metadata services
        "172.16.0.0/12",  # RFC 1918
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.168.0.0/16",  # RFC 1918
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
        "::/128",  # unspecified
        "::1/128",  # loopback
        "100::/64",  # discard-only
        "2001:db8::/32",  # documentation
        "fc00::/7",  # unique local addresses
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
# RFC 6052 well-known NAT64 prefix: on an IPv6-only network with DNS64 every IPv4
# destination looks like 64:ff9b::a.b.c.d, so judge the IPv4 address inside.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddressError(ConnectError):
    """The destination is on a loopback, private, link-local or otherwise internal
    network, or on the administrator's block list."""

    code = "blocked"


class FetchError(MailError):
    """bad_url, http_status, too_many_redirects, insecure_redirect, too_large."""

    code = "fetch"


@dataclass(frozen=True)
class FetchResult:
    url: str  # after redirects
    status: int
    content_type: str
    body: bytes


# --- Addresses ----------------------------------------------------------------


def is_public_address(address: str | IPAddress) -> bool:
    """True only for a globally routable unicast address."""
    ip = _unwrap(ipaddress.ip_address(address) if isinstance(address, str) else address)
    if any(ip in network for network in _BLOCKED_NETWORKS if network.version == ip.version):
        return False
    internal = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or (isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local)
    )
    return ip.is_global and not internal


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address that an IPv6 form carries, when it carries one."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d reaches a.b.c.d
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_internal_name(host: str) -> bool:
    """True for names that need no DNS to be known internal: "localhost" and its
    subdomains (RFC 6761 §6.3) and non-public address literals."""
    name = normalise_host(host)
    literal = ip_literal(name)
    if literal is not None:
        return not is_public_address(literal)
    return name == "localhost" or name.endswith(".localhost")


def resolve_public(host: str, port: int, *, allow_private: bool = False) -> list[str]:
    """The addresses to connect to for ``host``, in the resolver's order.

    Raises BlockedAddressError when any address is not public (unless
    ``allow_private``): a name that mixes public and internal addresses is a
    rebinding attempt or a mistake, and trying "the public one" is a race we need
    not run. Raises ConnectError("not_found") when the name does not resolve.
    Name resolution uses the system resolver and its own timeouts.
    """
    literal = ip_literal(host)
    addresses = [str(literal)] if literal is not None else _getaddrinfo(host, port)
    if not allow_private:
        refused = [address for address in addresses if not is_public_address(address)]
        if refused:
            raise BlockedAddressError(detail=f"{host} resolves to {', '.join(refused)}")
    return addresses


def _getaddrinfo(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise classify_os_error(error) from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def connect_vetted(
    host: str, port: int, *, timeout: float, allow_private: bool = False
) -> socket.socket:
    """A TCP connection to one of ``host``'s vetted addresses."""
    return _connect_any(resolve_public(host, port, allow_private=allow_private), port, timeout)


def _connect_any(addresses: list[str], port: int, timeout: float) -> socket.socket:
    error: OSError = ConnectionRefusedError("no address to connect to")
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as failure:
            error = failure
    raise classify_os_error(error) from error


# --- HTTP ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str

    @classmethod
    def parse(cls, url: str) -> "_Target":
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise FetchError("bad_url", f"only http and https are allowed: {url}")
        if parts.username is not None or parts.password is not None:
            raise FetchError("bad_url", "credentials in a URL are not sent")
        try:
            port = parts.port or _DEFAULT_PORTS[scheme]
        except ValueError as error:
            raise FetchError("bad_url", str(error)) from error
        if not parts.hostname:
            raise FetchError("bad_url", f"no host in {url}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return cls(url, scheme, _ascii_host(parts.hostname), port, path)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Dials an address vetted beforehand, never a fresh DNS answer: a name that
    resolves to a public address for the check and to 127.0.0.1 for the connect
    (DNS rebinding) cannot slip through."""

    # Kept after close(): with "Connection: close" http.client hands the socket to
    # the response and forgets it, but the deadline watchdog must still reach it.
    dialled: socket.socket | None = None

    def __init__(self, target: _Target, addresses: list[str], timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._addresses, self._timeout = addresses, timeout

    def connect(self) -> None:
        self.sock = self.dialled = _connect_any(self._addresses, self.port, self._timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    dialled: socket.socket | None = None

    def __init__(
        self, target: _Target, addresses: list[str], timeout: float, context: ssl.SSLContext
    ):
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._addresses, self._timeout = addresses, timeout
        self._tls_context = context

    def connect(self) -> None:
        raw = _connect_any(self._addresses, self.port, self._timeout)
        try:
            # SNI and the certificate check use the URL's name, not the dialled address.
            self.sock = self.dialled = self._tls_context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def fetch_url(
    url: str,
    *,
    allow_private: bool = False,
    timeout: float = 5.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ssl_context: ssl.SSLContext | None = None,
    resolve: Resolve | None = None,
) -> FetchResult:
    """GET ``url`` (http or https) with a 200 answer, following at most
    MAX_REDIRECTS redirects, each target vetted again. ``timeout`` bounds the
    whole exchange, redirects included; a body over ``max_bytes`` is abandoned.
    No cookies, credentials or compression are ever sent or accepted.

    ``resolve(host, port)`` replaces resolve_public (it must return vetted
    addresses); ``ssl_context`` replaces the system trust store.

    Raises BlockedAddressError, FetchError, ConnectError, TLSError or ProtocolError.
    """
    deadline = time.monotonic() + timeout
    resolve = resolve or functools.partial(resolve_public, allow_private=allow_private)
    context = ssl_context or ssl.create_default_context()
    target = _Target.parse(url)
    for _hop in range(MAX_REDIRECTS + 1):
        status, headers, body = _exchange(target, resolve, context, deadline, max_bytes)
        location = headers.get("location") if status in _REDIRECT_STATUSES else None
        if location is None:
            return _result(target, status, headers, body)
        target = _redirect_target(target, location)
    raise FetchError("too_many_redirects", f"more than {MAX_REDIRECTS} redirects from {url}")


def _result(target: _Target, status: int, headers: dict[str, str], body: bytes) -> FetchResult:
    if status != 200:
        raise FetchError("http_status", f"{target.url} answered {status}")
    return FetchResult(target.url, status, headers.get("content-type", ""), body)


def _redirect_target(current: _Target, location: str) -> _Target:
    following = _Target.parse(urljoin(current.url, location))
    # A downgrade would let anyone on the path rewrite the answer of an https URL.
    if current.scheme == "https" and following.scheme == "http":
        raise FetchError("insecure_redirect", f"{current.url} redirects to {following.url}")
    return following


def post_form(
    url: str,
    form: bytes,
    *,
    allow_private: bool = False,
    timeout: float = 10.0,
    ssl_context: ssl.SSLContext | None = None,
    resolve: Resolve | None = None,
) -> int:
    """POST ``form`` (already application/x-www-form-urlencoded) to ``url`` once
    and return the answer's status, whatever it is. A redirect is returned, never
    followed: RFC 8058 section 3.2 forbids them for one-click unsubscription, and
    a POST replayed elsewhere is not ours to send. The answer's body is not read.
    ``timeout`` bounds the whole exchange; the other arguments are fetch_url's.

    Raises BlockedAddressError, FetchError("bad_url"), ConnectError, TLSError or
    ProtocolError.
    """
    deadline = time.monotonic() + timeout
    resolve = resolve or functools.partial(resolve_public, allow_private=allow_private)
    context = ssl_context or ssl.create_default_context()
    status, _headers, _body = _exchange(_Target.parse(url), resolve, context, deadline, 0, form)
    return status


def _exchange(
    target: _Target,
    resolve: Resolve,
    context: ssl.SSLContext,
    deadline: float,
    max_bytes: int,
    form: bytes | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """A GET, or a POST of ``form`` (whose answer's body is not read)."""
    addresses = resolve(target.host, target.port)
    connection = _connection(target, addresses, _remaining(deadline), context)
    try:
        with _hard_deadline(connection, deadline):
            if form is None:
                connection.request("GET", target.path, headers=_request_headers())
            else:
                connection.request("POST", target.path, body=form, headers=_form_headers())
            response = connection.getresponse()
            headers = {name.lower(): value for name, value in response.getheaders()}
            skip_body = form is not None or response.status in _REDIRECT_STATUSES
            body = b"" if skip_body else _read(response, max_bytes)
    except (OSError, http.client.HTTPException) as error:
        raise _classify(error, deadline) from error
    if time.monotonic() >= deadline:
        # The watchdog cut the body short: what was read is not the document.
        raise ConnectError("timeout", "the server took too long to answer")
    return response.status, headers, body


def _connection(
    target: _Target, addresses: list[str], timeout: float, context: ssl.SSLContext
) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, addresses, timeout, context)
    return _PinnedHTTPConnection(target, addresses, timeout)


def _request_headers() -> dict[str, str]:
    # http.client adds Host and "Accept-Encoding: identity": no compression bombs.
    return {
        "User-Agent": USER_AGENT,
        "Accept": "application/xml, text/xml;q=0.9, */*;q=0.1",
        "Connection": "close",
    }


def _form_headers() -> dict[str, str]:
    # http.client adds Content-Length for a bytes body.
    return {
        "User-Agent": USER_AGENT,
        "Accept": "*/*",
        "Content-Type": "application/x-www-form-urlencoded",
        "Connection": "close",
    }


def _read(response: http.client.HTTPResponse, max_bytes: int) -> bytes:
    declared = response.getheader("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too_large", f"{declared} bytes announced, {max_bytes} allowed")
    chunks, size = [], 0
    # read1 makes at most one recv(), so we stop as soon as the cap is passed
    # instead of downloading a body of any size first.
    while chunk := response.read1(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("too_large", f"more than {max_bytes} bytes")
        chunks.append(chunk)
    if response.length:  # read1 ends quietly on EOF, even before Content-Length bytes
        raise http.client.IncompleteRead(b"".join(chunks), response.length)
    return b"".join(chunks)


@contextmanager
def _hard_deadline(connection: http.client.HTTPConnection, deadline: float) -> Iterator[None]:
    """Close the connection's socket when the deadline passes. A socket timeout
    bounds each recv() only, so a server dripping one byte a second would
    otherwise hold us for as long as it likes."""
    timer = threading.Timer(_remaining(deadline), _shut_down, args=(connection,))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        connection.close()


def _shut_down(connection: http.client.HTTPConnection) -> None:
    sock = getattr(connection, "dialled", None)
    if sock is None:
        return
    with suppress(OSError):
        # socket.socket's own method: SSLSocket.shutdown would unwrap TLS state
        # under the reading thread's feet; this only wakes its blocked recv().
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _classify(error: Exception, deadline: float) -> MailError:
    if time.monotonic() >= deadline:
        return ConnectError("timeout", "the server took too long to answer")
    if isinstance(error, ssl.SSLError):
        return classify_tls_error(error)
    if isinstance(error, OSError):
        return classify_os_error(error)
    return ProtocolError("protocol", f"not a valid HTTP answer: {error!r}")


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ConnectError("timeout", "the server took too long to answer")
    return remaining


def _ascii_host(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError as error:
        raise FetchError("bad_url", f"invalid host name {host!r}") from error


# --- Administrator's lists ----------------------------------------------------


def normalise_host(host: str) -> str:
    """Lower case, no brackets, no final dot, ASCII (IDNA) form."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:
        return name


@dataclass(frozen=True)
class HostRules:
    """Names ("mail.example.org"), wildcards ("*.example.org": any name below
    example.org, not example.org itself) and networks ("10.0.0.0/8",
    "2001:db8::/32", or one address)."""

    names: tuple[str, ...]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "HostRules":
        names, networks = [], []
        for entry in (entry.strip() for entry in entries):
            if "/" in entry or ip_literal(entry) is not None:
                # A malformed network (10.0.0.0/33) raises ValueError: an admin's
                # typo must not silently turn a block into nothing.
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            elif entry:
                names.append(normalise_host(entry))
        return cls(tuple(names), tuple(networks))

    def match_name(self, name: str) -> bool:
        return any(
            fnmatchcase(name, rule) if rule.startswith("*.") else name == rule
            for rule in self.names
        )

    def match_address(self, ip: IPAddress) -> bool:
        forms = {ip, _unwrap(ip)}  # ::ffff:10.0.0.1 must not slip past "10.0.0.0/8"
        return any(form in network for form in forms for network in self.networks)


def host_is_allowed(
    host: str, allowed: list[str], blocked: list[str], *, addresses: Iterable[str] = ()
) -> bool:
    """Whether the administrator lets users connect to this mail host.

    The block list wins; an empty allow list allows every host not blocked.
    Network entries match an address literal, or the host's resolved
    ``addresses`` when the caller passes them (e.g. from resolve_public). For an
    allow network every address must match, as any of them may be the one dialled.
    """
    name = normalise_host(host)
    literal = ip_literal(name)
    ips = [literal] if literal is not None else [ipaddress.ip_address(a) for a in addresses]
    block, allow = HostRules.parse(blocked), HostRules.parse(allowed)
    if block.match_name(name) or any(block.match_address(ip) for ip in ips):
        return False
    if not allow.names and not allow.networks:
        return True
    if allow.match_name(name):
        return True
    return bool(ips) and all(allow.match_address(ip) for ip in ips)
