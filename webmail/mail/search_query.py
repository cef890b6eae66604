"""The search box's little language: words plus Gmail-style operators.

from:anna subject:"quarterly report" has:attachment is:unread after:2026-01-31 budget
"""

import re
import shlex
from dataclasses import dataclass, field
from datetime import date

OPERATORS = {"from", "to", "subject", "has", "is", "in", "before", "after"}
TOKEN = re.compile(r'(\w+):("[^"]*"|\S+)|("[^"]*"|\S+)')


@dataclass
class SearchQuery:
    words: list[str] = field(default_factory=list)
    sender: list[str] = field(default_factory=list)
    recipient: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    folder: str = ""
    has_attachment: bool = False
    unread: bool | None = None
    flagged: bool | None = None
    before: date | None = None
    after: date | None = None

    @property
    def is_empty(self) -> bool:
        return self == SearchQuery()


def unquote(value: str) -> str:
    try:
        parts = shlex.split(value)
    except ValueError:  # an unbalanced quote: take the text as typed
        return value.strip('"')
    return " ".join(parts)


def parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.replace("/", "-"))
    except ValueError:
        return None


def apply_operator(query: SearchQuery, name: str, value: str) -> bool:
    """Fill ``query`` from one operator; False if it is not one (then it is a word)."""
    simple = {"from": query.sender, "to": query.recipient, "subject": query.subject}
    if name in simple:
        simple[name].append(value)
    elif name == "in":
        query.folder = value
    elif name == "has" and value.lower() in {"attachment", "attachments"}:
        query.has_attachment = True
    elif name == "is" and value.lower() in {"unread", "read"}:
        query.unread = value.lower() == "unread"
    elif name == "is" and value.lower() in {"flagged", "starred"}:
        query.flagged = True
    elif name in {"before", "after"} and parse_date(value):
        setattr(query, name, parse_date(value))
    else:
        return False
    return True


def parse(text: str) -> SearchQuery:
    query = SearchQuery()
    for match in TOKEN.finditer(text[:1000]):
        name, value, bare = match.groups()
        if (
            name
            and name.lower() in OPERATORS
            and apply_operator(query, name.lower(), unquote(value))
        ):
            continue
        word = unquote(bare or match.group(0)).strip()
        if word:
            query.words.append(word)
    return query
