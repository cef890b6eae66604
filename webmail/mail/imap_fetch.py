"""FETCH responses into MessageSummary, FlagUpdate and body values.

Fed with imaplib's untagged FETCH data and read with ``imap_parse``: converts
only what a summary needs, and never raises on a message's own content (bad
charsets, broken dates, odd encodings); only a malformed *response* is an error.
"""

import gc
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

from webmail.mail.errors import ProtocolError
from webmail.mail.imap_body import describe_body
from webmail.mail.imap_parse import Data, Value, as_dict, parse_response
from webmail.mail.imap_text import decode_header_text
from webmail.mail.imap_types import Address, FlagUpdate, MessageSummary

# The summary FETCH (RFC 9051 section 6.4.5). References is not in ENVELOPE,
# and threading needs it.
SUMMARY_ITEMS = (
    "UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE "
    "BODY.PEEK[HEADER.FIELDS (REFERENCES)]"
)
_REFERENCES_KEY = b"BODY[HEADER.FIELDS (REFERENCES)]"
_MAX_REFERENCES = 100
_RECENT = "\\Recent"
_MONTHS = {
    month: number
    for number, month in enumerate(b"jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)
}
_MESSAGE_ID = re.compile(rb"<[^<>\s]+>")
# What nearly every mailer writes (RFC 5322 3.3); anything else goes to the stdlib.
_USUAL_DATE = re.compile(
    rb"(?:[A-Za-z]{3}, )?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d\d):(\d\d)(?::(\d\d))? ([+-]\d{4})"
    rb"(?: \([^()]*\))?"
)
# Correspondents repeat: decoding each address list once saves a third of the time.
_ADDRESS_CACHE: dict[tuple[object, ...], tuple[Address, ...]] = {}
_ADDRESS_CACHE_SIZE = 4096


def parse_summaries(data: Data, wanted: Iterable[int]) -> list[MessageSummary]:
    """Summaries for the ``wanted`` UIDs found in imaplib's FETCH data, in UID
    order. Unsolicited FETCHes for the same UID are merged; expunged UIDs are
    simply absent."""
    if not isinstance(wanted, set | frozenset | range):
        wanted = set(wanted)
    with _collector_paused():
        return [
            _summary(uid, items)
            for uid, items in sorted(_items_by_uid(data).items())
            if uid in wanted and b"ENVELOPE" in items
        ]


def parse_flag_updates(data: Data) -> list[FlagUpdate]:
    """FlagUpdates for every FETCH response carrying UID and FLAGS, in UID order."""
    with _collector_paused():
        return [
            FlagUpdate(uid, parse_flags(items[b"FLAGS"]), _modseq(items))
            for uid, items in sorted(_items_by_uid(data).items())
            if b"FLAGS" in items
        ]


def parse_bodies(data: Data, key: bytes) -> dict[int, bytes]:
    """The ``key`` item (such as b"BODY[]") of each FETCH response, by UID."""
    return {
        uid: value
        for uid, items in _items_by_uid(data).items()
        if isinstance(value := items.get(key), bytes)
    }


def parse_header_fields(data: Data) -> dict[int, bytes]:
    """The BODY[HEADER.FIELDS (…)] block of each FETCH response, by UID; servers
    echo the field list in their own way (case, quoting), so any such key counts."""
    blocks: dict[int, bytes] = {}
    for uid, items in _items_by_uid(data).items():
        for key, value in items.items():
            if key.upper().startswith(b"BODY[HEADER.FIELDS ") and isinstance(value, bytes):
                blocks[uid] = value
    return blocks


@contextmanager
def _collector_paused() -> Iterator[None]:
    # A bulk FETCH allocates a million small acyclic objects; the cyclic garbage
    # collector would walk them again and again for nothing (~10% of the parse).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _items_by_uid(data: Data) -> dict[int, dict[bytes, Value]]:
    # All responses in one pass: FETCH data is "<number> (<items>)" repeated.
    values = parse_response(data)
    numbers, lists = values[0::2], values[1::2]
    if len(numbers) != len(lists):
        raise ProtocolError("protocol", f"malformed FETCH responses {values[:4]!r:.200}")
    by_uid: dict[int, dict[bytes, Value]] = {}
    for items in lists:
        if not isinstance(items, list):
            raise ProtocolError("protocol", f"malformed FETCH response {items!r:.200}")
        attributes = as_dict(items)
        if b"UID" not in attributes:
            continue  # an unsolicited FETCH without UID (no QRESYNC): nothing to key it by
        uid = _integer(attributes[b"UID"])
        if uid in by_uid:
            by_uid[uid].update(attributes)
        else:
            by_uid[uid] = attributes
    return by_uid


def _summary(uid: int, items: dict[bytes, Value]) -> MessageSummary:
    envelope = items[b"ENVELOPE"]
    if not isinstance(envelope, list) or len(envelope) < 10:
        raise ProtocolError("protocol", f"malformed ENVELOPE for UID {uid}")
    date, subject, from_, sender, reply_to, to, cc, bcc, in_reply_to, message_id = envelope[:10]
    authors = _addresses(from_)
    content_type, attachments, preview_section = describe_body(items.get(b"BODYSTRUCTURE"))
    return MessageSummary(
        uid=uid,
        flags=parse_flags(items.get(b"FLAGS") or []),
        internal_date=parse_internal_date(items.get(b"INTERNALDATE")),
        size=_integer(items.get(b"RFC822.SIZE") or b"0"),
        modseq=_modseq(items),
        date=parse_header_date(date),
        subject=decode_header_text(subject),
        from_=authors,
        # Servers copy From into Sender and Reply-To when those are absent (9051 7.5.2).
        sender=authors if sender == from_ else _addresses(sender),
        reply_to=authors if reply_to == from_ else _addresses(reply_to),
        to=_addresses(to),
        cc=_addresses(cc),
        bcc=_addresses(bcc),
        message_id=_ascii(message_id).strip(),
        in_reply_to=_first_message_id(in_reply_to),
        references=_references(items),
        content_type=content_type,
        has_attachments=bool(attachments),
        attachments=attachments,
        preview=_preview(items.get(b"PREVIEW")),
        preview_section=preview_section,
    )


# -- flags, numbers, dates -----------------------------------------------------------------


def parse_flags(value: Value) -> frozenset[str]:
    """FLAGS as strings. \\Recent is dropped: it belongs to one session (RFC 3501
    2.3.2), differs between EXAMINE and SELECT, and IMAP4rev2 removed it."""
    if not isinstance(value, list):
        raise ProtocolError("protocol", f"FLAGS is not a list: {value!r:.100}")
    return _flags(tuple(flag for flag in value if isinstance(flag, bytes)))


@lru_cache(maxsize=1024)
def _flags(value: tuple[bytes, ...]) -> frozenset[str]:
    # Most messages share a handful of flag sets: decode each set once.
    return frozenset(flag.decode("ascii", "replace") for flag in value) - {_RECENT}


def _modseq(items: dict[bytes, Value]) -> int | None:
    value = items.get(b"MODSEQ")
    if isinstance(value, list) and value:
        return _integer(value[0])
    return None


def _integer(value: Value) -> int:
    if isinstance(value, bytes) and value.isdigit():
        return int(value)
    raise ProtocolError("protocol", f"not a number: {value!r:.50}")


def parse_internal_date(value: Value) -> datetime:
    """INTERNALDATE "dd-Mon-yyyy hh:mm:ss +zzzz" (the day may be space-padded)."""
    if not isinstance(value, bytes):
        raise ProtocolError("protocol", f"bad INTERNALDATE {value!r:.50}")
    try:
        day, month, rest = value.split(b"-", 2)
        year, clock, zone = rest.split(b" ")
        hour, minute, second = clock.split(b":")
        return datetime(
            int(year),
            _MONTHS[month.lower()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=_zone(zone),
        )
    except (KeyError, ValueError) as error:
        raise ProtocolError("protocol", f"bad INTERNALDATE {value!r:.50}") from error


@lru_cache(maxsize=256)
def _zone(zone: bytes) -> timezone:
    if len(zone) != 5 or zone[0] not in b"+-" or not zone[1:].isdigit():
        raise ValueError(zone)
    offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5]))
    return timezone(-offset if zone[0] == ord("-") else offset)


def parse_header_date(value: Value) -> datetime | None:
    """A Date header, aware; None when absent or unreadable (it often is)."""
    if not isinstance(value, bytes) or not value:
        return None
    match = _USUAL_DATE.fullmatch(value)
    if match:
        try:
            return _usual_date(*match.groups())
        except (KeyError, ValueError):
            pass
    try:
        parsed = parsedate_to_datetime(_ascii(value))
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    # "-0000" means "no zone information" (RFC 5322 3.3): read it as UTC.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _usual_date(
    day: bytes,
    month: bytes,
    year: bytes,
    hour: bytes,
    minute: bytes,
    second: bytes | None,
    zone: bytes,
) -> datetime:
    return datetime(
        int(year),
        _MONTHS[month.lower()],
        int(day),
        int(hour),
        int(minute),
        int(second or 0),
        tzinfo=UTC if zone == b"-0000" else _zone(zone),
    )


# -- addresses and identifiers ---------------------------------------------------------------


def _addresses(value: Value) -> tuple[Address, ...]:
    if not isinstance(value, list):
        return ()
    key = tuple(tuple(item) if isinstance(item, list) else item for item in value)
    try:
        found = _ADDRESS_CACHE.get(key)
    except TypeError:  # a list nested where a string belongs: not cacheable
        return _decode_addresses(value)
    if found is None:
        found = _decode_addresses(value)
        if len(_ADDRESS_CACHE) >= _ADDRESS_CACHE_SIZE:
            _ADDRESS_CACHE.clear()
        _ADDRESS_CACHE[key] = found
    return found


def _decode_addresses(value: list[Value]) -> tuple[Address, ...]:
    addresses = []
    for item in value:
        if not isinstance(item, list) or len(item) < 4:
            continue
        name, _route, mailbox, host = item[:4]
        if host is None:
            continue  # RFC 9051 7.5.2: the start (mailbox = group name) or end of a group
        email = f"{_utf8(mailbox)}@{_utf8(host)}" if mailbox else _utf8(host)
        addresses.append(Address(decode_header_text(name), email))
    return tuple(addresses)


def _ascii(value: Value) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else ""


def _utf8(value: Value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ""


def _first_message_id(value: Value) -> str:
    if not isinstance(value, bytes):
        return ""
    match = _MESSAGE_ID.search(value)
    return _ascii(match.group()) if match else _ascii(value).strip()


def _references(items: dict[bytes, Value]) -> tuple[str, ...]:
    header = items.get(_REFERENCES_KEY)
    if header is None:  # some servers echo the section differently ("REFERENCES" quoted …)
        header = next(
            (value for key, value in items.items() if key.startswith(b"BODY[HEADER.FIELDS")),
            None,
        )
    if not isinstance(header, bytes):
        return ()
    found = _MESSAGE_ID.findall(header)
    # RFC 5322 3.6.4 trimming: keep the thread's root and the most recent ancestors.
    if len(found) > _MAX_REFERENCES:
        found = found[:1] + found[-(_MAX_REFERENCES - 1) :]
    return tuple(reference.decode("ascii", "replace") for reference in found)


def _preview(value: Value) -> str:
    if isinstance(value, list):  # "(FUZZY text)" from drafts of RFC 8970 and SNIPPET
        value = value[-1] if value else None
    return _utf8(value).strip()
