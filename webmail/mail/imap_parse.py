"""A lean reader of IMAP response data (RFC 9051 section 4): atoms, numbers,
quoted strings, literals, NIL and parenthesised lists.

imapclient's general parser costs about 20 times the wire on a bulk FETCH
(STACK.md), so FETCH-heavy paths parse with this instead. Values come back
untyped and unconverted: every string, atom and number as ``bytes``, NIL as
``None``, a list as a Python ``list``. The caller converts what it uses.

Input is a *response*: a sequence of segments the way imaplib stores an untagged
response, ``bytes`` for text and ``(text ending in "{n}", literal)`` tuples for
each literal. ``split_literals`` turns raw wire bytes into the same shape.
"""

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from webmail.mail.errors import ProtocolError

type Value = bytes | list["Value"] | None
type Segment = bytes | tuple[bytes, bytes]
# imaplib's untagged responses of one name, [None] when there were none.
type Data = Sequence[Segment | None]

# One token per match, as (plain, escaped, other): the content of a quoted string
# without escapes, or of one with escapes (only \" and \\, section 4.3: written
# apart because testing every string for a backslash costs more than the regex),
# else a parenthesis, an atom (which may carry a body section such as
# BODY[HEADER.FIELDS (REFERENCES)]<0>, brackets holding spaces and parentheses),
# or any other single character, which can only be a syntax error.
_TOKEN = re.compile(
    rb'"([^"\\]*)"|"([^"\\]*(?:\\.[^"\\]*)+)"'
    rb'|([()]|[^\s()"\[\]]+(?:\[[^\]]*\][^\s()"\[\]]*)?|\S)'
)
_ESCAPE = re.compile(rb"\\(.)", re.DOTALL)
_LITERAL_MARKER = re.compile(rb"~?\{(\d+)\+?\}\r\n")


def parse_response(segments: Iterable[Segment | None]) -> list[Value]:
    """The values of a response, in order; of consecutive responses, all their
    values one after the other. The untagged "*" and the response name are not
    part of imaplib's data, so FETCH data reads ``[b"12", [...], b"13", [...]]``."""
    root: list[Value] = []
    current = root
    stack: list[list[Value]] = []
    for segment in segments:
        if segment is None:
            continue  # imaplib's [None]: no such response
        literal: bytes | None = None
        if isinstance(segment, tuple):
            text, literal = segment
            text = text[: _literal_start(text)]
        else:
            text = segment
        for plain, escaped, token in _TOKEN.findall(text):
            # The hot loop of a bulk FETCH: no calls, branches by frequency.
            if token:
                first = token[0]
                if first == 40:  # (
                    child: list[Value] = []
                    current.append(child)
                    stack.append(current)
                    current = child
                elif first == 41:  # )
                    if not stack:
                        raise ProtocolError("protocol", f"unbalanced ')' in {text[:200]!r}")
                    current = stack.pop()
                elif token == b"NIL":
                    current.append(None)
                elif first == 34:  # a lone "
                    raise ProtocolError("protocol", f"unterminated string in {text[:200]!r}")
                else:
                    current.append(token)
            elif escaped:
                current.append(_ESCAPE.sub(rb"\1", escaped))
            else:
                current.append(plain)
        if literal is not None:
            current.append(literal)
    if stack:
        raise ProtocolError("protocol", "unbalanced '(' in response")
    return root


def group_responses(data: Iterable[Segment | None]) -> Iterator[list[Segment]]:
    """Split imaplib's list for one response name into single responses: a
    response is zero or more (text, literal) tuples closed by a bytes trailer."""
    pending: list[Segment] = []
    for segment in data:
        if segment is None:
            continue
        pending.append(segment)
        if segment.__class__ is not tuple:
            yield pending
            pending = []
    if pending:
        raise ProtocolError("protocol", "response ends inside a literal")


def split_literals(raw: bytes) -> list[Segment]:
    """Raw wire bytes (literals inline, "{n}" CRLF then n octets) as segments.
    A quoted string cannot hold CR or LF, so every "{n}" CRLF outside a literal's
    octets announces a literal."""
    segments: list[Segment] = []
    position = 0
    while match := _LITERAL_MARKER.search(raw, position):
        start = match.end()
        end = start + int(match.group(1))
        if end > len(raw):
            raise ProtocolError("protocol", "literal longer than the response")
        segments.append((raw[position : match.end() - 2], raw[start:end]))
        position = end
    segments.append(raw[position:])
    return segments


def parse(raw: bytes) -> list[Value]:
    """Parse raw wire bytes (used by tests and small responses)."""
    return parse_response(split_literals(raw))


def _literal_start(text: bytes) -> int:
    start = text.rindex(b"{")
    # "~{n}" is a literal8 (RFC 3516 BINARY): its octets may include NUL.
    return start - 1 if start and text[start - 1] == ord("~") else start


def as_dict(items: list[Value]) -> dict[bytes, Value]:
    """A FETCH attribute list (name value name value ...) as a dict, names
    upper-cased (RFC 9051: case-insensitive; servers send upper case, which the
    fast path takes as it is)."""
    names = items[0::2]
    if len(names) != len(items) - len(names):
        raise ProtocolError("protocol", "odd number of FETCH attribute items")
    found: dict[Any, Value] = dict(zip(names, items[1::2], strict=True))
    if b"UID" in found or b"FLAGS" in found:
        return found
    if not all(isinstance(name, bytes) for name in found):
        raise ProtocolError("protocol", "FETCH attribute name is not an atom")
    return {name.upper(): value for name, value in found.items()}


def uid_set(uids: Iterable[int]) -> str:
    """A compact UID set ("1:4,7,9:12") from integers only: with
    ``uid_set_chunks``, the one place a message set is formatted, so nothing but
    digits, ":" and "," reaches a command."""
    return ",".join(_ranges(_sorted_uids(uids)))


def uid_set_chunks(
    uids: Iterable[int], max_length: int = 8000, max_count: int | None = None
) -> Iterator[str]:
    """UID sets covering ``uids``, each of at most ``max_count`` UIDs and about
    ``max_length`` characters: servers cap command lines (Dovecot at 64 KiB),
    and a bounded batch bounds the memory its response takes."""
    ordered = _sorted_uids(uids)
    step = max_count or len(ordered)
    for start in range(0, len(ordered), step):
        chunk: list[str] = []
        length = 0
        for item in _ranges(ordered[start : start + step]):
            if chunk and length + len(item) > max_length:
                yield ",".join(chunk)
                chunk, length = [], 0
            chunk.append(item)
            length += len(item) + 1
        yield ",".join(chunk)


def _sorted_uids(uids: Iterable[int]) -> list[int]:
    ordered = sorted({_positive(uid) for uid in uids})
    if not ordered:
        raise ValueError("empty UID set")
    return ordered


def _ranges(ordered: list[int]) -> list[str]:
    ranges = []
    first = last = ordered[0]
    for uid in ordered[1:]:
        if uid != last + 1:
            ranges.append(_range(first, last))
            first = uid
        last = uid
    ranges.append(_range(first, last))
    return ranges


def parse_uid_set(text: bytes, upper_bound: int | None = None) -> list[int]:
    """The UIDs of a sequence set such as b"41,43:116"; "*" and ranges are clamped
    to ``upper_bound`` so a hostile "1:4294967295" cannot exhaust memory."""
    uids: list[int] = []
    for part in text.split(b","):
        first, _, last = part.partition(b":")
        low, high = sorted((_set_number(first), _set_number(last or first)))
        if upper_bound is not None:
            high = min(high, upper_bound)
        uids.extend(range(low, high + 1))
    return uids


def _set_number(text: bytes) -> int:
    if text == b"*":
        return 2**32 - 1
    if not text.isdigit():
        raise ProtocolError("protocol", f"bad sequence set item {text[:50]!r}")
    return int(text)


def _positive(uid: int) -> int:
    if isinstance(uid, bool) or not isinstance(uid, int) or uid < 1:
        raise ValueError(f"not a UID: {uid!r}")
    return uid


def _range(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}:{last}"
