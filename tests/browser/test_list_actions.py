"""Mark all as read and Empty the Trash, as a person clicks them, on desktop and phone."""

import pytest
from playwright.sync_api import Page, expect

from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mailbox(account, dovecot, mail_user, other_device):
    dovecot.deliver_many(mail_user, [make_message(n, f"Unread {n}") for n in range(2)])
    for number in (1, 2):
        other_device.append("Trash", make_message(10 + number, f"Binned {number}"))
    account_sync.sync_account(account)
    return account


def test_marking_a_folder_read(signed_in_page: Page, site, mailbox, console_errors):
    page = signed_in_page
    page.goto(f"{site}/folder/{Folder.objects.get(account=mailbox, name='INBOX').pk}/")
    expect(page.locator(".message-list__item--unread")).to_have_count(2)

    page.get_by_role("button", name="Mark all as read").click()

    expect(page.get_by_role("status")).to_contain_text("2 messages marked as read.")
    expect(page.locator(".message-list__item--unread")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all as read")).to_have_count(0)
    assert console_errors == []


def test_emptying_the_trash(signed_in_page: Page, site, mailbox, console_errors):
    page = signed_in_page
    trash = Folder.objects.get(account=mailbox, name="Trash")
    page.goto(f"{site}/folder/{trash.pk}/")

    page.get_by_role("link", name="Empty Trash").click()
    expect(page.get_by_role("heading", name="Empty the Trash?")).to_be_visible()
    page.get_by_role("button", name="Delete for good").click()

    expect(page.get_by_role("status")).to_contain_text("2 messages deleted for good.")
    expect(page.get_by_text("No messages here.")).to_be_visible()
    assert not Message.objects.filter(folder=trash).exists()
    assert console_errors == []
