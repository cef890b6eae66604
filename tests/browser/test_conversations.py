"""The list by conversation and a conversation's page, in Chromium, desktop and phone."""

import pytest
from playwright.sync_api import Page, expect

from tests.test_conversation_views import add, mailbox

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_conversation_lists_once_and_opens_whole(
    signed_in_page: Page, site, alice, media, console_errors, viewport_name
):
    page = signed_in_page
    folders = mailbox(alice)
    add(folders["inbox"], 1, from_name="Bob", subject="Lunch on Friday?", hours=0)
    reply = add(
        folders["sent"], 2, parent=1, from_name="Alice", subject="Re: Lunch on Friday?", hours=1
    )
    answer = add(
        folders["inbox"], 3, parent=2, from_name="Carol", subject="Re: Lunch on Friday?",
        seen=False, hours=2,
    )  # fmt: skip
    add(folders["inbox"], 4, from_name="Dan", subject="Quarterly figures", hours=3)

    page.goto(f"{site}/folder/{folders['inbox'].pk}/")
    rows = page.locator(".message-list__item")
    expect(rows).to_have_count(2)
    conversation_row = rows.filter(has_text="Bob, Carol, me")
    expect(conversation_row).to_have_class(
        "message-list__item message-list__item--conversation message-list__item--unread"
    )
    expect(conversation_row.locator(".message-list__count")).to_have_text("3")

    page.get_by_role("button", name="Single messages").click()
    expect(rows).to_have_count(3)
    page.get_by_role("button", name="Conversations").click()
    expect(rows).to_have_count(2)
    page.screenshot(path=f"test-results/conversation-list-{viewport_name}.png", full_page=True)

    conversation_row.locator(".message-list__subject").click()  # the link is display: contents
    expect(page).to_have_url(f"{site}/conversation/{answer.thread_id}/")
    messages = page.locator(".conversation__message")
    expect(messages).to_have_count(3)
    # The read ones wait collapsed; the last one (unread) is open with its body.
    expect(messages.nth(2).locator("iframe.message__body")).to_be_visible()
    expect(messages.nth(1).locator("iframe")).to_have_count(0)
    expect(messages.nth(1)).to_contain_text("Sent")

    messages.nth(1).locator("summary").click()
    body = messages.nth(1).locator("iframe.message__body")
    expect(body).to_be_visible()
    expect(
        page.frame_locator(f"#conversation-message-{reply.pk} iframe.message__body").locator("body")
    ).to_contain_text("Body 2.")
    page.screenshot(path=f"test-results/conversation-page-{viewport_name}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert console_errors == []
