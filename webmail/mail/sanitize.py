"""Hostile HTML mail made safe to show (nh3, a real parser-based sanitizer).

A narrow allowlist: formatting and tables, links and images, nothing that runs,
submits, embeds or restyles the page. Remote images are dropped unless the
caller allows them (then they go through the caller's proxy); ``cid:`` images
point at the message's own parts. The result is still shown in a sandboxed
iframe under a strict CSP: this is one layer of two.
"""

from collections.abc import Callable
from dataclasses import dataclass

import nh3

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small",
    "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "tt", "u", "ul",
}  # fmt: skip
# Removed with everything inside them, not just unwrapped.
CONTENT_TAGS = {"script", "style", "head", "title", "noscript", "template", "iframe", "object",
                "embed", "svg", "math", "form", "select", "textarea", "button"}  # fmt: skip
GENERIC_ATTRIBUTES = {"dir", "lang", "title", "align", "style"}
ATTRIBUTES = {
    "*": GENERIC_ATTRIBUTES,
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "face", "size"},
    "table": {"width", "border", "cellpadding", "cellspacing", "bgcolor"},
    "td": {"width", "colspan", "rowspan", "valign", "bgcolor", "nowrap"},
    "th": {"width", "colspan", "rowspan", "valign", "bgcolor", "nowrap"},
    "tr": {"valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "li": {"value"},
    "blockquote": {"cite"},
}
# Properties that can neither load anything (no url()) nor hide or overlay content.
STYLE_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style",
    "font-weight", "text-align", "text-decoration", "text-indent", "text-transform",
    "line-height", "letter-spacing", "word-spacing", "white-space", "vertical-align",
    "direction", "width", "max-width", "min-width", "height", "border", "border-top",
    "border-right", "border-bottom", "border-left", "border-color", "border-style",
    "border-width", "border-collapse", "border-spacing", "border-radius", "margin",
    "margin-top", "margin-right", "margin-bottom", "margin-left", "padding", "padding-top",
    "padding-right", "padding-bottom", "padding-left", "list-style-type",
}  # fmt: skip
LINK_SCHEMES = ("http:", "https:", "mailto:")
REMOTE_SCHEMES = ("http:", "https:")


@dataclass(frozen=True)
class SafeHtml:
    html: str
    blocked_remote: bool  # remote images were dropped: offer "show images"


def sanitize_html(
    markup: str,
    *,
    cid_url: Callable[[str], str | None],
    remote_url: Callable[[str], str | None] | None = None,
) -> SafeHtml:
    """``cid_url(content_id)`` gives the URL of an inline part (None: drop it);
    ``remote_url(url)`` gives the proxied URL of a remote image, or None to block."""
    blocked = False

    def rewrite(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        lowered = value.strip().lower()
        if attribute == "href":
            return value if lowered.startswith(LINK_SCHEMES) else None
        if attribute != "src":
            return value
        if lowered.startswith("cid:"):
            return cid_url(value.strip()[4:].strip("<>"))
        if lowered.startswith(REMOTE_SCHEMES):
            if remote_url is None:
                blocked = True
                return None
            return remote_url(value.strip())
        return None

    html = nh3.clean(
        markup,
        tags=TAGS,
        clean_content_tags=CONTENT_TAGS,
        attributes=ATTRIBUTES,
        attribute_filter=rewrite,
        url_schemes={"http", "https", "mailto", "cid"},
        filter_style_properties=STYLE_PROPERTIES,
        set_tag_attribute_values={"a": {"target": "_blank"}},
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return SafeHtml(html=html, blocked_remote=blocked)
