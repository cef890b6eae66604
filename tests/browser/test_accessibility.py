"""axe-core (the rules browsers' accessibility audits use) finds nothing to
report on Courriel's pages, on a desktop and on a phone, in the light and dark themes."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from tests.browser.test_list_actions import mailbox  # noqa: F401 (a fixture)
from tests.test_message_print import minutes_message
from tests.test_reading_views import stored
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


def violations(page: Page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in found]


def signed_in_pages(account, alice) -> list[str]:
    inbox = Folder.objects.get(account=account, name="INBOX")
    trash = Folder.objects.get(account=account, name="Trash")
    thread = Message.objects.filter(folder=inbox).first().thread_id
    message = stored(alice, minutes_message(), subject="Minutes")
    return [
        f"/folder/{inbox.pk}/",
        "/all/unread/",
        "/search/?q=Unread",
        f"/message/{message.pk}/",
        f"/conversation/{thread}/",
        f"/folder/{trash.pk}/empty/",
        "/compose/",
        "/compose/drafts/",
        "/compose/identities/",
        "/contacts/",
        "/outbox/",
        "/mail-accounts/",
        "/mail-accounts/add/",
        f"/mail-accounts/{account.pk}/",
        f"/mail-accounts/{account.pk}/folders/",
        "/settings/",
        "/settings/accounts/",
        "/settings/privacy/",
        "/settings/security/",
        "/settings/storage/",
        "/settings/filters/",
        "/settings/filters/new/",
        "/settings/vacation/",
        f"/settings/vacation/{account.pk}/",
        "/accounts/2fa/",
        "/no-such-page/",
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_signed_in_pages(signed_in_page: Page, site, mailbox, alice, media, scheme):  # noqa: F811
    signed_in_page.emulate_media(color_scheme=scheme)  # the theme follows the device's
    found = {}
    for path in signed_in_pages(mailbox, alice):
        signed_in_page.goto(site + path)
        if problems := violations(signed_in_page):
            found[path] = problems
    assert found == {}
    background = signed_in_page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = map(int, background[background.index("(") + 1 : -1].split(",")[:3])
    assert (red + green + blue < 384) == (scheme == "dark")  # the audit saw that theme


def test_pages_before_signing_in(page: Page, site):
    found = {}
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        page.goto(site + path)
        if problems := violations(page):
            found[path] = problems
    assert found == {}
