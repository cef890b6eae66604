"""The only ways a caller's data reaches an IMAP command: folder names in
modified UTF-7 inside quoted strings, flags checked to be atoms, body sections
checked against their grammar, UIDs as integers. Nothing is formatted into a
command anywhere else (modoboa's webmail had to be patched for IMAP injection).
"""

import re
from collections.abc import Iterable

from webmail.mail import mutf7
from webmail.mail.errors import ProtocolError
from webmail.mail.imap_parse import uid_set_chunks

TEXT_SECTION = re.compile(r"[1-9][0-9]*(\.[1-9][0-9]*)*")
PART_SECTION = re.compile(r"([1-9][0-9]*(\.[1-9][0-9]*)*(\.(MIME|HEADER|TEXT))?|HEADER|TEXT)")
_ATOM_SPECIALS = frozenset('(){%*"\\]')


def checked_name(name: str) -> str:
    """A folder name as given, if it can be one: not empty, no control
    characters (servers refuse them; CR LF would end the command)."""
    if not isinstance(name, str) or not name:
        raise ProtocolError("invalid_name", "a folder name cannot be empty")
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in name):
        raise ProtocolError("invalid_name", f"control character in folder name {name!r}")
    return name


def mailbox(name: str) -> str:
    """A folder name as a quoted string of modified UTF-7: only printable ASCII,
    with quote and backslash escaped (RFC 9051 section 4.3)."""
    return quoted(mutf7.encode(checked_name(name)).decode("ascii"))


def quoted(text: str) -> str:
    """An IMAP quoted string; ``text`` must already be free of CR, LF and NUL."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def checked_flags(flags: Iterable[str]) -> list[str]:
    """Flags that are atoms ("\\Seen", "$Label1"): imapclient joins them into
    the command as they are."""
    checked = []
    for flag in flags:
        body = flag[1:] if flag.startswith("\\") else flag
        if not body or not all("!" <= c <= "~" and c not in _ATOM_SPECIALS for c in body):
            raise ProtocolError("invalid_flag", f"not a flag: {flag!r}")
        checked.append(flag)
    return checked


def checked_section(section: str, pattern: re.Pattern[str]) -> str:
    """A body section ("1.2", "2.MIME", "TEXT") matching ``pattern``."""
    if not isinstance(section, str) or not pattern.fullmatch(section):
        raise ProtocolError("invalid_section", f"not a body section: {section!r}")
    return section


def chunks(uids: Iterable[int]) -> list[str]:
    """UID sets of bounded length covering ``uids`` (integers only)."""
    return list(uid_set_chunks(uids))


def positive(value: int) -> int:
    """``value`` if it is a positive integer (a UID, a mod-sequence, a size)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a positive integer, got {value!r}")
    return value
