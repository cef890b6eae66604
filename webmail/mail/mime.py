"""Reading a raw message for display, with bounded work on any input.

Python's email package with policy.default can take minutes or blow the
recursion limit on hostile input (STACK.md); compat32 is fast, so we parse with
it, cap depth, part count and header size, and decode headers ourselves.
"""

import email
import email.errors
import email.policy
import email.utils
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.feedparser import BytesFeedParser
from email.message import Message
from email.parser import BytesHeaderParser
from itertools import islice

from webmail.mail.imap_text import decode_charset, decode_header_text
from webmail.mail.mime_params import TolerantMessage

MAX_PARTS = 500
MAX_DEPTH = 20
MAX_HEADER_BYTES = 256 * 1024
MAX_DISPLAY_BYTES = 50 * 1024 * 1024
# Parts the stdlib's parser may make before it is stopped: room for MAX_PARTS leaves
# and their multiparts. Fed FEED_BYTES at a time, it overshoots by one chunk at most.
MAX_ENTITIES = 4 * MAX_PARTS
FEED_BYTES = 16 * 1024
# Lone surrogates (\ud800-\udfff) cannot be encoded in a Content-Disposition header.
UNSAFE_FILENAME = re.compile(
    r"[\x00-\x1f\x7f/\\\u202a-\u202e\u2066-\u2069\u200e\u200f\ud800-\udfff]"
)
# Common file systems allow 255 bytes per name; leave room for " (2)" and the like.
MAX_FILENAME_BYTES = 200
MAX_EXTENSION_CHARS = 16


@dataclass(frozen=True)
class Part:
    """One leaf of the MIME tree, by its position in a depth-first walk."""

    index: int
    content_type: str
    filename: str
    content_id: str
    inline: bool
    size: int


@dataclass
class ParsedMessage:
    subject: str = ""
    sender: str = ""
    to: str = ""
    cc: str = ""
    reply_to: str = ""
    date: datetime | None = None
    message_id: str = ""
    # Mailing lists (RFC 2919, 2369, 8058): as sent, for webmail.mail.unsubscribe.
    list_id: str = ""
    list_unsubscribe: str = ""
    list_unsubscribe_post: str = ""
    html: str | None = None
    text: str | None = None
    attachments: list[Part] = field(default_factory=list)
    inline_parts: dict[str, Part] = field(default_factory=dict)  # by Content-ID
    problem: str = ""  # "", "too_large", "too_many_parts", "too_deep", "headers_too_large"


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """No path separators, control or bidi-override characters; never empty."""
    name = unicodedata.normalize("NFC", name or "")
    name = UNSAFE_FILENAME.sub("_", name).strip(" .")
    return shortened(name) or fallback


def shortened(name: str) -> str:
    """At most MAX_FILENAME_BYTES of UTF-8, cut in the stem: "report.pdf" cut
    at the end would no longer open with the reader's PDF viewer."""
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = MAX_FILENAME_BYTES - len(suffix.encode())
    return stem.encode()[:budget].decode("utf-8", "ignore").rstrip(" .") + suffix


def as_bytes(value) -> bytes:
    # compat32 keeps 8-bit header bytes as surrogate escapes: give them back.
    text = str(value or "")
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate, from an RFC 2231 value in UTF-7
        return text.encode("utf-8", "replace")


def raw_header(message: Message, name: str) -> str:
    """The first ``name`` header as parsed. Not get(): for a value with 8-bit
    bytes (RFC 6532 UTF-8) it returns a Header whose str() makes them U+FFFD."""
    wanted = name.lower()
    return next((str(value) for key, value in message.raw_items() if key.lower() == wanted), "")


def header(message: Message, name: str) -> str:
    return decode_header_text(as_bytes(raw_header(message, name)))


def filename_of(part: Message) -> str:
    """get_filename(), with raw 8-bit names read as UTF-8 (else Windows-1252)
    first. Encoded words are decoded later, after the parameters are split: a
    decoded quote or semicolon must stay part of the name."""
    decoded = TolerantMessage()
    for name in ("Content-Disposition", "Content-Type"):
        if value := raw_header(part, name):
            octets = as_bytes(value)
            try:
                decoded[name] = octets.decode("utf-8")
            except UnicodeDecodeError:
                decoded[name] = octets.decode("cp1252", "replace")
    try:
        return decoded.get_filename() or ""
    except (LookupError, ValueError):  # an RFC 2231 charset label with a NUL in it
        return ""


def parse_date(value: str) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def leaves(message: Message, problem: list[str], depth: int = 0):
    """Depth-first leaves of the MIME tree, stopping at the caps."""
    if depth > MAX_DEPTH:
        problem.append("too_deep")
        return
    # A forwarded message is one attachment, not a tree to show as our body.
    if not message.is_multipart() or message.get_content_type() == "message/rfc822":
        if nested_too_deep(message, MAX_DEPTH - depth):
            problem.append("too_deep")
        yield message
        return
    for child in message.get_payload() or []:
        if isinstance(child, Message):
            yield from leaves(child, problem, depth + 1)


def nested_too_deep(message: Message, limit: int = MAX_DEPTH) -> bool:
    """More than ``limit`` levels below ``message`` (the stdlib's generator, which
    writes an attached message back, recurses once per level). Counted level by
    level, without recursion."""
    level = [message]
    for _depth in range(max(limit, 0) + 1):
        level = [child for part in level if part.is_multipart() for child in part.get_payload()]
        if not level:
            return False
    return True


def decoded_payload(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if not isinstance(inner, list) or not inner or nested_too_deep(part):
            return b""
        return written(inner[0])
    return part.get_payload(decode=True) or b""


def written(message: Message) -> bytes:
    """An attached message written back by the stdlib's generator, which raises on
    some hostile content (8-bit text it decoded itself, a charset that takes no
    "replace", a header it will not fold); b"" when neither writer manages."""
    for write in (message.as_bytes, lambda: as_bytes(message.as_string())):
        try:
            return write()
        except (ValueError, email.errors.MessageError):  # UnicodeError is a ValueError
            continue
    return b""


def describe(index: int, part: Message) -> Part:
    filename = filename_of(part)
    if not filename and part.get_content_type() == "message/rfc822":
        filename = "message.eml"
    disposition = (part.get_content_disposition() or "").lower()
    try:
        payload = part.get_payload()
    except (UnicodeError, ValueError):  # 8-bit text in a charset "replace" cannot read (idna)
        payload = part.get_payload(decode=True)
    return Part(
        index=index,
        content_type=part.get_content_type(),
        filename=safe_filename(decode_header_text(as_bytes(filename))) if filename else "",
        content_id=header(part, "Content-ID").strip().strip("<>"),
        inline=disposition != "attachment",
        size=len(payload) if isinstance(payload, str | bytes) else len(decoded_payload(part)),
    )


def body_text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except (LookupError, ValueError):  # an RFC 2231 charset label with a NUL in it
        charset = None
    return decode_charset(part.get_payload(decode=True) or b"", charset)


def parse_raw(raw: bytes) -> tuple[Message | None, bool]:
    """The message as compat32 reads it, and whether it was cut short: the parser is
    stopped past MAX_ENTITIES parts (half a million empty parts fit in 5 MB and took
    a minute). None when the message nests deeper than that parser recurses."""
    made = 0

    def counted(**arguments) -> Message:
        nonlocal made
        made += 1
        return TolerantMessage(**arguments)

    parser = BytesFeedParser(counted, policy=email.policy.compat32)
    try:
        for offset in range(0, len(raw), FEED_BYTES):
            if made > MAX_ENTITIES:
                break
            parser.feed(raw[offset : offset + FEED_BYTES])
        return parser.close(), made > MAX_ENTITIES
    except RecursionError:
        return None, False


def parse_for_display(raw: bytes) -> ParsedMessage:
    """Headers, the best body (HTML and/or plain) and the attachment list."""
    return read_for_display(raw)[0]


def parse_headers(raw: bytes) -> ParsedMessage:
    """Only the headers of parse_for_display, within the same caps, for what
    needs no body (an action taken on the message)."""
    result = ParsedMessage(problem=size_problem(raw))
    if not result.problem:
        head_end = _head_end(raw)
        head = raw if head_end < 0 else raw[:head_end]
        fill_headers(result, BytesHeaderParser(policy=email.policy.compat32).parsebytes(head))
    return result


def size_problem(raw: bytes) -> str:
    """The problem past the caps ("too_large", "headers_too_large"), else ""."""
    if len(raw) > MAX_DISPLAY_BYTES:
        return "too_large"
    head_end = _head_end(raw)
    if head_end > MAX_HEADER_BYTES or (head_end < 0 and len(raw) > MAX_HEADER_BYTES):
        return "headers_too_large"
    return ""


def _head_end(raw: bytes) -> int:
    return raw.find(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.find(b"\n\n")


def read_for_display(raw: bytes) -> tuple[ParsedMessage, Message | None]:
    """parse_for_display, and the MIME tree it read (None past the caps), so
    that payloads_in can then take parts' bytes without parsing again."""
    result = ParsedMessage(problem=size_problem(raw))
    if result.problem:
        return result, None
    message, cut_short = parse_raw(raw)
    if message is None:  # its headers can still be shown
        fill_headers(result, BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw))
        result.problem = "too_deep"
        return result, None
    fill_headers(result, message)
    fill_parts(result, message)
    if cut_short and not result.problem:
        result.problem = "too_many_parts"
    return result, message


def fill_headers(result: ParsedMessage, message: Message) -> None:
    result.subject = header(message, "Subject")
    result.sender = header(message, "From")
    result.to = header(message, "To")
    result.cc = header(message, "Cc")
    result.reply_to = header(message, "Reply-To")
    result.date = parse_date(str(message.get("Date", "") or ""))
    result.message_id = str(message.get("Message-ID", "") or "").strip()
    result.list_id = header(message, "List-Id")
    # URIs are ASCII (RFC 2369): never decoded, so an encoded word stays the junk it is.
    result.list_unsubscribe = raw_header(message, "List-Unsubscribe")
    result.list_unsubscribe_post = raw_header(message, "List-Unsubscribe-Post")


def fill_parts(result: ParsedMessage, message: Message) -> None:
    problems: list[str] = []
    for index, part in enumerate(leaves(message, problems)):
        if index >= MAX_PARTS:
            problems.append("too_many_parts")
            break
        info = describe(index, part)
        if info.content_id and info.content_type.startswith("image/"):
            result.inline_parts[info.content_id] = info
        if is_body(info) and info.content_type == "text/html" and result.html is None:
            result.html = body_text(part)
        elif is_body(info) and info.content_type == "text/plain" and result.text is None:
            result.text = body_text(part)
        elif not (info.content_id and info.inline and info.content_type.startswith("image/")):
            result.attachments.append(info)
    result.problem = problems[0] if problems else ""


def is_body(info: Part) -> bool:
    return info.inline and not info.filename


def part_payloads(raw: bytes, indexes: Iterable[int]) -> dict[int, tuple[Part, bytes]]:
    """The decoded bytes of the leaves at ``indexes`` (as numbered by
    parse_for_display), from one parse: one parse per part would make "every
    attachment in a zip" quadratic in a hostile message's size."""
    tree, _cut_short = parse_raw(raw)
    return payloads_in(tree, indexes) if tree is not None else {}


def payloads_in(tree: Message, indexes: Iterable[int]) -> dict[int, tuple[Part, bytes]]:
    """part_payloads from a tree already parsed (read_for_display's)."""
    wanted = set(indexes)
    found: dict[int, tuple[Part, bytes]] = {}
    problems: list[str] = []
    for position, part in enumerate(leaves(tree, problems)):
        if position >= MAX_PARTS or len(found) == len(wanted):
            break
        if position in wanted:
            found[position] = describe(position, part), decoded_payload(part)
    return found


def described_leaves(tree: Message) -> list[Part]:
    """Every leaf of ``tree`` as parse_for_display numbers them (to MAX_PARTS)."""
    problems: list[str] = []
    return [
        describe(index, part)
        for index, part in enumerate(islice(leaves(tree, problems), MAX_PARTS))
    ]
