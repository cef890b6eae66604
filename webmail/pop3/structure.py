"""A raw message's MIME structure, as far as a message list needs it: whether it has
attachments, and the start of the part to preview. Plain Python, no Django.

Parts are found by ``webmail.mail.mime_scan`` (boundaries found with ``bytes.find``,
no part copied, only part headers parsed), ten times faster than the stdlib's parser,
and the work is capped by depth and part count whatever the input.
"""

from dataclasses import dataclass, field
from email.message import Message

from webmail.mail.imap_preview import html_to_text, transfer_decode
from webmail.mail.imap_text import decode_charset
from webmail.mail.mime_scan import body_offset, boundary_of, header_policy, parse_header, parts

__all__ = ["BodySummary", "body_offset", "header_policy", "parse_header", "summarize"]

MAX_DEPTH = 10
MAX_PARTS = 200
MAX_PART_HEADER_BYTES = 16 * 1024
PREVIEW_OCTETS = {"text/plain": 2 * 1024, "text/html": 16 * 1024}
_TEXT_BODIES = ("text/plain", "text/html")
_MESSAGES = ("message/rfc822", "message/global")


@dataclass(frozen=True)
class BodySummary:
    has_attachments: bool = False
    preview: str = ""


@dataclass
class _Scan:
    raw: bytes
    parts_left: int = MAX_PARTS
    has_attachments: bool = False
    texts: dict[str, tuple[Message, int, int]] = field(default_factory=dict)


def summarize(raw: bytes, header: Message, body_start: int, max_chars: int = 300) -> BodySummary:
    """Attachments and preview of ``raw``, whose top-level header is ``header`` and
    whose body starts at offset ``body_start``."""
    scan = _Scan(raw)
    _visit(scan, header, body_start, len(raw), "", 0)
    chosen = scan.texts.get("text/plain") or scan.texts.get("text/html")
    preview = ""
    if chosen is not None:
        part, start, end = chosen
        octets = raw[start : min(end, start + PREVIEW_OCTETS[part.get_content_type()])]
        preview = preview_text(part, octets, max_chars)
    return BodySummary(scan.has_attachments, preview)


def _visit(scan: _Scan, header: Message, start: int, end: int, parent: str, depth: int) -> None:
    if scan.parts_left <= 0 or depth > MAX_DEPTH:
        return
    scan.parts_left -= 1
    content_type = header.get_content_type()
    maintype, _, subtype = content_type.partition("/")
    if content_type in _MESSAGES:
        scan.has_attachments = True
    elif maintype == "multipart":
        boundary = boundary_of(header)
        if boundary:
            for part_start, part_end in parts(scan.raw, start, end, boundary):
                _visit_part(scan, part_start, part_end, subtype, depth + 1)
    elif _is_attachment(header, content_type, parent):
        scan.has_attachments = True
    elif content_type in _TEXT_BODIES:
        scan.texts.setdefault(content_type, (header, start, end))


def _visit_part(scan: _Scan, start: int, end: int, parent: str, depth: int) -> None:
    body_start = body_offset(scan.raw, start, min(end, start + MAX_PART_HEADER_BYTES))
    header = parse_header(scan.raw[start:body_start])
    _visit(scan, header, min(body_start, end), end, parent, depth)


def _is_attachment(header: Message, content_type: str, parent: str) -> bool:
    # The IMAP side's rule (webmail.mail.imap_body), read from a parsed part header.
    disposition = (header.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if disposition == "inline" or content_type in _TEXT_BODIES:
        return False
    named = header.get_param("filename", header="content-disposition") or header.get_param("name")
    # Named parts of multipart/related are the pictures an HTML body shows.
    return bool(named) and parent != "related"


def preview_text(part: Message, octets: bytes, max_chars: int) -> str:
    """Plain text from the first octets of a text part, cut anywhere (inside a base64
    quantum, a quoted-printable escape, a character, a tag): what
    ``imap_preview.decode_preview`` does from IMAP's PREVIEW octets, without parsing
    the part header again and with ``str.split`` for the blanks, ten times faster
    than its regular expression on a 2 KB text."""
    encoding = (part.get("content-transfer-encoding") or "").strip().lower()
    data = transfer_decode(octets, encoding)
    try:
        charset = part.get_content_charset() or "utf-8"
    except (LookupError, ValueError, TypeError):
        charset = "utf-8"
    text = decode_charset(data, charset).rstrip("\ufffd")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return " ".join(text.split())[:max_chars]
