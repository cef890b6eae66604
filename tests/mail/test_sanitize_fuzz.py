"""Hostile HTML built from pieces that have broken sanitizers, read back with a real
HTML parser: whatever comes out holds only allowed tags and attributes, and links and
images only where they may point."""

from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from webmail.mail.plaintext import plain_to_html
from webmail.mail.sanitize import ATTRIBUTES, GENERIC_ATTRIBUTES, TAGS, sanitize_html

PIECES = st.sampled_from(
    ["<script>", "</script>", "<style>", "<svg>", "<math>", "<iframe src=x>", "<img",
     "<a", " href=", " src=", " onerror=", " style=", "javascript:", "JaVa&#x53;cript:",
     "java\tscript:", "data:text/html,", "cid:", "http://evil.example/", "//evil.example",
     "background:url(x)", "expression(x)", ">", "<", "/>", "'", '"', "<!--", "-->",
     "<![CDATA[", "]]>", "&lt;", "&#0;", "\x00", "<p>", "</p>", "<table><td>", "<base href=x>",
     "<form>", "<template>", "<noscript>", "<title>", "x", " "]
)  # fmt: skip
markup = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=30).map("".join)
PROXY = "/proxy?u="


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


@settings(max_examples=150, deadline=None)
@given(markup, st.booleans())
def test_sanitized_html_holds_only_what_is_allowed(hostile, images):
    safe = sanitize_html(
        hostile,
        cid_url=lambda content_id: f"/cid/{content_id}",
        remote_url=(lambda url: PROXY + url) if images else None,
    )

    for tag, attributes in elements(safe.html):
        assert tag in TAGS
        allowed = GENERIC_ATTRIBUTES | ATTRIBUTES.get(tag, set()) | {"target", "rel"}
        assert set(attributes) <= allowed
        href = (attributes.get("href") or "").strip().lower()
        assert not href or href.startswith(("http:", "https:", "mailto:"))
        source = attributes.get("src")
        assert source is None or source.startswith(("/cid/", PROXY))
        assert "url(" not in (attributes.get("style") or "").lower()


@settings(max_examples=100, deadline=None)
@given(markup)
def test_a_plain_text_body_becomes_escaped_text_and_links(text):
    for tag, attributes in elements(plain_to_html(text)):
        assert tag in {"pre", "a", "details", "summary", "blockquote"}
        if tag == "a":
            assert attributes["href"].lower().startswith(("http://", "https://"))
