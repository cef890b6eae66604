"""New mail appears in an open list without a reload (SSE from a real uvicorn)."""

import pytest
from playwright.sync_api import Page, expect

from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder

pytestmark = pytest.mark.django_db(transaction=True)  # uvicorn must see the data


def test_new_mail_appears_in_the_open_list(
    page: Page, client, alice, account, dovecot, mail_user, uvicorn, settings, viewport_name
):
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    client.force_login(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    site = f"http://localhost:{uvicorn}"
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])
    page.goto(f"{site}/folder/{inbox.pk}/")
    expect(page.get_by_text("No messages here.")).to_be_visible()
    page.wait_for_timeout(1200)  # the event stream is open and has read its counter

    dovecot.deliver(mail_user, make_message(1, "Arrived while you watched"))
    account_sync.sync_account(account)  # what the IDLE listener's task does

    expect(page.get_by_text("Arrived while you watched")).to_be_visible(timeout=3000)
    expect(page).to_have_title("(1) Inbox · Courriel")
    page.screenshot(path=f"test-results/live-list-{viewport_name}.png", full_page=True)
