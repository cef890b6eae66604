"""The searchable text of a raw message: bounded work on any input, never raises."""

import email
import email.policy
import html
import re
from email.message import Message

import nh3

MAX_PARTS = 200
MAX_DEPTH = 10
WHITESPACE = re.compile(r"[ \t\r\f\v]+")
BLANK_LINES = re.compile(r"\n\s*\n+")


def text_parts(message: Message, depth: int = 0, budget: list[int] | None = None):
    """Yield (content type, part) for the text parts, depth-first, within the caps."""
    budget = budget if budget is not None else [MAX_PARTS]
    if depth > MAX_DEPTH or budget[0] <= 0:
        return
    budget[0] -= 1
    if message.is_multipart():
        for part in message.get_payload() or []:
            if isinstance(part, Message):
                yield from text_parts(part, depth + 1, budget)
    elif message.get_content_maintype() == "text" and not message.get_filename():
        yield message.get_content_type(), message


def decode(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, "replace")
    except LookupError:  # an unknown charset name
        return payload.decode("utf-8", "replace")


def html_to_text(markup: str) -> str:
    # nh3 parses like a browser; with no tags allowed only the text is left.
    text = nh3.clean(markup, tags=set(), clean_content_tags={"script", "style", "head"})
    return html.unescape(text)


def extract_text(raw: bytes, limit: int = 100_000) -> str:
    """Plain text for search: text/plain parts, else text/html stripped of markup."""
    # compat32 parses hostile messages in bounded time (see STACK.md); we only need payloads.
    message = email.message_from_bytes(raw[: limit * 20], policy=email.policy.compat32)
    plain, markup = [], []
    for content_type, part in text_parts(message):
        (plain if content_type == "text/plain" else markup).append(part)
    chosen = [decode(part) for part in plain] or [html_to_text(decode(part)) for part in markup]
    text = WHITESPACE.sub(" ", "\n".join(chosen))
    text = BLANK_LINES.sub("\n\n", text).strip().replace("\x00", "")
    return text[:limit]
