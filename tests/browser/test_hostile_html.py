"""Hostile HTML mail in real Chromium: nothing runs, nothing remote loads,
until the person asks for images, and then only through Courriel's proxy."""

import base64
import re

import pytest
from playwright.sync_api import Page, expect

from tests.harness.http_server import HTTPServer
from webmail.models import Folder, MailAccount, Message
from webmail.raw_store import store_raw

PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def hostile_html(tracker: HTTPServer) -> str:
    remote = tracker.url("")
    return f"""
    <p id="visible">Dear customer,</p>
    <script>console.log('XSS-RAN'); window.top.document.title = 'pwned';</script>
    <img src="x" onerror="console.log('XSS-RAN')">
    <svg onload="console.log('XSS-RAN')"><circle r="5"/></svg>
    <a id="js-link" href="javascript:console.log('XSS-RAN')">verify your account</a>
    <img src="{remote}/pixel.png" alt="tracker">
    <img srcset="{remote}/srcset.png 2x">
    <div style="background-image: url('{remote}/background.png')">styled</div>
    <style>@import url('{remote}/import.css'); body {{ background: url('{remote}/bg.png') }}</style>
    <link rel="stylesheet" href="{remote}/style.css">
    <meta http-equiv="refresh" content="0;url={remote}/refresh">
    <base href="{remote}/">
    <form action="{remote}/phish" method="post">
      <input name="password"><button>Log in</button>
    </form>
    <iframe src="{remote}/frame"></iframe>
    <object data="{remote}/object"></object>
    <video poster="{remote}/poster.png" src="{remote}/video.mp4"></video>
    <math><maction xlink:href="javascript:console.log('XSS-RAN')">x</maction></math>
    """


@pytest.fixture
def tracker():
    with HTTPServer() as server:
        server.serve("/pixel.png", PIXEL, headers={"Content-Type": "image/png"})
        yield server


@pytest.fixture
def hostile_message(alice, tracker, media) -> Message:
    raw = (
        "From: Mallory <mallory@evil.example>\r\nSubject: Urgent: verify your account\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + hostile_html(tracker)
    ).encode()
    account = MailAccount.objects.create(
        user=alice, email="alice@example.org", incoming_host="imap.example.org",
        incoming_port=993, incoming_security="tls", incoming_username="alice",
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    inbox = Folder.objects.create(account=account, name="INBOX", special_use="inbox")
    return Message.objects.create(
        account=account, folder=inbox, uid=1, subject="Urgent: verify your account",
        from_email="mallory@evil.example", internal_date="2026-11-28T09:00Z",
        raw_sha256=store_raw(raw), body_state="indexed",
    )  # fmt: skip


def watch(page: Page, site: str) -> dict[str, list]:
    seen = {"requests": [], "console": [], "dialogs": []}
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("console", lambda message: seen["console"].append(message.text))
    page.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    return seen


def test_hostile_mail_runs_nothing_and_loads_nothing_remote(
    signed_in_page: Page, site, hostile_message, tracker, viewport_name
):
    page = signed_in_page
    seen = watch(page, site)
    page.goto(f"{site}/message/{hostile_message.pk}/")
    body = page.frame_locator("iframe.message__body")
    expect(body.get_by_text("Dear customer,")).to_be_visible()
    body.get_by_text("verify your account").click()  # a javascript: link without its href
    page.wait_for_timeout(500)
    page.screenshot(path=f"test-results/hostile-{viewport_name}.png", full_page=True)

    assert tracker.requests == []
    assert all(url.startswith(site) for url in seen["requests"]), seen["requests"]
    assert not [text for text in seen["console"] if "XSS" in text]
    assert seen["dialogs"] == []
    assert page.title() != "pwned"
    expect(page.get_by_text("Remote images are blocked")).to_be_visible()


def test_shown_images_come_through_the_proxy_without_cookies_or_referrer(
    signed_in_page: Page, site, hostile_message, tracker, settings
):
    settings.IMAGE_PROXY_ALLOW_PRIVATE = True  # the "remote" server is on loopback here
    page = signed_in_page
    seen = watch(page, site)
    page.goto(f"{site}/message/{hostile_message.pk}/")
    page.get_by_role("link", name="Show images").click()
    image = page.frame_locator("iframe.message__body").get_by_alt_text("tracker")
    expect(image).to_have_js_property("naturalWidth", 1)

    assert [request.path for request in tracker.requests] == ["/pixel.png"]
    headers = {name.lower() for name in tracker.requests[0].headers}
    assert "cookie" not in headers and "referer" not in headers
    assert all(url.startswith(site) for url in seen["requests"]), seen["requests"]


# What a sanitizer bug would let through: the frame is same-origin with the page
# (so that the page can measure it), and still runs none of it, nor refreshes.
def bypassing_the_sanitizer(remote: str):
    """The real body response, headers and all, with scripts added to it."""
    injected = f"""
    <script>parent.document.body.dataset.pwned = "script";</script>
    <script>document.body.dataset.pwned = "script";</script>
    <img src="data:," onerror="parent.document.body.dataset.pwned = 'onerror'; this.alt = 'ran'">
    <meta http-equiv="refresh" content="0;url={remote}/refreshed">
    <p id="injected">Injected.</p>
    """

    def handle(route) -> None:
        response = route.fetch()
        route.fulfill(
            response=response, body=response.text().replace("</body>", injected + "</body>")
        )

    return handle


def test_the_same_origin_body_runs_no_script_even_past_the_sanitizer(
    signed_in_page: Page, site, hostile_message, tracker, viewport_name
):
    page = signed_in_page
    seen = watch(page, site)
    page.route(re.compile(r"/message/\d+/body/"), bypassing_the_sanitizer(tracker.url("")))
    with page.expect_response(re.compile(r"/message/\d+/body/")) as body:
        page.goto(f"{site}/message/{hostile_message.pk}/")
    sandbox = [
        directive.split()[1:]
        for directive in body.value.headers["content-security-policy"].split(";")
        if directive.split()[:1] == ["sandbox"]
    ]
    assert sandbox == [["allow-same-origin", "allow-popups", "allow-popups-to-escape-sandbox"]]
    frame = page.locator("iframe.message__body")
    tokens = frame.evaluate("frame => Array.from(frame.sandbox)")
    assert "allow-same-origin" in tokens and "allow-scripts" not in tokens

    frame_body = page.frame_locator("iframe.message__body")
    expect(frame_body.locator("#injected")).to_be_visible()
    # Loaded, so the failed image's error event has been and gone.
    page.wait_for_function(
        "frame => frame.contentDocument.readyState === 'complete'", arg=frame.element_handle()
    )
    assert page.evaluate("document.body.dataset.pwned") is None
    assert frame.evaluate("frame => frame.contentDocument.body.dataset.pwned") is None
    expect(frame_body.locator("img[src='data:,']")).not_to_have_attribute("alt", "ran")
    assert any("allow-scripts" in text for text in seen["console"])  # blocked, not absent
    assert seen["dialogs"] == []
    assert any("refresh" in text for text in seen["console"])  # the sandbox refused it too

    # Opened on its own in a tab, the body document is sandboxed by its own header.
    page.goto(f"{site}/message/{hostile_message.pk}/body/")
    expect(page.locator("#injected")).to_be_visible()
    assert page.evaluate("document.body.dataset.pwned") is None
    assert page.url == f"{site}/message/{hostile_message.pk}/body/"
    assert tracker.requests == []
