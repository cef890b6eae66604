"""A short plain-text preview from the first octets of a body part.

The octets are cut anywhere: inside a base64 quantum, a quoted-printable escape,
a multi-byte character or an HTML tag. Each is trimmed rather than guessed, and
the result is plain text for the UI to escape, never markup.
"""

import binascii
import html
import re
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from webmail.mail.imap_text import decode_charset

_BASE64_NOISE = re.compile(rb"[^A-Za-z0-9+/=]")
_PARTIAL_QP_ESCAPE = re.compile(rb"=[0-9A-Fa-f]?$")
_INVISIBLE_HTML = re.compile(
    r"<(head|style|script|title)\b.*?(?:</\1\s*>|$)|<!--.*?(?:-->|$)", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]*(?:>|$)")
_BLANKS = re.compile(r"\s+")


def decode_preview(mime_header: bytes, octets: bytes, max_chars: int = 400) -> str:
    """Text from the start of a part, with the part's own MIME header (its
    ``<section>.MIME``) telling transfer encoding, charset and subtype."""
    header = _parse_header(mime_header)
    encoding = str(header.get("content-transfer-encoding", "")).strip().lower()
    data = transfer_decode(octets, encoding)
    text = decode_charset(data, _charset(header)).rstrip("\ufffd")
    if header.get_content_subtype() == "html":
        text = html_to_text(text)
    return _BLANKS.sub(" ", text).strip()[:max_chars]


def html_to_text(markup: str) -> str:
    """Roughly the visible text of (a fragment of) HTML."""
    text = _TAG.sub(" ", _INVISIBLE_HTML.sub(" ", markup))
    return html.unescape(text)


def _parse_header(mime_header: bytes) -> Message:
    # compat32 is bounded on hostile input where policy.default is not (STACK.md).
    return BytesHeaderParser(policy=compat32).parsebytes(mime_header)


def _charset(header: Message) -> str:
    try:
        return header.get_content_charset() or "utf-8"
    except (LookupError, ValueError, TypeError):
        return "utf-8"


def transfer_decode(octets: bytes, encoding: str) -> bytes:
    """Base64 or quoted-printable octets decoded, tolerating a cut-off end."""
    try:
        if encoding == "base64":
            # Padding ends the data; a cut quantum keeps its whole bytes.
            data = _BASE64_NOISE.sub(b"", octets).split(b"=", 1)[0]
            data = data[: len(data) - (len(data) % 4 == 1)]
            return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
        if encoding == "quoted-printable":
            return binascii.a2b_qp(_PARTIAL_QP_ESCAPE.sub(b"", octets))
    except binascii.Error:
        return b""
    return octets
