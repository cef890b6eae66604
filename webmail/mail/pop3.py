"""POP3 gateway: an authenticated connection to a maildrop, a login check, and the
bulk reads a download needs (listing, pipelined RETR and DELE).

Implicit TLS (RFC 8314, port 995), STLS (RFC 2595, port 110) or, only when asked, plain
text. USER/PASS login (RFC 1939 §7); capabilities and response codes from RFC 2449 and
RFC 3206. Every failure leaves as a MailError (see errors.py).

poplib reads responses line by line (~5x the wire for RETR, see STACK.md), so the bulk
commands go through a lean reader of our own on poplib's own socket and buffered file:
commands are sent ahead, up to a window, when the server announces PIPELINING
(RFC 2449 §6.6), and responses are cut at the CRLF.CRLF terminator in large chunks.
POP3 servers send nothing but responses, so once every command sent has been answered
poplib's buffer is empty again and poplib can go on (QUIT, …).

Unique ids: UIDL (RFC 1939 §7) when the server has it. Without it, each message is
named by a digest of its header block (``TOP n 0``) and its size: headers carry the
Received trace, Message-ID and Date of one delivery, so two messages share a digest
only if they are the same delivery; a server that rewrites stored headers would make
a message look new (a duplicate download, never a loss). Equal digests within one
listing are told apart by their order ("#2", "#3" …).
"""

import hashlib
import poplib
import re
import ssl
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from webmail.mail import sockets, tls
from webmail.mail.errors import (
    AuthError,
    ConnectError,
    MailError,
    ProtocolError,
    TemporaryError,
    TLSError,
)
from webmail.mail.net import resolve_within
from webmail.mail.types import Security, ServerSettings

# RFC 2449 §8.1 (IN-USE, LOGIN-DELAY) and RFC 3206 §4 (SYS/TEMP): try again later.
_TEMPORARY_CODES = frozenset({"IN-USE", "LOGIN-DELAY", "SYS/TEMP"})
_RESPONSE_CODE = re.compile(r"-ERR\s+\[([^\]\s]+)\]", re.IGNORECASE)
# poplib's own message when the server closed the connection (server lines are bytes).
_POPLIB_EOF = "-ERR EOF"
# Commands in flight with PIPELINING: enough to keep the server writing while we store
# a message, small enough that our commands never fill the server's input buffer.
PIPELINE_WINDOW = 64
TOP_DIGEST_PREFIX = "top:"
MAX_UNIQUE_ID_LENGTH = 200  # RFC 1939 says 70; a longer one is stored as its digest
_READ_CHUNK = 256 * 1024
_TERMINATOR = b"\r\n.\r\n"


@dataclass(frozen=True)
class POP3Info:
    """What a login check learnt. Capabilities are the CAPA names (RFC 2449) announced
    after login, upper case; empty for servers without CAPA."""

    capabilities: frozenset[str]
    has_uidl: bool
    has_pipelining: bool
    message_count: int


@contextmanager
def open_pop3(settings: ServerSettings) -> Iterator[poplib.POP3]:
    """A poplib client, connected, encrypted as ``settings.security`` says and logged in.

    Leaving the block normally sends QUIT, which commits any DELE. Leaving it with an
    exception hangs up without QUIT: the session never reaches the UPDATE state, so no
    message is removed (RFC 1939 §6) — a message is deleted only if everything done
    with it in the block succeeded. Any error leaving the block becomes a MailError.
    """
    _refuse_line_breaks(settings)
    with _translated_errors(settings):
        client = _open_authenticated(settings)
        try:
            yield client
        except BaseException:
            sockets.close_quietly(client)
            raise
        _quit(client)


def check_pop3_login(settings: ServerSettings) -> POP3Info:
    """Connect and log in as ``settings`` says, then say what the maildrop offers."""
    with open_pop3(settings) as client:
        # Asked after login: RFC 2449 §5 lets capabilities depend on the user.
        capabilities = _capabilities(client)
        message_count, _size = client.stat()
    return POP3Info(
        capabilities=capabilities,
        has_uidl="UIDL" in capabilities,
        has_pipelining="PIPELINING" in capabilities,
        message_count=message_count,
    )


@dataclass(frozen=True)
class MaildropEntry:
    """One message waiting on the server: its number in this session, a unique id that
    stays the same across sessions (UIDL, or a header digest, see the module doc), and
    its size in octets as LIST reports it."""

    number: int
    unique_id: str
    size: int


def capabilities_of(client: poplib.POP3) -> frozenset[str]:
    """CAPA names (RFC 2449), upper case; empty for a server without CAPA."""
    return _capabilities(client)


def pipeline_window(capabilities: frozenset[str]) -> int:
    """How many commands to keep in flight: one at a time without PIPELINING."""
    return PIPELINE_WINDOW if "PIPELINING" in capabilities else 1


def list_maildrop(client: poplib.POP3, capabilities: frozenset[str]) -> list[MaildropEntry]:
    """Every message waiting, in maildrop order, with its unique id and size."""
    window = pipeline_window(capabilities)
    with _session_errors():
        sizes = _numbered(_multiline_command(client, b"LIST"))
        if "UIDL" in capabilities or not capabilities:
            unique_ids = _unique_ids(client, refused_means_absent=not capabilities)
            if unique_ids is not None:
                return [
                    MaildropEntry(number, _usable_id(unique_ids[number]), int(size))
                    for number, size in sizes.items()
                    if number in unique_ids and size.isdigit()
                ]
        return _digest_entries(client, sizes, window)


def retrieve_messages(
    client: poplib.POP3, numbers: Iterable[int], *, window: int = 1
) -> Iterator[tuple[int, bytes]]:
    """RETR each message, yielding (number, raw message) in order, with up to ``window``
    commands in flight. One message at a time is held here; iterate to the end before
    using the connection again (an unfinished iteration leaves answers unread: close)."""
    reader = _Reader(client)
    commands = ((number, b"RETR %d\r\n" % number) for number in numbers)
    with _session_errors():
        yield from _pipelined(client, commands, window, reader.multiline)


def delete_messages(client: poplib.POP3, numbers: Iterable[int], *, window: int = 1) -> int:
    """DELE each message (committed only by QUIT, RFC 1939 §6); returns how many."""
    reader = _Reader(client)
    commands = ((number, b"DELE %d\r\n" % number) for number in numbers)
    with _session_errors():
        return sum(1 for _ in _pipelined(client, commands, window, reader.line))


def classify_response(response: bytes | str, *, to_login: bool = False) -> MailError:
    """The MailError for a server's -ERR line, read by its response code. ``to_login``:
    the line answered USER or PASS, where no code (RFC 1939 servers) or [AUTH] means
    the credentials were refused."""
    text = _text(response)
    code = _response_code(text)
    if code in _TEMPORARY_CODES:
        return TemporaryError("temporary", text)
    if to_login and code.partition("/")[0] in {"", "AUTH"}:
        return AuthError("bad_credentials", text)
    return ProtocolError("protocol", text)


def _unique_ids(client: poplib.POP3, *, refused_means_absent: bool) -> dict[int, bytes] | None:
    try:
        listing = _multiline_command(client, b"UIDL")
    except poplib.error_proto as error:
        if refused_means_absent and not _is_eof(error):
            return None  # an RFC 1939 server without CAPA, and without UIDL either
        raise
    return _numbered(listing)


def _usable_id(unique_id: bytes) -> str:
    # RFC 1939 §7 allows 0x21-0x7E only; keep whatever a server sends, losslessly.
    text = unique_id.decode("ascii", "backslashreplace")
    if len(text) > MAX_UNIQUE_ID_LENGTH:
        return "sha256:" + hashlib.sha256(unique_id).hexdigest()
    return text


def _digest_entries(
    client: poplib.POP3, sizes: dict[int, bytes], window: int
) -> list[MaildropEntry]:
    reader = _Reader(client)
    numbers = [number for number, size in sizes.items() if size.isdigit()]
    commands = ((number, b"TOP %d 0\r\n" % number) for number in numbers)
    seen: dict[str, int] = {}
    entries = []
    for number, headers in _pipelined(client, commands, window, reader.multiline):
        size = int(sizes[number])
        digest = hashlib.sha256(headers + b"\0%d" % size).hexdigest()
        seen[digest] = seen.get(digest, 0) + 1
        suffix = f"#{seen[digest]}" if seen[digest] > 1 else ""
        entries.append(MaildropEntry(number, f"{TOP_DIGEST_PREFIX}{digest}{suffix}", size))
    return entries


def _numbered(lines: bytes) -> dict[int, bytes]:
    """ "n value" lines (LIST, UIDL) by message number; malformed lines are skipped."""
    numbered = {}
    for line in lines.split(b"\r\n"):
        number, _, value = line.strip().partition(b" ")
        if number.isdigit() and value.strip():
            numbered.setdefault(int(number), value.strip())
    return numbered


def _multiline_command(client: poplib.POP3, command: bytes) -> bytes:
    reader = _Reader(client)
    return next(_pipelined(client, [(0, command + b"\r\n")], 1, reader.multiline))[1]


def _pipelined[K](
    client: poplib.POP3,
    commands: Iterable[tuple[K, bytes]],
    window: int,
    read: Callable[[], bytes],
) -> Iterator[tuple[K, bytes]]:
    """Send commands ahead, up to ``window`` unanswered, and yield each answer in order.
    More commands go out before an answer is handed over, so the server keeps working
    while the caller stores it."""
    waiting = iter(commands)
    in_flight: deque[K] = deque()
    # Commands go out in bursts of half a window: one TLS record and one system
    # call for many commands, while the other half keeps the server busy.
    refill_below = max(1, window // 2)

    def send_more() -> None:
        if len(in_flight) >= refill_below:
            return
        batch = []
        while len(in_flight) < window and (command := next(waiting, None)) is not None:
            in_flight.append(command[0])
            batch.append(command[1])
        if batch:
            client.sock.sendall(b"".join(batch))

    send_more()
    while in_flight:
        answer = read()
        key = in_flight.popleft()
        send_more()
        yield key, answer


class _Reader:
    """Responses read from poplib's buffered file in large chunks (poplib reads lines)."""

    def __init__(self, client: poplib.POP3) -> None:
        self._file = client.file
        self._buffer = bytearray()

    def line(self) -> bytes:
        """A single-line +OK response; a -ERR one raises poplib.error_proto."""
        end = self._status_end()
        line = bytes(self._buffer[:end])
        self._consume(end + 2)
        return line

    def multiline(self) -> bytes:
        """The body of a multi-line +OK response (RFC 1939 §3), dot-unstuffed."""
        end = self._status_end()
        # Searching from the status line's own CRLF finds an empty body's ".\r\n" too.
        scanned = end
        while (stop := self._buffer.find(_TERMINATOR, scanned)) < 0:
            scanned = max(len(self._buffer) - len(_TERMINATOR) + 1, end)
            self._fill()
        body = bytes(self._buffer[end + 2 : stop + 2])
        self._consume(stop + len(_TERMINATOR))
        return _unstuffed(body)

    def _consume(self, length: int) -> None:
        if length > _READ_CHUNK:
            # A new buffer: a 50 MB message's memory goes at once.
            self._buffer = self._buffer[length:]
        else:
            del self._buffer[:length]  # cheap: CPython moves the start, not the bytes

    def _status_end(self) -> int:
        scanned = 0
        while (end := self._buffer.find(b"\r\n", scanned)) < 0:
            scanned = max(len(self._buffer) - 1, 0)
            self._fill()
        if not self._buffer.startswith(b"+OK"):
            raise poplib.error_proto(bytes(self._buffer[:end]))
        return end

    def _fill(self) -> None:
        chunk = self._file.read1(_READ_CHUNK)
        if not chunk:
            raise poplib.error_proto(_POPLIB_EOF)
        self._buffer += chunk


def _unstuffed(body: bytes) -> bytes:
    # RFC 1939 §3: a line starting with "." was sent with one more "." in front.
    if body.startswith(b".."):
        body = body[1:]
    return body.replace(b"\r\n..", b"\r\n.")


def _refuse_line_breaks(settings: ServerSettings) -> None:
    # poplib writes USER and PASS lines as given: a CR or LF would end the line early
    # and send the rest as a command of its own.
    for value in (settings.username, settings.password):
        if "\r" in value or "\n" in value:
            raise AuthError("bad_credentials", "the user name or password has a line break")


def _open_authenticated(settings: ServerSettings) -> poplib.POP3:
    client = _open_transport(settings, tls.client_context(settings))
    with sockets.closed_on_error(client):
        _login(client, settings)
    return client


def _open_transport(settings: ServerSettings, context: ssl.SSLContext) -> poplib.POP3:
    """Connected, greeted and encrypted as asked; not yet logged in."""
    resolve_within(settings.host, settings.port, settings.timeout)
    client: poplib.POP3
    if settings.security is Security.TLS:
        client = _POP3SSL(settings.host, settings.port, settings.timeout, context)
    else:
        client = _POP3(settings.host, settings.port, settings.timeout)
    with sockets.closed_on_error(client):
        sockets.disable_nagle(client.sock)
        if settings.security is Security.STARTTLS:
            _start_tls(client, context)
    return client


def _start_tls(client: poplib.POP3, context: ssl.SSLContext) -> None:
    try:
        client.stls(context)
    except poplib.error_proto as error:
        if _is_eof(error):
            raise
        # CAPA without STLS, no CAPA at all, or STLS refused: no encryption either way,
        # and falling back to plain text is what a man in the middle wants (RFC 2595,
        # Security Considerations).
        raise TLSError("starttls_unavailable", _text(_reply_of(error))) from error


def _login(client: poplib.POP3, settings: ServerSettings) -> None:
    try:
        client.user(settings.username)
        client.pass_(settings.password)
    except poplib.error_proto as error:
        if _is_eof(error):
            raise
        raise _login_failure(client, _reply_of(error)) from error


def _login_failure(client: poplib.POP3, response: bytes | str) -> MailError:
    failure = classify_response(response, to_login=True)
    if isinstance(failure, AuthError) and not _accepts_user_pass(client):
        # The password may well be right: the server does not take USER/PASS here
        # (Dovecot without TLS, for one, drops USER from CAPA).
        return AuthError("mechanism_unavailable", failure.detail)
    return failure


def _accepts_user_pass(client: poplib.POP3) -> bool:
    # Asked only after a refusal, to spare every login a round trip. CAPA is valid in
    # the AUTHORIZATION state (RFC 2449 §5); the USER capability offers USER/PASS (§6.2).
    try:
        capabilities = _capabilities(client)
    except (OSError, poplib.error_proto):
        return True
    return not capabilities or "USER" in capabilities


def _capabilities(client: poplib.POP3) -> frozenset[str]:
    try:
        return frozenset(name.upper() for name in client.capa())
    except poplib.error_proto as error:
        if _is_eof(error):
            raise
        # RFC 1939 servers answer -ERR to CAPA, which RFC 2449 added.
        return frozenset()


def _quit(client: poplib.POP3) -> None:
    # A -ERR to QUIT says some deletions were not committed (RFC 1939 §6): it must
    # reach the caller, so it is not swallowed here.
    try:
        client.quit()
    finally:
        sockets.close_quietly(client)


@contextmanager
def _translated_errors(settings: ServerSettings) -> Iterator[None]:
    with sockets.translated_errors(lambda: _peer_certificate(settings)):
        try:
            yield
        except poplib.error_proto as error:
            raise _session_error(error) from error


@contextmanager
def _session_errors() -> Iterator[None]:
    """For the bulk reads: their callers may act on a failure (keep what arrived)
    before leaving ``open_pop3``, so they get a MailError at once."""
    with sockets.translated_errors():
        try:
            yield
        except poplib.error_proto as error:
            raise _session_error(error) from error


def _session_error(error: poplib.error_proto) -> MailError:
    if _is_eof(error):
        return ConnectError("unreachable", "the server closed the connection")
    return classify_response(_reply_of(error))


def _peer_certificate(settings: ServerSettings) -> str:
    client = _open_transport(settings, sockets.inspection_context())
    try:
        return sockets.certificate_of(client.sock)
    finally:
        sockets.close_quietly(client)


class _POP3(poplib.POP3):
    def __init__(self, host: str, port: int, timeout: float) -> None:
        try:
            super().__init__(host, port, timeout)
        except BaseException:
            _close_half_open(self)
            raise


class _POP3SSL(poplib.POP3_SSL):
    def __init__(self, host: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        try:
            super().__init__(host, port, timeout=timeout, context=context)
        except BaseException:
            _close_half_open(self)
            raise


def _close_half_open(client: poplib.POP3) -> None:
    # poplib connects and reads the greeting inside its constructor; when the greeting
    # fails (timeout, -ERR) it leaves the socket to the garbage collector. It sets sock,
    # then file, then reads: close whichever it got to.
    for name in ("file", "sock"):
        resource = getattr(client, name, None)
        if resource is not None:
            resource.close()


def _response_code(text: str) -> str:
    match = _RESPONSE_CODE.match(text)
    return match.group(1).upper() if match else ""


def _reply_of(error: poplib.error_proto) -> bytes | str:
    return error.args[0] if error.args else ""


def _is_eof(error: poplib.error_proto) -> bool:
    return _reply_of(error) == _POPLIB_EOF


def _text(response: bytes | str) -> str:
    return response.decode("utf-8", "replace") if isinstance(response, bytes) else response
