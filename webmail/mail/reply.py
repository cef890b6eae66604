"""Replying and forwarding: who gets the answer, how the original is quoted. Pure Python.

The original's HTML is never trusted here: callers pass HTML that went through
``clean_written_html`` (or text, which is escaped).
"""

import email.utils
import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from webmail.mail.compose import Mailbox

BLOCK_TAGS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "ul",
              "ol", "hr", "dl", "dt", "dd"}  # fmt: skip


@dataclass(frozen=True)
class Original:
    """What a reply or forward needs to know of the message it answers."""

    sender: Sequence[Mailbox] = ()
    reply_to: Sequence[Mailbox] = ()
    to: Sequence[Mailbox] = ()
    cc: Sequence[Mailbox] = ()
    subject: str = ""
    date: str = ""


def parse_addresses(text: str) -> tuple[list[Mailbox], list[str]]:
    """Addresses as a person types or pastes them ("Bob <bob@example.org>, carol@x.org;
    dave@y.org"): the valid ones, and the pieces that are not addresses."""
    valid: list[Mailbox] = []
    invalid: list[str] = []
    for piece in _pieces(text):
        parsed = email.utils.getaddresses([piece], strict=True)
        if len(parsed) != 1 or not _looks_like_address(parsed[0][1]):
            invalid.append(piece)
            continue
        name, address = parsed[0]
        valid.append(Mailbox(address, name))
    return valid, invalid


def _pieces(text: str) -> list[str]:
    # Commas inside a quoted display name ("Doe, Jane" <jane@x.org>) do not split.
    pieces, current, quoted = [], [], False
    for character in (text or "").replace("\n", ",").replace(";", ","):
        if character == '"':
            quoted = not quoted
        if character == "," and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(character)
    pieces.append("".join(current))
    return [piece.strip() for piece in pieces if piece.strip()]


def _looks_like_address(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and not any(c.isspace() for c in address))


def format_addresses(mailboxes: Iterable[Mailbox]) -> str:
    """The form's text for a list of mailboxes; parse_addresses reads it back."""
    return ", ".join(email.utils.formataddr((m.name, m.address)) for m in mailboxes)


def reply_recipients(
    original: Original, own_addresses: Iterable[str], *, reply_all: bool
) -> tuple[list[Mailbox], list[Mailbox]]:
    """(To, Cc) of a reply. The answer goes to Reply-To, else From; answering one's own
    message goes to its recipients instead. Reply all copies everyone else once; the
    person's own addresses never appear."""
    own = {address.casefold() for address in own_addresses}
    from_me = bool(original.sender) and all(m.address.casefold() in own for m in original.sender)
    if from_me:
        to, others = _unique(original.to, own), list(original.cc)
    else:
        to, others = (
            _unique(original.reply_to or original.sender, own),
            [*original.to, *original.cc],
        )
    if not to:  # a note to oneself: the answer goes back to its author
        to = _unique(original.sender, set())
    if not reply_all:
        return to, []
    return to, _unique(others, own | {m.address.casefold() for m in to})


def _unique(mailboxes: Iterable[Mailbox], exclude: set[str]) -> list[Mailbox]:
    seen = set(exclude)
    result = []
    for mailbox in mailboxes:
        key = mailbox.address.casefold()
        if key not in seen:
            seen.add(key)
            result.append(mailbox)
    return result


def quote_text(text: str, attribution: str) -> str:
    """The original as quoted plain text ("> " before each line), under its attribution."""
    lines = (text or "").replace("\r\n", "\n").rstrip("\n").split("\n")
    quoted = "\n".join(">" + (" " + line if line and not line.startswith(">") else line)
                       for line in lines)  # fmt: skip
    return f"{attribution}\n{quoted}\n"


def quote_html(safe_html: str, attribution: str) -> str:
    """The (already sanitized) original HTML in a blockquote, under its attribution."""
    return f'<p>{html.escape(attribution)}</p><blockquote type="cite">{safe_html}</blockquote>'


def forward_header_lines(original: Original, labels: dict[str, str]) -> list[str]:
    """The "Forwarded message" block: From, Date, Subject, To, Cc (those present)."""
    values = {
        "from": format_addresses(original.sender),
        "date": original.date,
        "subject": original.subject,
        "to": format_addresses(original.to),
        "cc": format_addresses(original.cc),
    }
    return [f"{labels[key]}: {value}" for key, value in values.items() if value]


def text_to_html(text: str) -> str:
    """Plain text as HTML paragraphs with line breaks, everything escaped."""
    paragraphs = (text or "").replace("\r\n", "\n").split("\n\n")
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )


def html_to_plain(markup: str) -> str:
    """The plain-text alternative of a rich message: paragraphs and line breaks kept,
    blockquotes as "> " lines, links as "text <url>"."""
    converter = _PlainText()
    converter.feed(markup or "")
    converter.close()
    return converter.result()


class _PlainText(HTMLParser):
    # Chromium's editor makes a <div> of each line: those break a line; paragraphs,
    # lists and quotes also leave a blank line around them.
    SOFT = frozenset({"div", "li", "tr", "dt", "dd"})
    SKIPPED = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.depth = 0
        self.href: str | None = None
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.skip += 1
        elif tag == "br":
            self._line(keep_empty=True)
        elif tag == "blockquote":
            self._paragraph()
            self.depth += 1
        elif tag in self.SOFT:
            self._line()
            if tag == "li":
                self.current.append("- ")
        elif tag in BLOCK_TAGS:
            self._paragraph()
        elif tag == "a":
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag in self.SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self._paragraph()
            self.depth = max(0, self.depth - 1)
        elif tag in self.SOFT:
            self._line()
        elif tag in BLOCK_TAGS:
            self._paragraph()
        elif tag == "a" and self.href:
            text = "".join(self.current)
            if self.href.startswith(("http:", "https:")) and not text.endswith(self.href):
                self.current.append(f" <{self.href}>")
            self.href = None

    def handle_data(self, data):
        if not self.skip:
            self.current.append(" ".join(data.split("\n")))

    def _line(self, keep_empty: bool = False):
        line = "".join(self.current).strip()
        if line or keep_empty:
            self.lines.append(("> " * self.depth + line).rstrip())
        self.current = []

    def _paragraph(self):
        self._line()
        if self.lines and self.lines[-1].strip(" >"):
            self.lines.append((">" + " >" * (self.depth - 1)) if self.depth else "")

    def result(self) -> str:
        self._line()
        return "\n".join(self.lines).strip("\n") + "\n"
