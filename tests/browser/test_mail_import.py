"""Importing an .eml file from the folders page, as a person does it."""

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import wait_until
from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_uploaded_eml_shows_in_the_folder(
    signed_in_page: Page, site, account, media, action_worker, tmp_path
):
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    saved = tmp_path / "from-thunderbird.eml"
    saved.write_bytes(make_message(1, "Kept from Thunderbird"))
    page = signed_in_page
    page.goto(f"{site}/mail-accounts/{account.pk}/folders/")

    page.get_by_label("Into the folder").select_option(label="INBOX")
    page.get_by_label("Files").set_input_files(saved)
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Import into “INBOX” started")
    wait_until(lambda: Message.objects.filter(folder=inbox).exists())
    page.goto(f"{site}/folder/{inbox.pk}/")
    expect(page.locator(".message-list")).to_contain_text("Kept from Thunderbird")
    page.goto(f"{site}/mail-accounts/{account.pk}/folders/")
    expect(page.locator(".import-list")).to_contain_text("Done: 1 imported, 0 skipped.")
