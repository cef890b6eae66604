"""Socket-level failures, named the way a person understands them, and name
resolution with a deadline."""

import ipaddress
import socket
import threading

from webmail.mail.errors import ConnectError


def classify_os_error(error: OSError) -> ConnectError:
    if isinstance(error, socket.gaierror):
        return ConnectError("not_found", str(error))
    if isinstance(error, ConnectionRefusedError):
        return ConnectError("refused", str(error))
    if isinstance(error, TimeoutError | socket.timeout):
        return ConnectError("timeout", str(error) or "timed out")
    return ConnectError("unreachable", str(error))


def resolve_within(host: str, port: int, timeout: float) -> None:
    """Fail unless ``host`` resolves within ``timeout`` seconds.

    getaddrinfo() takes no timeout: with a resolver that does not answer, a
    connection would wait for the system's own retries (tens of seconds) before its
    connect timeout even starts. The mail clients (imaplib, poplib, smtplib)
    resolve the name again when they connect; that second lookup is answered as
    fast as this one was. The lookup runs on a thread of its own, left to finish
    in the background when it is too slow."""
    if ip_literal(host) is not None:
        return
    outcome: list[BaseException | None] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except BaseException as error:  # handed to the waiting thread
            outcome.append(error)
        else:
            outcome.append(None)

    worker = threading.Thread(target=lookup, name="resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise ConnectError("timeout", f"no DNS answer for {host!r} within {timeout:g} s")
    if isinstance(error := outcome[0], OSError):
        raise classify_os_error(error) from error
    if isinstance(error, UnicodeError):  # IDNA: a name such as "mail..example.org"
        raise ConnectError("not_found", str(error)) from error
    if error is not None:
        raise error


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_literal(host: str) -> IPAddress | None:
    """The address when ``host`` is written as one ("[::1]" included), else None."""
    try:
        return ipaddress.ip_address(host.strip().strip("[]"))
    except ValueError:
        return None
