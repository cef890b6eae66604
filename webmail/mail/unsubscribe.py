"""The ways a mailing list offers to stop sending, read from headers its sender
wrote: List-Unsubscribe (RFC 2369), List-Unsubscribe-Post (RFC 8058 one-click),
mailto: URIs (RFC 6068) and List-Id (RFC 2919) for the list's name.

Anyone can write these headers, so only https:, http: and mailto: URIs are kept,
each checked and capped; the rest (javascript:, data:, file:, garbage) is
ignored, as are entries past the first few and a header past a size cap.
"""

import re
import unicodedata
from dataclasses import dataclass
from itertools import islice
from urllib.parse import unquote, urlsplit

MAX_HEADER_CHARS = 32 * 1024  # room for MAX_ENTRIES URIs of MAX_URI_CHARS
MAX_ENTRIES = 8
MAX_URI_CHARS = 2048
MAX_SUBJECT_CHARS = 200
MAX_BODY_CHARS = 2000
MAX_LIST_NAME_CHARS = 120
DEFAULT_WORD = "unsubscribe"
ONE_CLICK = "list-unsubscribe=one-click"

_BRACKETED = re.compile(r"<([^<>]*)>")
_WHITESPACE = re.compile(r"\s+")
# Printable ASCII without the backslash, which browsers read as "/" in a web URL
# (https://evil.example\@good.example goes to evil.example) but urlsplit does not.
_URI_CHARACTERS = re.compile(r"[!-\[\]-~]+")
# A plain addr-spec (dot-atom @ host name): a quoted local part or an address literal
# is not worth the risk.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"(?=.{{1,64}}@){_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+")
_HOST = re.compile(r"[a-z0-9.-]+|[0-9a-f:.]+")  # urlsplit's hostname: lower case, no brackets
# Control characters, those that reorder text (bidi overrides and isolates), and
# lone surrogates (undecodable bytes), which no page or message can carry.
_UNSAFE_TEXT = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


@dataclass(frozen=True)
class MailRequest:
    """The message a mailto: URI asks for."""

    address: str
    subject: str = DEFAULT_WORD
    body: str = DEFAULT_WORD


@dataclass(frozen=True)
class UnsubscribeMethods:
    one_click: str = ""  # an https URI to POST "List-Unsubscribe=One-Click" to
    link: str = ""  # a page where the person finishes: https first, else http
    mail: MailRequest | None = None

    def __bool__(self) -> bool:
        return bool(self.one_click or self.link or self.mail)


def unsubscribe_methods(
    list_unsubscribe: str, list_unsubscribe_post: str = ""
) -> UnsubscribeMethods:
    """The usable methods of a List-Unsubscribe header (folded or not), the first
    of each kind in the sender's order. One-click needs an https URI and the
    List-Unsubscribe-Post header RFC 8058 section 3.1 asks for."""
    secure, plain, mails = [], [], []
    for uri in entries(list_unsubscribe):
        scheme = uri.partition(":")[0].lower()
        if scheme in ("https", "http") and is_web_uri(uri):
            (secure if scheme == "https" else plain).append(uri)
        elif scheme == "mailto" and (request := mail_request(uri)) is not None:
            mails.append(request)
    one_click = secure[0] if secure and is_one_click(list_unsubscribe_post) else ""
    link = next(iter(secure + plain), "")
    return UnsubscribeMethods(one_click, link, mails[0] if mails else None)


def entries(value: str) -> list[str]:
    """The <URI>s of the header, whitespace removed (RFC 2369 section 2: a long
    URI may be folded), those of a sane length and character set only."""
    found = islice(_BRACKETED.finditer(value[:MAX_HEADER_CHARS]), MAX_ENTRIES)
    uris = (_WHITESPACE.sub("", match.group(1)) for match in found)
    return [uri for uri in uris if len(uri) <= MAX_URI_CHARS and _URI_CHARACTERS.fullmatch(uri)]


def is_one_click(list_unsubscribe_post: str) -> bool:
    return _WHITESPACE.sub("", list_unsubscribe_post).lower() == ONE_CLICK


def is_web_uri(uri: str) -> bool:
    """An http(s) URL with a host, no credentials and a valid port."""
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    host = parts.hostname or ""
    return bool(_HOST.fullmatch(host)) and parts.username is None and parts.password is None


def mail_request(uri: str) -> MailRequest | None:
    """The first valid address of a mailto: URI (its path, else a "to" field),
    with its subject and body. Every other field (cc, bcc, in-reply-to…) is
    ignored: the sender may choose where the request goes, never who else gets it."""
    path, _, query = uri.partition(":")[2].partition("?")
    # Not parse_qsl: in a mailto: URI "+" is a plus sign, not a space.
    pairs = (pair.partition("=") for pair in query.split("&"))
    fields = [(unquote(name).lower(), unquote(value, errors="replace")) for name, _, value in pairs]
    addresses = [*path.split(","), *(value for name, value in fields if name == "to")]
    address = next((a for a in map(_address, addresses) if a), "")
    if not address:
        return None
    values = dict(reversed(fields))  # the first of each name wins
    subject = " ".join(safe_text(values.get("subject", "")).split())[:MAX_SUBJECT_CHARS]
    lines = (safe_text(line).rstrip() for line in values.get("body", "").splitlines())
    body = "\n".join(lines)[:MAX_BODY_CHARS].strip()
    return MailRequest(address, subject or DEFAULT_WORD, body or DEFAULT_WORD)


def _address(text: str) -> str:
    address = unquote(text.strip(), errors="replace").strip()
    return address if _ADDRESS.fullmatch(address) else ""


def safe_text(text: str) -> str:
    """Text to show or send: control and reordering characters made spaces."""
    return _UNSAFE_TEXT.sub(" ", unicodedata.normalize("NFC", text))


def list_name(list_id: str) -> str:
    """What a person calls the list: List-Id's phrase ("Weekly news"), else
    its identifier ("news.example.org"); "" when there is neither."""
    phrase, bracket, rest = list_id.partition("<")
    identifier = rest.partition(">")[0] if bracket else ""
    name = phrase.strip().strip('"') if bracket else list_id
    cleaned = " ".join(safe_text(name or identifier).split())
    return cleaned[:MAX_LIST_NAME_CHARS]
