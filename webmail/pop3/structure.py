"""A raw message's MIME structure, as far as a message list needs it: whether it has
attachments, and the start of the part to preview. Plain Python, no Django.

The stdlib's parser reads a message line by line (about 0.3 ms for a 16 KB message);
a download of 10,000 messages cannot afford that. Here part boundaries (RFC 2046
§5.1.1) are found with ``bytes.find`` over offsets into the one raw buffer: no part
is copied, only part headers are parsed (compat32, small), and the work is capped
by depth and part count whatever the input.
"""

import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Compat32

from webmail.mail.imap_preview import html_to_text, transfer_decode
from webmail.mail.imap_text import decode_charset

MAX_DEPTH = 10
MAX_PARTS = 200
MAX_PART_HEADER_BYTES = 16 * 1024
PREVIEW_OCTETS = {"text/plain": 2 * 1024, "text/html": 16 * 1024}
_TEXT_BODIES = ("text/plain", "text/html")
_MESSAGES = ("message/rfc822", "message/global")
_LINE_END = re.compile(r"\r?\n")


class _RawValues(Compat32):
    """compat32, except that a value with 8-bit bytes comes back as it was (bytes as
    surrogates) rather than as a Header that has already replaced them with U+FFFD."""

    def header_fetch_parse(self, name, value):
        return value


header_policy = _RawValues()


def parse_header(block: bytes) -> Message:
    """A header block as an ``email.message.Message`` (compat32 rules: values keep
    their folding, 8-bit bytes come back as surrogates). Ten times faster than the
    stdlib's feed parser, which handles every line through several regular
    expressions; lines that are not headers are skipped, as defects."""
    message = Message(policy=header_policy)
    name, value = None, ""
    for line in _LINE_END.split(block.decode("ascii", "surrogateescape")):
        if line[:1] in (" ", "\t"):
            if name is not None:
                value += "\r\n" + line
            continue
        if name is not None:
            message[name] = value
            name = None
        head, colon, rest = line.partition(":")
        if colon and head and head == head.rstrip() and " " not in head:
            name, value = head, rest.lstrip(" \t")
    if name is not None:
        message[name] = value
    return message


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


def body_offset(raw: bytes, start: int = 0, end: int | None = None) -> int:
    """Where the body begins: after the first empty line (CRLF, or a bare LF)."""
    end = len(raw) if end is None else end
    if raw.startswith((b"\r\n", b"\n"), start):  # no header at all
        return start + (2 if raw.startswith(b"\r\n", start) else 1)
    crlf = raw.find(b"\r\n\r\n", start, end)
    # Only up to the CRLF one: a bare-LF search must not scan a whole large message.
    lf = raw.find(b"\n\n", start, end if crlf < 0 else crlf)
    if lf >= 0:
        return lf + 2
    return crlf + 4 if crlf >= 0 else end


def _visit(scan: _Scan, header: Message, start: int, end: int, parent: str, depth: int) -> None:
    if scan.parts_left <= 0 or depth > MAX_DEPTH:
        return
    scan.parts_left -= 1
    content_type = header.get_content_type()
    maintype, _, subtype = content_type.partition("/")
    if content_type in _MESSAGES:
        scan.has_attachments = True
    elif maintype == "multipart":
        boundary = header.get_param("boundary")
        if isinstance(boundary, str) and boundary:
            for part_start, part_end in _parts(scan.raw, start, end, boundary.encode()):
                _visit_part(scan, part_start, part_end, subtype, depth + 1)
    elif _is_attachment(header, content_type, parent):
        scan.has_attachments = True
    elif content_type in _TEXT_BODIES:
        scan.texts.setdefault(content_type, (header, start, end))


def _visit_part(scan: _Scan, start: int, end: int, parent: str, depth: int) -> None:
    body_start = body_offset(scan.raw, start, min(end, start + MAX_PART_HEADER_BYTES))
    header = parse_header(scan.raw[start:body_start])
    _visit(scan, header, min(body_start, end), end, parent, depth)


def _parts(raw: bytes, start: int, end: int, boundary: bytes):
    """(start, end) of each encapsulated part between ``start`` and ``end``; the
    preamble and epilogue are left out, an unterminated last part runs to ``end``."""
    marker = b"--" + boundary
    part_start = None
    position = start
    while (found := raw.find(marker, position, end)) >= 0:
        after = found + len(marker)
        line_end = raw.find(b"\n", after, end)
        line_end = end if line_end < 0 else line_end
        rest = raw[after:line_end].rstrip(b"\r")
        closing = rest.startswith(b"--")
        at_line_start = found == start or raw[found - 1 : found] == b"\n"
        if not at_line_start or rest[2 if closing else 0 :].strip(b" \t"):
            position = after  # "--boundary" inside a line, or a longer boundary
            continue
        if part_start is not None:
            yield part_start, _before_line_break(raw, part_start, found)
        if closing:
            return
        part_start = position = min(line_end + 1, end)
    if part_start is not None and part_start < end:
        yield part_start, end


def _before_line_break(raw: bytes, start: int, delimiter: int) -> int:
    # The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1).
    end = delimiter
    if end > start and raw[end - 1 : end] == b"\n":
        end -= 1
        if end > start and raw[end - 1 : end] == b"\r":
            end -= 1
    return end


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
