"""Header text as a person reads it: charsets that lie, RFC 2047 encoded words,
raw 8-bit. Everything here returns text and never raises on a message's content."""

import base64
import binascii
import codecs
import re

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_LINE_BREAK = re.compile(r"\r?\n")
# Labels that lie in practice (WHATWG Encoding): Latin-1 mail is nearly always
# Windows-1252, and the GB/KS labels name the supersets mailers actually use.
_CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
}


def decode_header_text(value: object) -> str:
    """A header value as text: raw 8-bit read as UTF-8 (else Windows-1252),
    folding removed, RFC 2047 encoded words decoded. Anything not bytes is ""."""
    if not isinstance(value, bytes):
        return ""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("cp1252", "replace")
    if "\n" in text:
        text = _LINE_BREAK.sub("", text)
    return decode_encoded_words(text) if "=?" in text else text


def decode_encoded_words(text: str) -> str:
    """RFC 2047: decode encoded words; whitespace between two of them is dropped
    (section 6.2), and adjacent words in one charset are joined before decoding,
    since mailers split multi-byte characters across words."""
    pieces: list[str | tuple[str, bytes]] = []  # plain text, or (charset, octets)
    position = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[position : match.start()]
        if between and not (pieces and isinstance(pieces[-1], tuple) and between.isspace()):
            pieces.append(between)
        # RFC 2231 section 5 allows a language after "*": "=?utf-8*fr?q?...?=".
        charset = match.group(1).split("*", 1)[0].lower()
        payload = _word_payload(match.group(2), match.group(3))
        last = pieces[-1] if pieces else None
        if payload is None:
            pieces.append(match.group())
        elif isinstance(last, tuple) and last[0] == charset:
            pieces[-1] = (charset, last[1] + payload)
        else:
            pieces.append((charset, payload))
        position = match.end()
    pieces.append(text[position:])
    return "".join(
        piece if isinstance(piece, str) else decode_charset(piece[1], piece[0]) for piece in pieces
    )


def _word_payload(encoding: str, payload: str) -> bytes | None:
    data = payload.encode("ascii", "ignore")
    try:
        if encoding in "qQ":
            return binascii.a2b_qp(data, header=True)
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_charset(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; unknown or lying labels fall back to UTF-8,
    undecodable bytes become U+FFFD."""
    name = (charset or "utf-8").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        codecs.lookup(name)
    except LookupError:
        name = "utf-8"
    try:
        return data.decode(name, "replace")
    except (UnicodeError, LookupError):
        return data.decode("utf-8", "replace")
