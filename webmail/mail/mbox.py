"""The mbox format both ways: mboxrd (RFC 4155 and the ">From " quoting of
mboxrd), as Thunderbird and most tools read and write it.

Written: a "From " line (envelope sender, date in asctime form, UTC), the
message with CRLF turned into LF and every line matching ``>*From `` given one
more ">", then an empty line. Read: the same undone; mboxo files (which quote
only "From ") read the same way, and CRLF files are taken as they come."""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

QUOTED_FROM = re.compile(rb"^>*From ", re.MULTILINE)
ESCAPED_FROM = re.compile(rb">+From ")
HEADER_FIELD = re.compile(rb"[!-9;-~]+[ \t]*:")
LINE_END = re.compile(rb"\r?\n")
# Fields at least one of which a real message has; a random text file with a
# "Note: ..." first line is not a message.
MESSAGE_FIELDS = frozenset(b"from date subject message-id to received return-path sender".split())
SEEN, ANSWERED, FLAGGED = "\\Seen", "\\Answered", "\\Flagged"
MAILER_DAEMON = "MAILER-DAEMON"
X_STATUS = [(b"A", ANSWERED), (b"F", FLAGGED)]


@dataclass
class MboxEntry:
    """One message read from an mbox: its bytes (LF line ends, unquoted), the
    sender and date of its "From " line when they could be read."""

    raw: bytes
    sender: str = ""
    received: datetime | None = None
    flags: set[str] = field(default_factory=set)


# -- writing --------------------------------------------------------------------------------


def from_line(sender: str, when: datetime) -> bytes:
    """``From sender Sat Nov  8 18:24:53 2026`` (asctime: the day padded with a space)."""
    sender = re.sub(r"\s+", "", sender or "") or MAILER_DAEMON
    when = when.astimezone(UTC)
    stamp = f"{when:%a %b} {when.day:2d} {when:%H:%M:%S %Y}"
    return f"From {sender} {stamp}\n".encode("ascii", "replace")


def mbox_entry(raw: bytes, *, when: datetime) -> bytes:
    """One message as it goes into an mbox file, with its "From " line."""
    body = QUOTED_FROM.sub(b">\\g<0>", LINE_END.sub(b"\n", raw))
    if not body.endswith(b"\n"):
        body += b"\n"
    return from_line(envelope_sender(raw), when) + body + b"\n"


def envelope_sender(raw: bytes) -> str:
    """The Return-Path address (the envelope sender the server recorded), or ""."""
    for name, value in header_fields(raw):
        if name == b"return-path":
            address = value.decode("ascii", "replace").strip().strip("<>").strip()
            return "" if not address or "\ufffd" in address else address
    return ""


# -- reading --------------------------------------------------------------------------------


def read_mbox(lines: Iterable[bytes]) -> Iterator[MboxEntry]:
    """The messages of an mbox, read line by line (a file object will do: it is
    never read whole). Text before the first "From " line comes out as an entry
    of its own when it is not blank, so that the caller can report it skipped."""
    entry: MboxEntry | None = None
    body: list[bytes] = []
    for line in lines:
        if line.startswith(b"From ") and separates(line, entry, body):
            if entry is not None or any(part.strip() for part in body):
                yield finished(entry or MboxEntry(b""), body)
            entry, body = entry_of(line), []
            continue
        if line.endswith(b"\r\n"):
            line = line[:-2] + b"\n"
        if entry is not None and ESCAPED_FROM.match(line):
            line = line[1:]
        body.append(line)
    if entry is not None or any(part.strip() for part in body):
        yield finished(entry or MboxEntry(b""), body)


def separates(line: bytes, entry: MboxEntry | None, body: list[bytes]) -> bool:
    """A "From " line starts a message after an empty line (RFC 4155), or with a
    date on it: some writers leave no empty line, and an unquoted "From " line of
    a text seldom carries a date."""
    if entry is None or not body or body[-1] == b"\n":
        return True
    return entry_of(line).received is not None


def finished(entry: MboxEntry, body: list[bytes]) -> MboxEntry:
    if body and body[-1] == b"\n":
        body.pop()  # the empty line that separates messages is not theirs
    entry.raw = b"".join(body)
    entry.flags = status_flags(entry.raw)
    return entry


def entry_of(line: bytes) -> MboxEntry:
    """Sender and date of a "From " line; Thunderbird writes "From - <date>"."""
    parts = line.decode("ascii", "replace").split(None, 2)
    sender = parts[1] if len(parts) > 1 and parts[1] != "-" else ""
    received = None
    if len(parts) > 2:
        text = " ".join(parts[2].split()[:5])
        try:
            received = datetime.strptime(text, "%a %b %d %H:%M:%S %Y").replace(tzinfo=UTC)
        except ValueError:
            received = None
    return MboxEntry(b"", sender=sender, received=received)


def looks_like_message(raw: bytes) -> bool:
    """A header block first (field lines, folded lines), holding at least one
    field every message has."""
    names = [name for name, _value in header_fields(raw[:65536])]
    return bool(names) and bool(MESSAGE_FIELDS.intersection(names))


def header_fields(raw: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(lower-case name, unfolded value) of the header block; stops at the first
    line that is neither a field nor a continuation, so garbage yields nothing."""
    name, value = b"", b""
    for line in LINE_END.split(raw):
        if not line:
            break
        if line[:1] in (b" ", b"\t") and name:
            value += b" " + line.strip()
            continue
        if not HEADER_FIELD.match(line):
            break
        if name:
            yield name, value
        found, _colon, rest = line.partition(b":")
        name, value = found.strip().lower(), rest.strip()
    if name:
        yield name, value


def status_flags(raw: bytes) -> set[str]:
    """Flags the mbox kept in headers: Status "R" or "O"+"R" (read), X-Status "A"
    (answered) and "F" (flagged), Thunderbird's X-Mozilla-Status bits."""
    flags: set[str] = set()
    for name, value in header_fields(raw):
        if name == b"status" and b"R" in value:
            flags.add(SEEN)
        elif name == b"x-status":
            flags |= {flag for letter, flag in X_STATUS if letter in value}
        elif name == b"x-mozilla-status":
            flags |= mozilla_flags(value)
    return flags


def mozilla_flags(value: bytes) -> set[str]:
    try:
        bits = int(value.strip(), 16)
    except ValueError:
        return set()
    return {flag for bit, flag in [(1, SEEN), (2, ANSWERED), (4, FLAGGED)] if bits & bit}


def with_crlf(raw: bytes) -> bytes:
    """Every line ending CRLF, as IMAP's APPEND wants it (RFC 3501 section 6.3.11)."""
    return LINE_END.sub(b"\r\n", raw)
