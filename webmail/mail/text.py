"""The searchable text of a raw message: bounded work on any input, never raises.

Only the text parts are read: parts are found by ``mime_scan`` (offsets into the raw
bytes, part headers alone parsed), so an attachment costs a ``bytes.find`` instead of
the stdlib parser's walk through each of its base64 lines, which made nine tenths of
the time of indexing a mailbox's bodies."""

import html
import re
from dataclasses import dataclass, field
from email.message import Message

import nh3

from webmail.mail.imap_preview import transfer_decode
from webmail.mail.imap_text import decode_charset
from webmail.mail.mime_scan import body_offset, boundary_of, parse_header, parts

MAX_PARTS = 200
MAX_DEPTH = 10
MAX_PART_HEADER_BYTES = 256 * 1024
# Runs of blanks as one space. A lone space is left alone rather than replaced by
# itself: prose is mostly single spaces, and this halves the pass over it.
WHITESPACE = re.compile(r"[ \t\r\f\v]{2,}|[\t\r\f\v]")
# What WHITESPACE would change. Most texts hold none once their line ends are LF:
# looking for these with ``in`` (memchr) is ten times faster than the regex's pass.
_BLANKS = ("  ", "\t", "\r", "\f", "\v")
BLANK_LINES = re.compile(r"\n\s*\n+")
_MESSAGES = ("message/rfc822", "message/global")


@dataclass
class _Walk:
    raw: bytes
    budget: int = MAX_PARTS
    plain: list[str] = field(default_factory=list)
    markup: list[tuple[Message, int, int]] = field(default_factory=list)


def _visit(walk: _Walk, start: int, end: int, depth: int, default_type: str) -> None:
    """One part (its header starts at ``start``): text parts are collected,
    multiparts and attached messages visited, depth-first, within the caps."""
    if depth > MAX_DEPTH or walk.budget <= 0:
        return
    walk.budget -= 1
    body = body_offset(walk.raw, start, min(end, start + MAX_PART_HEADER_BYTES))
    header = parse_header(walk.raw[start:body])
    header.set_default_type(default_type)
    body = min(body, end)
    maintype = header.get_content_maintype()
    if maintype == "multipart":
        boundary = boundary_of(header)
        # In a digest, a part without Content-Type is a message (RFC 2046 §5.1.5).
        inner = "message/rfc822" if header.get_content_subtype() == "digest" else "text/plain"
        for part_start, part_end in parts(walk.raw, body, end, boundary) if boundary else ():
            _visit(walk, part_start, part_end, depth + 1, inner)
    elif header.get_content_type() in _MESSAGES:
        _visit(walk, body, end, depth + 1, "text/plain")
    elif maintype == "text" and not header.get_filename():
        if header.get_content_subtype() == "plain":
            walk.plain.append(_decoded(header, walk.raw[body:end]))
        elif not walk.plain:  # HTML is only used when there is no plain text at all
            walk.markup.append((header, body, end))


def _decoded(header: Message, octets: bytes) -> str:
    encoding = str(header.get("content-transfer-encoding", "")).strip().lower()
    try:
        charset = header.get_content_charset() or "utf-8"
    except (LookupError, ValueError, TypeError):
        charset = "utf-8"
    return decode_charset(transfer_decode(octets, encoding), charset)


def html_to_text(markup: str) -> str:
    # nh3 parses like a browser; with no tags allowed only the text is left.
    text = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head"})
    return html.unescape(text)


def extract_text(raw: bytes, limit: int = 100_000) -> str:
    """Plain text for search: text/plain parts, else text/html stripped of markup."""
    walk = _Walk(raw[: limit * 20])
    _visit(walk, 0, len(walk.raw), 0, "text/plain")
    chosen = walk.plain or [
        html_to_text(_decoded(header, walk.raw[start:end])) for header, start, end in walk.markup
    ]
    text = _collapse_blanks("\n".join(chosen).replace("\r\n", "\n"))
    text = BLANK_LINES.sub("\n\n", text).strip().replace("\x00", "")
    return text[:limit]


def _collapse_blanks(text: str) -> str:
    if any(blank in text for blank in _BLANKS):
        return WHITESPACE.sub(" ", text)
    return text
