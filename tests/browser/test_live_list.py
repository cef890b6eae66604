"""New mail appears in an open list without a reload (SSE from a real uvicorn)."""

import pytest
from playwright.sync_api import Page, expect

from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder

pytestmark = pytest.mark.django_db(transaction=True)  # uvicorn must see the data


@pytest.fixture
def live_site(page: Page, client, alice, uvicorn, settings) -> str:
    """The app under uvicorn, alice signed in in ``page``."""
    client.force_login(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    site = f"http://localhost:{uvicorn}"
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])
    return site


def test_new_mail_appears_in_the_open_list(
    page: Page, live_site, account, dovecot, mail_user, viewport_name
):
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    site = live_site
    page.goto(f"{site}/folder/{inbox.pk}/")
    expect(page.get_by_text("No messages here.")).to_be_visible()
    page.wait_for_timeout(1200)  # the event stream is open and has read its counter

    dovecot.deliver(mail_user, make_message(1, "Arrived while you watched"))
    account_sync.sync_account(account)  # what the IDLE listener's task does

    expect(page.get_by_text("Arrived while you watched")).to_be_visible(timeout=3000)
    expect(page).to_have_title("(1) Inbox · Courriel")
    page.screenshot(path=f"test-results/live-list-{viewport_name}.png", full_page=True)


# Chromium shows nothing headless: record each notification, then let the real
# one be made. The page is also told it lacks the focus, as when reading elsewhere.
RECORD_NOTIFICATIONS = """
window.shownNotifications = [];
const RealNotification = window.Notification;
window.Notification = class extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.shownNotifications.push({ title, body: options.body });
  }
};
Document.prototype.hasFocus = () => false;
"""


def test_new_mail_is_notified_once_turned_on(page: Page, live_site, account, dovecot, mail_user):
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    site = live_site
    page.context.grant_permissions(["notifications"], origin=site)
    page.add_init_script(RECORD_NOTIFICATIONS)
    page.goto(f"{site}/settings/")
    expect(page.get_by_text("Off in this browser.")).to_be_visible()
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("On: this browser shows new mail")).to_be_visible()

    page.goto(f"{site}/folder/{inbox.pk}/")
    page.wait_for_timeout(1200)  # the event stream is open and the baseline known
    dovecot.deliver(mail_user, make_message(1, "Lunch on Friday?"))
    account_sync.sync_account(account)

    expect(page.get_by_text("Lunch on Friday?")).to_be_visible(timeout=3000)
    page.wait_for_function("() => window.shownNotifications.length > 0", timeout=3000)
    shown = page.evaluate("window.shownNotifications")
    assert shown == [{"title": "Émilie Sender 1", "body": "Lunch on Friday?"}]
