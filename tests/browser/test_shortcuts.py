"""Keyboard shortcuts (j/k, o, u, e, s, x, Shift+I/U, the ? help) and the select-all box."""

import pytest
from playwright.sync_api import Page, expect

from tests.messages import offline_account
from tests.test_reading_views import stored
from webmail.models import Folder, Message


@pytest.fixture
def inbox(alice):
    account = offline_account(alice)
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


def test_x_ticks_rows_and_shift_u_marks_the_ticked_ones_unread(signed_in_page: Page, site, inbox):
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox.pk}/")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")  # Message 3 and Message 1 are ticked, Message 2 is not
    page.keyboard.press("Shift+U")
    expect(page.locator(".message-list__item--unread")).to_have_count(2)
    unread = Message.objects.filter(folder=inbox, is_seen=False).values_list("subject", flat=True)
    assert sorted(unread) == ["Message 1", "Message 3"]
    page.keyboard.press("j")
    page.keyboard.press("Shift+I")  # nothing ticked now: the current row alone
    expect(page.locator(".message-list__item--unread")).to_have_count(1)


def test_all_on_this_page_ticks_every_row(signed_in_page: Page, site, inbox, viewport_name):
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox.pk}/")
    boxes = page.locator(".message-list__select")
    if viewport_name == "phone":  # the bar shows once a row is ticked, as in phone mail apps
        boxes.first.check()
    every = page.get_by_label("All on this page")
    every.check()
    for index in range(3):
        expect(boxes.nth(index)).to_be_checked()
    boxes.nth(1).uncheck()
    assert page.evaluate("document.querySelector('.bulk__all input').indeterminate")
    every.check()
    page.get_by_role("button", name="Mark as unread").click()
    expect(page.locator(".message-list__item--unread")).to_have_count(3)
