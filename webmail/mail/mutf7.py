"""IMAP's modified UTF-7 for mailbox names (RFC 3501 section 5.1.3)."""

import base64
import binascii
import re

# "&" starts a run of modified BASE64 (UTF-16BE, "," for "/"), "-" ends it; "&-" is "&".
_SHIFTED = re.compile(rb"&([A-Za-z0-9+,]*)-")
_PRINTABLE_RUN = re.compile(r"[\x20-\x7e]+")


def encode(name: str) -> bytes:
    """The wire form of a mailbox name: printable ASCII stays, "&" becomes "&-",
    every other run of characters (accents, control characters) is shifted."""
    encoded = bytearray()
    position = 0
    for match in _PRINTABLE_RUN.finditer(name):
        encoded += _shift(name[position : match.start()])
        encoded += match.group().encode("ascii").replace(b"&", b"&-")
        position = match.end()
    encoded += _shift(name[position:])
    return bytes(encoded)


def decode(raw: bytes) -> str:
    """A mailbox name as a person reads it. Names that are not valid modified
    UTF-7 (servers with UTF8=ACCEPT, or sloppy ones) are read as UTF-8 instead,
    never raising."""
    try:
        return _decode_strict(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _shift(text: str) -> bytes:
    if not text:
        return b""
    utf16 = text.encode("utf-16-be", "surrogatepass")
    return b"&" + base64.b64encode(utf16).rstrip(b"=").replace(b"/", b",") + b"-"


def _decode_strict(raw: bytes) -> str:
    if not raw.isascii():
        raise ValueError("8-bit mailbox name")
    parts = []
    position = 0
    for match in _SHIFTED.finditer(raw):
        parts.append(_plain(raw[position : match.start()]))
        parts.append(_unshift(match.group(1)))
        position = match.end()
    parts.append(_plain(raw[position:]))
    return "".join(parts)


def _plain(chunk: bytes) -> str:
    if b"&" in chunk:
        raise ValueError("unterminated shift")
    return chunk.decode("ascii")


def _unshift(encoded: bytes) -> str:
    if not encoded:
        return "&"
    padded = encoded.replace(b",", b"/") + b"=" * (-len(encoded) % 4)
    try:
        return base64.b64decode(padded, validate=True).decode("utf-16-be")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(str(error)) from error
