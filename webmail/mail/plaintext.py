"""Plain-text bodies as safe HTML: escaped, links made clickable, quotes folded."""

import html
import re

URL = re.compile(r"\bhttps?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.IGNORECASE)
LINK = '<a href="{url}" target="_blank" rel="noopener noreferrer">{text}</a>'


def linkify(escaped_line: str) -> str:
    # Runs on already escaped text: "&amp;" inside a URL stays escaped in the href too.
    return URL.sub(lambda m: LINK.format(url=m.group(0), text=m.group(0)), escaped_line)


def is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def plain_to_html(text: str, *, quote_label: str = "Quoted text") -> str:
    """Escape everything; fold each run of quoted lines into a <details> block."""
    out: list[str] = []
    quoted: list[str] = []

    def flush_quote():
        if quoted:
            inner = "\n".join(quoted)
            out.append(
                f"<details><summary>{html.escape(quote_label)}</summary>"
                f"<blockquote>{inner}</blockquote></details>"
            )
            quoted.clear()

    for line in text.splitlines():
        escaped = linkify(html.escape(line))
        if is_quote(line):
            quoted.append(escaped)
        else:
            flush_quote()
            out.append(escaped)
    flush_quote()
    return '<pre class="plain">' + "\n".join(out) + "</pre>"
