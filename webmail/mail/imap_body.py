"""What a message's BODYSTRUCTURE tells a message list (RFC 9051 section 7.5.2):
its content type, its attachments, and which part to preview.

Part lists, as ``imap_parse`` returns them: a multipart is its parts (lists)
followed by its subtype and extension data; a leaf is type, subtype, parameters,
id, description, encoding, size, then fields that depend on the type.
"""

from urllib.parse import unquote_to_bytes

from webmail.mail.imap_parse import Value
from webmail.mail.imap_text import decode_charset, decode_header_text
from webmail.mail.imap_types import Attachment

_MAX_DEPTH = 32
_TEXT_BODIES = ("text/plain", "text/html")
_MESSAGES = ("message/rfc822", "message/global")


def describe_body(body: Value) -> tuple[str, tuple[Attachment, ...], str | None]:
    """(top-level content type, attachments, section of the first text/plain —
    else text/html — part that is not an attachment)."""
    if not isinstance(body, list) or not body:
        return "", (), None
    attachments: list[Attachment] = []
    texts: dict[str, str] = {}
    content_type = _walk(body, "", "", attachments, texts, 0)
    return content_type, tuple(attachments), texts.get("text/plain") or texts.get("text/html")


def _walk(
    part: list[Value],
    section: str,
    parent_subtype: str,
    attachments: list[Attachment],
    texts: dict[str, str],
    depth: int,
) -> str:
    """Visit a part and its children; return the part's content type."""
    children = []
    for item in part:
        if not isinstance(item, list):
            break
        children.append(item)
    if not children:
        # A non-multipart message has one part, numbered 1 (RFC 9051 6.4.5).
        return _visit_leaf(part, section or "1", parent_subtype, attachments, texts)
    subtype = _lower(part[len(children)]) if len(part) > len(children) else ""
    if depth < _MAX_DEPTH:  # deeper than this is hostile: left unlisted
        for number, child in enumerate(children, start=1):
            child_section = f"{section}.{number}" if section else str(number)
            _walk(child, child_section, subtype, attachments, texts, depth + 1)
    return "multipart/" + subtype


def _visit_leaf(
    part: list[Value],
    section: str,
    parent_subtype: str,
    attachments: list[Attachment],
    texts: dict[str, str],
) -> str:
    if len(part) < 7:
        return ""
    content_type = f"{_lower(part[0])}/{_lower(part[1])}"
    disposition, disposition_params = _disposition(part, content_type)
    if disposition != "attachment" and (disposition == "inline" or content_type in _TEXT_BODIES):
        filename = ""  # a body, whatever its name: spared the parameter lookups
    else:
        filename = parameter(disposition_params, "filename") or parameter(part[2], "name")
    if _is_attachment(content_type, disposition, filename, parent_subtype):
        size = part[6]
        attachments.append(
            Attachment(
                section=section,
                filename=filename,
                content_type=content_type,
                size=int(size) if isinstance(size, bytes) and size.isdigit() else 0,
            )
        )
    elif content_type in _TEXT_BODIES and content_type not in texts:
        texts[content_type] = section
    return content_type


def _is_attachment(content_type: str, disposition: str, filename: str, parent: str) -> bool:
    if disposition == "attachment" or content_type in _MESSAGES:
        return True
    if disposition == "inline" or content_type in _TEXT_BODIES:
        return False
    # Named parts of multipart/related are the pictures an HTML body shows.
    return bool(filename) and parent != "related"


def _disposition(part: list[Value], content_type: str) -> tuple[str, Value]:
    # After size come: text, "lines"; message/rfc822, envelope, body and lines;
    # then for all the extension data: md5, then disposition.
    if content_type.startswith("text/"):
        index = 9
    elif content_type in _MESSAGES:
        index = 11
    else:
        index = 8
    value = part[index] if len(part) > index else None
    if not isinstance(value, list) or not value:
        return "", None
    return _lower(value[0]), value[1] if len(value) > 1 else None


def parameter(params: Value, wanted: str) -> str:
    """A body parameter by name, with RFC 2231 continuations and charsets, and
    the RFC 2047 encoded words many mailers put in file names anyway."""
    if not isinstance(params, list):
        return ""
    pairs: dict[str, bytes] = {}
    for name, value in zip(params[0::2], params[1::2], strict=False):
        if isinstance(value, bytes):
            pairs[_lower(name)] = value
    if wanted in pairs:
        return decode_header_text(pairs[wanted])
    if f"{wanted}*" in pairs:
        return _rfc2231_value([(pairs[f"{wanted}*"], True)])
    chunks = []
    for number in range(64):
        if f"{wanted}*{number}*" in pairs:
            chunks.append((pairs[f"{wanted}*{number}*"], True))
        elif f"{wanted}*{number}" in pairs:
            chunks.append((pairs[f"{wanted}*{number}"], False))
        else:
            break
    return _rfc2231_value(chunks) if chunks else ""


def _rfc2231_value(chunks: list[tuple[bytes, bool]]) -> str:
    """charset'language'percent-encoded; only the first chunk names the charset."""
    charset = "utf-8"
    octets = bytearray()
    for number, (value, encoded) in enumerate(chunks):
        if number == 0 and encoded and value.count(b"'") >= 2:
            declared, _language, value = value.split(b"'", 2)
            charset = declared.decode("ascii", "replace") or charset
        octets += unquote_to_bytes(value) if encoded else value
    return decode_charset(bytes(octets), charset)


def _lower(value: Value) -> str:
    return value.decode("ascii", "replace").lower() if isinstance(value, bytes) else ""
