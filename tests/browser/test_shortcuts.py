"""Keyboard shortcuts: j/k, o, u, e and the ? help, on the real page."""

import pytest
from playwright.sync_api import Page, expect

from tests.test_reading_views import stored
from webmail.models import Folder, MailAccount, Message


@pytest.fixture
def inbox(alice):
    account = MailAccount.objects.create(
        user=alice, email="alice@example.org", incoming_host="imap.example.org",
        incoming_port=993, incoming_security="tls", incoming_username="alice",
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    Folder.objects.create(account=account, name="Archive", special_use="archive")
    folder = Folder.objects.create(account=account, name="INBOX", special_use="inbox")
    for uid in range(1, 4):
        Message.objects.create(
            account=account, folder=folder, uid=uid, subject=f"Message {uid}",
            from_email="a@example.org", internal_date=f"2026-11-0{uid}T09:00Z", is_seen=True,
        )  # fmt: skip
    return folder


def test_the_list_is_driven_from_the_keyboard(signed_in_page: Page, site, inbox):
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox.pk}/")
    page.keyboard.press("?")
    expect(page.get_by_role("heading", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(".message-list__item.is-current")).to_contain_text("Message 2")
    page.keyboard.press("k")
    expect(page.locator(".message-list__item.is-current")).to_contain_text("Message 3")
    page.keyboard.press("e")  # archive the current message
    expect(page.locator(".message-list")).not_to_contain_text("Message 3")
    expect(page.locator(".message-list__item")).to_have_count(2)


def test_s_flags_the_open_message(signed_in_page: Page, site, alice, media):
    message = stored(alice, b"From: a@example.org\r\nSubject: Hello\r\n\r\nHi.\r\n", is_seen=True)
    page = signed_in_page
    page.goto(f"{site}/message/{message.pk}/")
    page.keyboard.press("s")
    expect(page.get_by_role("button", name="Remove flag")).to_be_visible()
    message.refresh_from_db()
    assert message.is_flagged
