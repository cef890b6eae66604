"""Unsubscribing from a list's message: the link next to the sender, the page that
says what will happen, and one click that the list's server (on loopback) receives."""

from playwright.sync_api import Page, expect

from tests.test_unsubscribe_views import one_click_message


def test_unsubscribing_in_one_click(
    signed_in_page: Page, site, alice, media, list_server, console_errors, viewport_name
):
    message = one_click_message(alice, list_server)
    page = signed_in_page
    page.goto(f"{site}/message/{message.pk}/")
    sender = page.locator(".message__headers dd").first
    expect(sender).to_contain_text("Weekly News")
    unsubscribe = sender.get_by_role("link", name="Unsubscribe")
    expect(unsubscribe).to_be_in_viewport()
    page.screenshot(path=f"test-results/unsubscribe-message-{viewport_name}.png")
    unsubscribe.click()

    expect(page.get_by_role("heading", name="Unsubscribe from Weekly News?")).to_be_visible()
    expect(page.get_by_text("Courriel will tell localhost")).to_be_visible()
    page.screenshot(path=f"test-results/unsubscribe-confirm-{viewport_name}.png", full_page=True)
    assert list_server.requests == []  # nothing happens before the confirmation
    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_text("You are unsubscribed from Weekly News.")).to_be_visible()
    [request] = list_server.requests
    assert (request.method, request.path, request.body) == (
        "POST",
        "/leave",
        b"List-Unsubscribe=One-Click",
    )
    assert page.url.endswith(f"/message/{message.pk}/")
    assert console_errors == []
