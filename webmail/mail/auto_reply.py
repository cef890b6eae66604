"""Whether a message may get an automatic ("vacation") reply, and where it goes.

RFC 3834 section 2 and common practice: never answer another robot, a list, a
bulk sender, spam, or oneself; section 4 (and Sieve vacation, RFC 5230 4.4):
answer the envelope sender, which the final delivery records as Return-Path.
Reads only the header fields in SCREENED_FIELDS, so that an IMAP server can be
asked for those alone. Nothing here raises on a message's own content.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from email.utils import getaddresses

SCREENED_FIELDS = (
    "Return-Path",
    "From",
    "Reply-To",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "List-Unsubscribe",
    "X-Spam-Flag",
)
BULK_PRECEDENCE = {"bulk", "list", "junk"}
# Local parts that are robots whatever their domain; compared without . - _
ROBOT_NAMES = {"mailerdaemon", "postmaster", "listserv", "majordomo", "bounce", "bounces"}
ROBOT_PREFIXES = ("noreply", "donotreply")
ROBOT_LIST_PREFIX = "owner-"
ROBOT_SUFFIXES = ("request", "bounces")
COMMENT = re.compile(r"\([^()]*\)")  # RFC 5322 CFWS around the keyword
# Deliberately narrow: an address an SMTP server takes without SMTPUTF8.
ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


@dataclass(frozen=True)
class Screening:
    """``recipient`` to answer and ``author`` (From) when a reply may go;
    else ``reason`` says why not."""

    recipient: str = ""
    author: str = ""
    reason: str = ""

    @property
    def may_reply(self) -> bool:
        return not self.reason


def screen(raw_headers: bytes, own_addresses: Collection[str]) -> Screening:
    """The verdict on a message's header block (or the whole message)."""
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw_headers)
    reason = _robot_reason(headers)
    if reason:
        return Screening(reason=reason)
    author = _first_address(_values(headers, "From"))
    if not author:
        return Screening(reason="no_sender")
    return_path = _values(headers, "Return-Path")
    if return_path and not _first_address(return_path[:1]):
        return Screening(reason="null_return_path")  # "<>": a bounce or another robot
    recipient = _first_address(return_path[:1] or _values(headers, "Reply-To")) or author
    own = {address.lower() for address in own_addresses}
    if author.lower() in own or recipient.lower() in own:
        return Screening(reason="own_address")
    if is_robot_address(author) or is_robot_address(recipient):
        return Screening(reason="robot_sender")
    return Screening(recipient=recipient, author=author)


def _robot_reason(headers) -> str:
    for value in _values(headers, "Auto-Submitted"):
        keyword = COMMENT.sub(" ", value).split(";")[0].strip().lower()
        if keyword != "no":
            return "auto_submitted"
    if any(value.strip().lower() in BULK_PRECEDENCE for value in _values(headers, "Precedence")):
        return "bulk"
    if "List-Id" in headers or "List-Unsubscribe" in headers:
        return "mailing_list"
    if any(value.strip().lower() == "yes" for value in _values(headers, "X-Spam-Flag")):
        return "spam"
    return ""


def is_robot_address(address: str) -> bool:
    """mailer-daemon@, postmaster@, no-reply@, list-request@ …: nobody reads it."""
    local = address.rpartition("@")[0].lower().split("+")[0]
    squeezed = re.sub(r"[._-]", "", local)
    return (
        squeezed in ROBOT_NAMES
        or squeezed.startswith(ROBOT_PREFIXES)
        or local.startswith(ROBOT_LIST_PREFIX)
        or any(local.endswith(f"-{suffix}") for suffix in ROBOT_SUFFIXES)
    )


def _values(headers, name: str) -> list[str]:
    # compat32 keeps undecodable bytes as Header objects; str() never raises on them.
    return [str(value) for value in headers.get_all(name) or []]


def _first_address(values: list[str]) -> str:
    try:
        pairs = getaddresses(values)
    except (ValueError, TypeError, IndexError):
        return ""
    address = pairs[0][1].strip() if pairs else ""
    return address if ADDRESS.fullmatch(address) else ""
