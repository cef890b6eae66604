"""What a message list needs from a raw message, read with bounded work and never raising.

POP3 gives whole messages, not IMAP's ENVELOPE and BODYSTRUCTURE, so the index fields
come from the message itself: the fields a row needs are picked out of the header
block by one regular expression (the others are skipped in C, never split or decoded
in Python), read as ``mime_scan.header_fields`` reads them (compat32 rules, bounded on
hostile input where ``policy.default`` is not, see STACK.md); each value is cut at
``MAX_FIELD_BYTES`` before RFC 2047 words are decoded as the IMAP side does
(``imap_text``); attachments and preview from ``structure``. Plain Python, no Django.
"""

import email.utils
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from functools import lru_cache

from webmail.mail.imap_fetch import parse_header_date
from webmail.mail.imap_text import decode_header_text
from webmail.mail.mime_params import TolerantMessage
from webmail.pop3.structure import BodySummary, body_offset, header_policy, summarize

MAX_HEADER_BYTES = 256 * 1024
MAX_FIELD_BYTES = 16 * 1024  # one header's value; 50,000 recipients stop here
MAX_ADDRESSES = 100
MAX_REFERENCES = 100
PREVIEW_CHARS = 300
# Address fields read once per distinct value, for values this short (a few MB at most).
CACHED_ADDRESS_CHARS = 500
CACHED_ADDRESS_VALUES = 4096


_ADDRESS = r"[^<>\s\",;:()\[\]\\@]+@[^<>\s\",;:()\[\]\\@]+"
# Possessive: the blanks that start an item and those of a name are not shared out
# again when the item fails to match, which made "a" and 16 KB of blanks take a second.
_ADDRESS_ITEM = re.compile(
    r"\s*+(?:"
    rf"(?:\"(?P<quoted>(?:[^\"\\]|\\.)*)\"|(?P<name>[^\",;:<>@()\[\]\\]*+))\s*<(?P<address>{_ADDRESS})>"
    rf"|(?P<bare>{_ADDRESS})"
    r")\s*(?:,|$)"
)
_QUOTED_PAIR = re.compile(r"\\(.)")
# A wanted field's first line, at a line start, and its continuation lines (which start
# with a blank, RFC 5322 §2.2.3); the block's line ends are LF by then. Names as
# header_fields takes them: no space, nor a blank at the end.
_WANTED_FIELD = re.compile(
    rb"^(subject|from|to|cc|reply-to|date|received|message-id|in-reply-to|references"
    rb"|content-(?:[^ :\n]*[^\s:])?):[ \t]*([^\n]*(?:\n[ \t][^\n]*)*)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class MessageFields:
    """Index fields of one message; text is valid UTF-8 without NUL, within the
    column limits of webmail.Message."""

    subject: str = ""
    from_name: str = ""
    from_email: str = ""
    to: list[list[str]] = field(default_factory=list)
    cc: list[list[str]] = field(default_factory=list)
    reply_to: list[list[str]] = field(default_factory=list)
    date: datetime | None = None
    received: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    references: str = ""
    has_attachments: bool = False
    preview: str = ""


def describe(raw: bytes) -> MessageFields:
    """The index fields of ``raw``; a message too broken to read gives empty fields."""
    try:
        body_start = body_offset(raw, 0, min(len(raw), MAX_HEADER_BYTES))
        values = index_fields(raw[:body_start])
    except Exception:  # a parser bug on hostile input must not stop a download
        return MessageFields()
    try:
        body = summarize(raw, _content_header(values), body_start, PREVIEW_CHARS)
    except Exception:
        body = BodySummary()
    senders = _addresses(values, "from")
    sender = senders[0] if senders else ["", ""]
    return MessageFields(
        subject=clean(_text(values, "subject")),
        from_name=clean(sender[0], 500),
        from_email=clean(sender[1], 320),
        to=_addresses(values, "to"),
        cc=_addresses(values, "cc"),
        reply_to=_addresses(values, "reply-to"),
        date=_date(_raw_value(values, "date")),
        received=_received_date(values),
        message_id=clean(_raw_value(values, "message-id").strip(), 998),
        in_reply_to=clean(_raw_value(values, "in-reply-to").strip(), 998),
        references=clean(" ".join(_raw_value(values, "references").split()[:MAX_REFERENCES])),
        has_attachments=body.has_attachments,
        preview=clean(body.preview, PREVIEW_CHARS),
    )


def clean(text: str | None, limit: int | None = None) -> str:
    """PostgreSQL text must be valid UTF-8 without NUL (as webmail.engine.message_rows)."""
    text = text or ""
    if not text.isascii():  # only non-ASCII text can hold lone surrogates
        text = text.encode("utf-8", "replace").decode("utf-8")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text[:limit] if limit else text


def index_fields(block: bytes) -> dict[str, list[str]]:
    """The values of the fields a row needs in a header block, by lower-case name, in
    order; as ``mime_scan.header_fields`` gives them: folded lines joined by CRLF,
    8-bit bytes as surrogates."""
    values: dict[str, list[str]] = {}
    # CR LF as LF: a line's own CR (CR CR LF) stays, as header_fields keeps it.
    for match in _WANTED_FIELD.finditer(block.replace(b"\r\n", b"\n")):
        name, value = match.groups()
        text = value.replace(b"\n", b"\r\n").decode("ascii", "surrogateescape")
        values.setdefault(name.decode("ascii", "surrogateescape").lower(), []).append(text)
    return values


def _content_header(values: dict[str, list[str]]) -> Message:
    """The Content-* fields alone: Message.get scans every field for each name asked,
    and the structure asks for these many times."""
    header = TolerantMessage(policy=header_policy)
    for name, found in values.items():
        if name.startswith("content-"):
            for value in found:
                header[name] = value
    return header


def _raw_value(values: dict[str, list[str]], name: str) -> str:
    found = values.get(name)
    return found[0][:MAX_FIELD_BYTES] if found else ""


def _octets(value: str) -> bytes:
    # compat32 keeps undecodable 8-bit header bytes as surrogates: get them back.
    return value.encode("utf-8", "surrogateescape")


def _text(values: dict[str, list[str]], name: str) -> str:
    return decode_header_text(_octets(_raw_value(values, name))).strip()


def _addresses(values: dict[str, list[str]], name: str) -> list[list[str]]:
    value = _raw_value(values, name).replace("\r", "").replace("\n", "")
    if not value.strip():
        return []
    if len(value) > CACHED_ADDRESS_CHARS:
        return _read_addresses(value)
    return [list(pair) for pair in _remembered_addresses(value)]


@lru_cache(maxsize=CACHED_ADDRESS_VALUES)
def _remembered_addresses(value: str) -> tuple[tuple[str, ...], ...]:
    # A mailbox holds the same few senders and recipients over and over.
    return tuple(map(tuple, _read_addresses(value)))


def _read_addresses(value: str) -> list[list[str]]:
    pairs = _simple_addresses(value)
    if pairs is None:
        pairs = email.utils.getaddresses([value])[:MAX_ADDRESSES]
    if pairs == [("", "")]:  # unparseable: show what it says rather than nothing
        return [[clean(decode_header_text(_octets(value)).strip(), 500), ""]]
    return [
        [clean(decode_header_text(_octets(name)).strip(), 500), clean(address, 320)]
        for name, address in pairs
        if name or address
    ]


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """The common shapes (``a@b``, ``Name <a@b>``, ``"Doe, J." <a@b>``, encoded words)
    read with one regular expression, several times faster than getaddresses; None
    for anything else (comments, groups, routes), which getaddresses then reads."""
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(value) and len(pairs) < MAX_ADDRESSES:
        match = _ADDRESS_ITEM.match(value, position)
        if match is None:
            return None
        if match.group("bare"):
            pairs.append(("", match.group("bare")))
        else:
            quoted = match.group("quoted")
            name = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else match.group("name")
            pairs.append((name, match.group("address")))
        position = match.end()
    return pairs


def _date(value: str) -> datetime | None:
    # The IMAP side's reader: the usual shape by one regular expression, anything
    # else by the stdlib; "-0000" (the zone unknown, RFC 5322 3.3) read as UTC.
    parsed = parse_header_date(value.strip().encode("utf-8", "surrogateescape"))
    return parsed.astimezone(UTC) if parsed is not None else None


def _received_date(values: dict[str, list[str]]) -> datetime | None:
    """When the receiving server took the message: the newest Received trace's date
    (RFC 5321 §4.4), which is what IMAP's INTERNALDATE would have been."""
    received = values.get("received") or []
    if not received:
        return None
    return _date(str(received[0])[:MAX_FIELD_BYTES].rpartition(";")[2])
