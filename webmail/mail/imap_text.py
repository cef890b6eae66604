"""Header text as a person reads it: charsets that lie, RFC 2047 encoded words,
raw 8-bit. Everything here returns text and never raises on a message's content."""

import binascii
import codecs
import re
from functools import lru_cache

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
# Codecs Python knows that are no mail charset: they turn a body's "\ud800" or "\x00"
# into lone surrogates and NUL, which no database column takes.
_NOT_CHARSETS = frozenset({"unicode-escape", "raw-unicode-escape", "punycode", "idna"})
_SURROGATE = re.compile(r"[\ud800-\udfff]")


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
    # split() gives [text, charset, encoding, payload, text, ...]: one C call
    # instead of a match object and its groups per word (most headers here are
    # encoded words, so this is the summary's hottest text path).
    parts = _ENCODED_WORD.split(text)
    pieces: list[str] = [parts[0]]
    charset = ""  # of the encoded octets being gathered, "" when none are
    octets = b""
    gap = ""  # whitespace after an encoded word: dropped if another one follows
    for index in range(1, len(parts), 4):
        word_charset, encoding, payload, after = parts[index : index + 4]
        # RFC 2231 section 5 allows a language after "*": "=?utf-8*fr?q?...?=".
        word_charset = word_charset.split("*", 1)[0].lower()
        decoded = _word_payload(encoding, payload)
        if decoded is None:  # not really an encoded word: kept as it is
            if charset:
                pieces.append(decode_charset(octets, charset))
                charset = ""
            pieces.append(gap)
            pieces.append(f"=?{parts[index]}?{encoding}?{payload}?=")
        elif charset == word_charset:
            octets += decoded
        else:
            if charset:
                pieces.append(decode_charset(octets, charset))
            charset, octets = word_charset, decoded
        gap = ""
        if charset and after.isspace() and index + 4 < len(parts):
            gap = after
        elif after:
            if charset:
                pieces.append(decode_charset(octets, charset))
                charset = ""
            pieces.append(after)
    if charset:
        pieces.append(decode_charset(octets, charset))
    return "".join(pieces)


def _word_payload(encoding: str, payload: str) -> bytes | None:
    data = payload.encode("ascii", "ignore")
    try:
        if encoding in "qQ":
            return binascii.a2b_qp(data, header=True)
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_charset(data: bytes, charset: str | None) -> str:
    """Bytes in a declared charset; unknown or lying labels fall back to UTF-8,
    undecodable bytes and lone surrogates become U+FFFD."""
    name = _codec_name(charset or "utf-8")
    try:
        text = data.decode(name, "replace")
    except (UnicodeError, LookupError):
        return data.decode("utf-8", "replace")
    if name == "utf-7":  # UTF-7 encodes UTF-16: its decoder lets lone surrogates through
        text = _SURROGATE.sub("\ufffd", text)
    return text


@lru_cache(maxsize=256)
def _codec_name(charset: str) -> str:
    name = charset.strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        name = codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return "utf-8"
    return "utf-8" if name in _NOT_CHARSETS else name
