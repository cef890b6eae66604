"""HTML on its way into the editor and out in a message. Pure Python (nh3).

Stricter than what ``sanitize`` lets a received message show: the editor lives
in Courriel's own page, not in a sandboxed iframe, so nothing that runs, loads
or restyles survives — no ``style`` attribute (the page's CSP forbids inline
styles anyway), no remote or ``cid:`` image (they would load from the compose
page). Pasted pictures as ``data:image/…`` URLs stay. The same function cleans
what the person wrote before it is sent: the editor is a sink for hostile HTML
(a quoted original, a paste), so its output is not trusted either.
"""

import nh3

from webmail.mail.sanitize import CONTENT_TAGS, TAGS

ATTRIBUTES = {
    "*": {"dir", "lang", "title", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start", "type"},
    "li": {"value"},
    "blockquote": {"type"},
}
LINK_SCHEMES = ("http:", "https:", "mailto:")
DATA_IMAGES = ("data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp")


def _rewrite(tag: str, attribute: str, value: str) -> str | None:
    lowered = value.strip().lower()
    if attribute == "href":
        return value if lowered.startswith(LINK_SCHEMES) else None
    if attribute == "src":
        return value if lowered.startswith(DATA_IMAGES) else None
    if attribute == "type" and tag == "blockquote":
        return "cite" if lowered == "cite" else None
    return value


def clean_written_html(markup: str) -> str:
    """HTML safe to put in the compose page and to send."""
    return nh3.clean(
        markup or "",
        tags=TAGS - {"font", "center"},
        clean_content_tags=CONTENT_TAGS | {"style", "script"},
        attributes=ATTRIBUTES,
        attribute_filter=_rewrite,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
