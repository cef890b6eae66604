"""What the IMAP gateway returns: plain, typed, immutable values.

Flags and special-use attributes keep IMAP's spelling ("\\Seen", "$Forwarded",
"\\Sent"); folder names are Python strings, decoded from modified UTF-7.
"""

from dataclasses import dataclass
from datetime import datetime

SEEN = "\\Seen"
ANSWERED = "\\Answered"
FLAGGED = "\\Flagged"
DELETED = "\\Deleted"
DRAFT = "\\Draft"

SPECIAL_USES = ("\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash", "\\All", "\\Flagged")


@dataclass(frozen=True, slots=True)
class FolderInfo:
    """One mailbox from LIST. ``raw_name`` is the wire name (modified UTF-7)."""

    name: str
    raw_name: bytes
    delimiter: str | None
    flags: frozenset[str]
    special_use: str | None
    selectable: bool


@dataclass(frozen=True, slots=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    messages: int
    unseen: int
    highestmodseq: int | None


@dataclass(frozen=True, slots=True)
class FlagUpdate:
    uid: int
    flags: frozenset[str]
    modseq: int | None


@dataclass(frozen=True, slots=True)
class SelectedFolder:
    """The answer to SELECT/EXAMINE. ``qresync`` is True when the server accepted
    the QRESYNC parameter: only then are ``vanished`` and ``changed`` complete
    (the server also ignores it, without error, when UIDVALIDITY changed)."""

    name: str
    uidvalidity: int
    uidnext: int | None
    exists: int
    highestmodseq: int | None
    readonly: bool
    qresync: bool
    vanished: tuple[int, ...]
    changed: tuple[FlagUpdate, ...]


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class Attachment:
    """A part a person would call an attachment, described from BODYSTRUCTURE.
    ``size`` counts encoded octets (base64 is about 4/3 of the file)."""

    section: str
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """Everything a message list and threading need, from one FETCH.

    ``preview`` is the server's (RFC 8970 PREVIEW) when it offers one, else "";
    ``preview_section`` names the first text/plain (else text/html) part for
    ``ImapSession.fetch_previews``."""

    uid: int
    flags: frozenset[str]
    internal_date: datetime
    size: int
    modseq: int | None
    date: datetime | None
    subject: str
    from_: tuple[Address, ...]
    sender: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    content_type: str
    has_attachments: bool
    attachments: tuple[Attachment, ...]
    preview: str
    preview_section: str | None


@dataclass(frozen=True, slots=True)
class Quota:
    """STORAGE of the mailbox's quota root, in units of 1024 octets (RFC 9208)."""

    used_kib: int
    limit_kib: int
