"""Building outgoing messages with the stdlib ``email`` package. Pure Python, no Django.

    raw = build_message(
        sender=Mailbox("alice@example.org", "Alice Liddell"),
        to=[Mailbox("bob@example.org")],
        subject=subject_with_prefix(original_subject, "Re:"),
        text="Hello Bob.",
        in_reply_to=parent_id,
        references=reply_references(parent_references, parent_id),
    )

What comes out is 7-bit ASCII with CRLF line endings (non-ASCII text goes as
quoted-printable or base64, names and subjects as RFC 2047 encoded words,
filenames as RFC 2231 parameters), so it needs neither 8BITMIME nor SMTPUTF8
from the server and can be APPENDed to any IMAP server as is.

Every header value is refused (ValueError) when it holds a line break: a subject
such as "Hi\\r\\nBcc: everyone@example.org" must never become a header of its own.
``policy.verify_generated_headers`` (CVE-2024-6923) checks the output once more.
"""

import email.policy
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser

POLICY = email.policy.default.clone(
    linesep="\r\n",
    cte_type="7bit",
    verify_generated_headers=True,
)
# What str.splitlines() breaks on (the email package checks header values with it),
# and NUL, which no header may carry (RFC 5322 section 2.2).
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x00")
# RFC 5322 section 3.6.4: "<" id-left "@" id-right ">", printable ASCII without spaces.
_ID_PART = r"[\x21-\x3b\x3d\x3f\x41-\x7e]+"
MESSAGE_ID = re.compile(rf"<{_ID_PART}@{_ID_PART}>")
# Long threads: keep the first (the thread's root) and the latest ones, as mailers do,
# so the header stays short and threading still works.
MAX_REFERENCES = 20
_DEFAULT_TYPE = ("application", "octet-stream")
_TOKEN = re.compile(r"[A-Za-z0-9!#$&^_.+-]+")

# Reply and forward markers in the languages of our users' mailers ("Re:", "RE:",
# "Réf. :", "AW:", "SV:", "Fwd:", "TR:", "WG:", "RV:"...), with counters such as
# "Re[2]:" or "Re^2:" that some mailers add.
_REPLY_WORDS = ("re", "ré", "réf", "ref", "rif", "aw", "sv", "antw", "odp", "res", "ynt")
_FORWARD_WORDS = ("fwd", "fw", "tr", "wg", "rv", "enc", "doorst", "pd")
_COUNTER = r"(?:\s*(?:\[\d+\]|\(\d+\)|\^\d+))?"


def _prefixes(words: Iterable[str]) -> re.Pattern[str]:
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    return re.compile(rf"^\s*(?:(?:{alternatives}){_COUNTER}\s*\.?\s*[:\uff1a]\s*)+", re.IGNORECASE)


_REPLY = _prefixes(_REPLY_WORDS)
_FORWARD = _prefixes(_FORWARD_WORDS)


@dataclass(frozen=True)
class Mailbox:
    """An address and, optionally, the name shown with it."""

    address: str
    name: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class OutgoingHeaders:
    """What the outbox reads back from a built message."""

    message_id: str
    subject: str


def build_message(
    *,
    sender: Mailbox,
    to: Sequence[Mailbox] = (),
    cc: Sequence[Mailbox] = (),
    reply_to: Sequence[Mailbox] = (),
    subject: str = "",
    text: str = "",
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    message_id: str | None = None,
    date: datetime | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    extra_headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The message as bytes, ready for SMTP and IMAP APPEND.

    Bcc recipients go in the SMTP envelope only (see ``envelope_recipients``),
    never in a header. ``message_id`` defaults to a new one in the sender's
    domain; ``date`` (timezone-aware) to now. A rich message always carries the
    plain ``text`` as its first alternative. Whitespace around the subject,
    names and filenames is dropped, and runs of it in names are made one space
    (folding and phrase parsing would not keep them anyway). Raises ValueError for a header
    value with a line break, a malformed message id, a naive date or an address
    that needs SMTPUTF8 (a non-ASCII local part). ``extra_headers`` are (name,
    value) pairs such as ("Auto-Submitted", "auto-replied"), added as given."""
    message = EmailMessage(policy=POLICY)
    _set_headers(
        message,
        sender=sender,
        to=to,
        cc=cc,
        reply_to=reply_to,
        subject=subject,
        message_id=message_id or make_message_id(domain_of(sender.address)),
        date=date or datetime.now(UTC),
    )
    _set_thread_headers(message, in_reply_to, references)
    for name, value in extra_headers:
        message[_single_line(name, "header name")] = _single_line(value, name)
    _set_body(message, text, html, attachments)
    return message.as_bytes(policy=POLICY)


def _set_headers(message: EmailMessage, **values) -> None:
    message["Date"] = _aware(values["date"])
    message["From"] = _address(values["sender"])
    for name, field in (("To", "to"), ("Cc", "cc"), ("Reply-To", "reply_to")):
        if values[field]:
            message[name] = [_address(mailbox) for mailbox in values[field]]
    message["Subject"] = _single_line(values["subject"], "subject").strip()
    message["Message-ID"] = _message_id(values["message_id"])


def _set_thread_headers(
    message: EmailMessage, in_reply_to: str | None, references: Sequence[str]
) -> None:
    # RFC 5322 section 3.6.4: In-Reply-To names the parent, References the thread.
    if in_reply_to:
        message["In-Reply-To"] = _message_id(in_reply_to)
    if references:
        message["References"] = " ".join(_message_id(value) for value in references)


def _set_body(
    message: EmailMessage, text: str, html: str | None, attachments: Sequence[Attachment]
) -> None:
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        if attachment.content_type == "message/rfc822" and _fits_7bit(attachment.content):
            _attach_message(message, attachment)
            continue
        maintype, subtype = _content_type(attachment.content_type)
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=_single_line(attachment.filename, "filename").strip(),
        )
    for part in message.iter_parts() if message.is_multipart() else ():
        _drop_inner_mime_version(part)


def _fits_7bit(raw: bytes) -> bool:
    """message/rfc822 may not be base64-encoded (RFC 2046 section 5.2.1): only a
    7-bit message with short lines travels as one; others go as an .eml file."""
    return raw.isascii() and all(len(line) <= 998 for line in raw.splitlines())


def _attach_message(message: EmailMessage, attachment: Attachment) -> None:
    """A forwarded message as a message/rfc822 part: mail readers show it as a
    message, with its own headers and attachments."""
    inner = email.message_from_bytes(attachment.content, policy=email.policy.default)
    message.add_attachment(
        inner, cte="7bit", filename=_single_line(attachment.filename, "filename").strip()
    )


def _drop_inner_mime_version(part: EmailMessage) -> None:
    # The email package repeats MIME-Version in every part it builds; RFC 2045
    # section 4 wants it at the top only.
    del part["MIME-Version"]
    if part.is_multipart():
        for child in part.iter_parts():
            _drop_inner_mime_version(child)


def envelope_recipients(*groups: Iterable[Mailbox | str]) -> list[str]:
    """The RCPT TO addresses for To, Cc and Bcc: each once, in order. Addresses
    differing only in case count as one: sending twice is worse than the rare
    server whose mailbox names are case-sensitive."""
    seen: set[str] = set()
    addresses: list[str] = []
    for group in groups:
        for item in group:
            address = _ascii_address(item.address if isinstance(item, Mailbox) else item)
            if address.casefold() not in seen:
                seen.add(address.casefold())
                addresses.append(address)
    return addresses


def make_message_id(domain: str) -> str:
    """A new, unguessable Message-ID in ``domain`` (no time, no process id in it)."""
    return f"<{secrets.token_urlsafe(18)}@{_idna(domain or 'localhost')}>"


def domain_of(address: str) -> str:
    return address.rpartition("@")[2]


def reply_references(parent_references: str, parent_message_id: str) -> list[str]:
    """References for a reply: the parent's, then the parent itself (RFC 5322
    section 3.6.4), malformed ids dropped, at most MAX_REFERENCES kept."""
    found = MESSAGE_ID.findall(parent_references or "")
    if parent_message_id and MESSAGE_ID.fullmatch(parent_message_id.strip()):
        found.append(parent_message_id.strip())
    unique = list(dict.fromkeys(found))
    if len(unique) > MAX_REFERENCES:
        unique = [unique[0], *unique[-(MAX_REFERENCES - 1) :]]
    return unique


def subject_with_prefix(subject: str, prefix: str = "Re:") -> str:
    """``prefix`` once, in front of the subject without the markers of the same
    kind: "RE: Réf. : Hi" with "Re:" gives "Re: Hi", "TR: Hi" with "Fwd:" gives
    "Fwd: Hi". Markers of the other kind stay ("Fwd: Re: Hi")."""
    pattern = _pattern_for(prefix)
    core = pattern.sub("", subject or "", count=1).strip()
    return f"{prefix} {core}" if core else prefix


def _pattern_for(prefix: str) -> re.Pattern[str]:
    for family in (_REPLY, _FORWARD):
        if family.fullmatch(prefix.strip()):
            return family
    word = re.escape(prefix.strip().rstrip(":\uff1a").strip())
    return re.compile(rf"^\s*(?:{word}\s*[:\uff1a]\s*)+", re.IGNORECASE)


def read_headers(raw: bytes) -> OutgoingHeaders:
    """The Message-ID and the decoded subject of a message (headers only are parsed)."""
    headers = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    message_id = str(headers.get("Message-ID", "")).strip()
    if not MESSAGE_ID.fullmatch(message_id):
        raise ValueError("the message has no valid Message-ID")
    return OutgoingHeaders(message_id=message_id, subject=str(headers.get("Subject", "")))


# -- checks ----------------------------------------------------------------------------------------


def _single_line(value: str, field: str) -> str:
    if any(character in _LINE_BREAKS for character in value):
        raise ValueError(f"the {field} may not contain a line break")
    return value


def _aware(date: datetime) -> datetime:
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError("the date must be timezone-aware")
    return date


def _message_id(value: str) -> str:
    value = _single_line(value, "message id").strip()
    if not MESSAGE_ID.fullmatch(value):
        raise ValueError(f"malformed message id: {value!r}")
    return value


def _address(mailbox: Mailbox) -> Address:
    # A display name is a phrase: runs of spaces in it read back as one anyway.
    name = " ".join(_single_line(mailbox.name, "display name").split())
    return Address(display_name=name, addr_spec=_ascii_address(mailbox.address))


def _ascii_address(address: str) -> str:
    """``local@domain`` with the domain in IDNA (the email package would wrongly
    put an encoded word there); a non-ASCII local part needs SMTPUTF8, refused."""
    local, at, domain = _single_line(address, "address").strip().rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in local + domain):
        raise ValueError(f"not an e-mail address: {address!r}")
    if not local.isascii():
        raise ValueError(f"{address!r} needs SMTPUTF8, which Courriel does not send yet")
    return f"{local}@{_idna(domain)}"


def _idna(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValueError(f"not a valid domain: {domain!r}") from error


def _content_type(value: str) -> tuple[str, str]:
    maintype, slash, subtype = _single_line(value, "content type").strip().lower().partition("/")
    if not slash or not _TOKEN.fullmatch(maintype) or not _TOKEN.fullmatch(subtype):
        return _DEFAULT_TYPE
    if maintype in {"multipart", "message"}:
        # Those are structures the email package would rebuild (re-encoding a
        # forwarded message); as bytes they travel untouched, as a file.
        return _DEFAULT_TYPE
    return maintype, subtype
