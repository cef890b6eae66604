"""The reading pane on a wide screen: messages open beside the list."""

import pytest
from playwright.sync_api import Page, expect

from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n, f"Message {n}") for n in range(3)])
    account_sync.sync_account(account)
    return Folder.objects.get(account=account, name="INBOX")


def test_messages_open_beside_the_list(signed_in_page: Page, site, inbox, viewport_name):
    page = signed_in_page
    list_url = f"{site}/folder/{inbox.pk}/"
    page.goto(list_url)
    toggle = page.get_by_role("button", name="Reading pane")
    if viewport_name == "phone":
        expect(toggle).to_be_hidden()  # no room beside the list
        return
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text("Choose a message in the list to read it here.")).to_be_visible()

    page.get_by_role("link", name="Message 1").click()

    pane = page.locator("#reading-pane")
    expect(pane.get_by_role("heading", name="Message 1")).to_be_visible()
    expect(
        pane.frame_locator("iframe.message__body").get_by_text("Body of message 1.")
    ).to_be_visible()
    assert page.url == list_url
    row = page.locator(".message-list__item", has_text="Message 1")
    expect(row).not_to_have_class("message-list__item--unread")
    assert Message.objects.get(folder=inbox, subject="Message 1").is_seen

    page.keyboard.press("j")  # moving on from the open row opens each message in turn
    expect(pane.get_by_role("heading", name="Message 0")).to_be_visible()
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(pane.get_by_role("heading", name="Message 2")).to_be_visible()

    page.reload()  # the choice is kept by this browser
    expect(page.get_by_role("button", name="Reading pane")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name="Reading pane").click()
    page.get_by_role("link", name="Message 2").click()
    expect(page).to_have_url(
        f"{site}/conversation/{Message.objects.get(subject='Message 2').thread_id}/"
    )
