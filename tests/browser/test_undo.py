"""Undo after archiving, as a person does it: the button, or z."""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import wait_until
from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n, f"Message {n}") for n in range(2)])
    account_sync.sync_account(account)
    return Folder.objects.get(account=account, name="INBOX")


@pytest.mark.parametrize("how", ["button", "z"])
def test_archiving_then_undoing(signed_in_page: Page, site, inbox, action_worker, how):
    page = signed_in_page
    page.goto(f"{site}/folder/{inbox.pk}/")
    page.get_by_label("Select the conversation “Message 0”").check()
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("status")).to_contain_text("1 message archived.")
    expect(page.locator(".message-list")).not_to_contain_text("Message 0")

    if how == "z":
        page.keyboard.press("z")
    else:
        page.get_by_role("button", name="Undo").click()

    expect(page.get_by_role("status")).to_contain_text("Undone")
    wait_until(lambda: Message.objects.filter(folder=inbox, subject="Message 0").exists())
    page.reload()
    expect(page.locator(".message-list")).to_contain_text("Message 0")
