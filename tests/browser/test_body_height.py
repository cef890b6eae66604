"""A message body is as tall as its content: the page scrolls, never a box inside
it; in Chromium, desktop and phone."""

import struct
import zlib
from email.message import EmailMessage

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.test_conversation_views import add, mailbox
from tests.test_reading_views import stored

pytestmark = pytest.mark.django_db(transaction=True)

# Fitted: no scroll inside the frame, and the frame no taller than its content
# (the body document's body has no margin: its bottom is the content's).
FITTED = """frame => {
  const doc = frame.contentDocument;
  if (!doc || doc.URL === "about:blank" || doc.readyState === "loading") return false;
  const root = doc.documentElement;
  return root.scrollHeight <= root.clientHeight + 2
    && Math.abs(frame.clientHeight - doc.body.getBoundingClientRect().bottom) <= 2;
}"""
METRICS = """frame => ({
  height: frame.clientHeight,
  scrolled: frame.contentDocument.scrollingElement.scrollTop,
})"""
FRAMES_LATER = """count => new Promise(done => {
  const next = () => (count-- > 0 ? requestAnimationFrame(next) : done());
  next();
})"""


def fitted(frame: Locator) -> dict:
    frame.page.wait_for_function(FITTED, arg=frame.element_handle())
    return frame.evaluate(METRICS)


def html_message(subject: str, html: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ann <ann@example.org>"
    message["Subject"] = subject
    message.set_content(html, subtype="html")
    return bytes(message)


def png(width: int, height: int) -> bytes:
    """A grey image, with no width or height in the mail: it takes room once loaded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_a_long_message_makes_the_page_scroll_not_its_frame(
    signed_in_page: Page, site, alice, media, console_errors, viewport_name
):
    words = " ".join(["figures"] * 30)
    paragraphs = "".join(f"<p>Paragraph {n}: {words}.</p>" for n in range(1, 301))
    message = stored(alice, html_message("Long", paragraphs))
    page = signed_in_page
    page.goto(f"{site}/message/{message.pk}/")
    frame = page.locator("iframe.message__body")
    height = fitted(frame)["height"]
    screen = page.viewport_size["height"]
    assert height > 5 * screen  # not the old 70vh box
    assert page.evaluate("document.scrollingElement.scrollHeight") > height

    last = page.frame_locator("iframe.message__body").get_by_text("Paragraph 300:")
    last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 4 * screen  # the page scrolled…
    assert frame.evaluate(METRICS)["scrolled"] == 0  # …not the frame
    page.screenshot(path=f"test-results/body-height-long-{viewport_name}.png")

    # Turned sideways (a phone) or narrowed (a window), the text wraps anew: fitted again.
    size = page.viewport_size
    page.set_viewport_size({"width": size["height"], "height": size["width"]})
    page.wait_for_function(
        "([frame, before]) => Math.abs(frame.clientHeight - before) > 100",
        arg=[frame.element_handle(), height],
    )
    fitted(frame)
    assert console_errors == []


def test_without_the_script_a_long_body_keeps_a_box_that_scrolls(
    signed_in_page: Page, site, alice, media
):
    paragraphs = "".join(f"<p>Paragraph {n}.</p>" for n in range(1, 301))
    message = stored(alice, html_message("Long", paragraphs))
    page = signed_in_page
    page.route("**/message_body.js", lambda route: route.abort())
    page.goto(f"{site}/message/{message.pk}/")
    frame = page.locator("iframe.message__body")
    expect(page.frame_locator("iframe.message__body").get_by_text("Paragraph 1.")).to_be_visible()
    screen = page.viewport_size["height"]
    assert abs(frame.evaluate("frame => frame.offsetHeight") - 0.7 * screen) <= 2
    last = page.frame_locator("iframe.message__body").get_by_text("Paragraph 300.")
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()  # reached by scrolling the frame: nothing is cut
    assert frame.evaluate(METRICS)["scrolled"] > 0


def test_each_message_of_a_conversation_is_as_tall_as_its_content(
    signed_in_page: Page, site, alice, media, console_errors, viewport_name
):
    folders = mailbox(alice)
    long_lines = "".join(f"Line {n} of the agenda.\r\n" for n in range(1, 61))
    add(folders["inbox"], 1, from_name="Bob", subject="Agenda", seen=False, body=long_lines)
    collapsed = add(folders["inbox"], 2, parent=1, from_name="Dan", subject="Re: Agenda",
                    hours=1, body="Me too.\r\n")  # fmt: skip
    add(folders["sent"], 3, parent=1, from_name="Alice", subject="Re: Agenda", seen=False,
        hours=2, body="Thanks, see you then.\r\n")  # fmt: skip
    quoting = "Fine by me.\r\n" + "".join(f"> Line {n} of the agenda.\r\n" for n in range(1, 31))
    last = add(folders["inbox"], 4, parent=3, from_name="Carol", subject="Re: Agenda",
               seen=False, hours=3, body=quoting)  # fmt: skip
    last.refresh_from_db()

    page = signed_in_page
    page.goto(f"{site}/conversation/{last.thread_id}/")
    frames = page.locator("iframe.message__body")
    expect(frames).to_have_count(3)  # Dan's, read and not the last, waits folded
    long, short, quoted = (fitted(frames.nth(n))["height"] for n in range(3))
    screen = page.viewport_size["height"]
    assert short < 0.15 * screen  # three lines' worth, not half a screen
    assert long > 4 * short
    assert short < quoted < long  # the quote waits folded

    # Unfolding the quote inside the body grows its frame.
    page.frame_locator("iframe.message__body >> nth=2").get_by_text("Quoted text").click()
    page.wait_for_function(
        "([frame, before]) => frame.clientHeight > before + 200",
        arg=[frames.nth(2).element_handle(), quoted],
    )
    assert fitted(frames.nth(2))["height"] > quoted + 200

    # A collapsed one, opened (htmx brings its body), is fitted too.
    page.locator(f"#conversation-message-{collapsed.pk} > summary").click()
    opened = page.locator(f"#conversation-message-{collapsed.pk} iframe.message__body")
    expect(opened).to_be_visible()
    assert fitted(opened)["height"] < 0.15 * screen
    page.screenshot(
        path=f"test-results/body-height-conversation-{viewport_name}.png", full_page=True
    )
    assert console_errors == []


def test_an_image_arriving_late_grows_the_frame(
    signed_in_page: Page, site, alice, media, console_errors, viewport_name
):
    message = EmailMessage()
    message["From"] = "Ann <ann@example.org>"
    message["Subject"] = "Photo"
    message.set_content('<p>Our photo:</p><img src="cid:photo@example" alt="photo"><p>End.</p>',
                        subtype="html")  # fmt: skip
    message.add_related(png(40, 400), maintype="image", subtype="png", cid="<photo@example>")
    stored_message = stored(alice, bytes(message))
    page = signed_in_page
    held = []
    page.route("**/inline/**", lambda route: held.append(route))  # held until we let it through
    # The page's load waits for the frame's, which waits for the image.
    page.goto(f"{site}/message/{stored_message.pk}/", wait_until="domcontentloaded")
    frame = page.locator("iframe.message__body")
    before = fitted(frame)["height"]  # fitted already: not waiting for its load event
    assert before < 300

    assert len(held) == 1
    held[0].continue_()
    image = page.frame_locator("iframe.message__body").get_by_alt_text("photo")
    expect(image).to_have_js_property("naturalHeight", 400)
    page.wait_for_function(
        "([frame, before]) => frame.clientHeight >= before + 300",
        arg=[frame.element_handle(), before],
    )
    assert fitted(frame)["height"] >= before + 300
    assert console_errors == []


def test_a_body_sized_on_its_frame_does_not_grow_forever(signed_in_page: Page, site, alice, media):
    # 100vh is the frame's height: whatever height it is given, this body wants more.
    html = '<div style="height: 100vh">As tall as its frame</div><p>After it.</p>'
    message = stored(alice, html_message("Frame-sized", html))
    page = signed_in_page
    page.goto(f"{site}/message/{message.pk}/")
    frame = page.locator("iframe.message__body")
    page.wait_for_function("frame => frame.style.height", arg=frame.element_handle())
    page.evaluate(FRAMES_LATER, 10)
    settled = frame.evaluate(METRICS)["height"]
    page.evaluate(FRAMES_LATER, 30)
    assert frame.evaluate(METRICS)["height"] == settled
    assert settled < page.viewport_size["height"]  # measured small, not grown
    # What cannot fit keeps the frame's own scrollbar: nothing is cut.
    after = page.frame_locator("iframe.message__body").get_by_text("After it.")
    after.scroll_into_view_if_needed()
    expect(after).to_be_in_viewport()


def test_a_huge_body_is_measured_once_not_looped_over(signed_in_page: Page, site, alice, media):
    html = '<div style="height: 100000px">Top</div><p>Bottom.</p>'
    message = stored(alice, html_message("Huge", html))
    page = signed_in_page
    page.goto(f"{site}/message/{message.pk}/")
    frame = page.locator("iframe.message__body")
    height = fitted(frame)["height"]
    assert 100_000 < height < 100_200
    page.evaluate(FRAMES_LATER, 10)
    assert frame.evaluate(METRICS)["height"] == height
