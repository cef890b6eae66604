"""The admin on a phone and a desktop: mail accounts, their change form and the sync
health page fit the screen (no sideways scrolling) and break no CSP rule."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.admin.conftest import make_account

# Boxes that scroll sideways inside the page (Django wraps change lists in one);
# text hidden for screen readers only (clipped or indented away on purpose), and a
# field's own text, do not count.
SIDEWAYS_SCROLLERS = """() => [...document.querySelectorAll('#container *')].filter(element =>
    getComputedStyle(element).overflowX !== 'visible' &&
    !element.matches('.visually-hidden, input, textarea, select') &&
    parseFloat(getComputedStyle(element).textIndent) >= 0 &&
    element.scrollWidth > element.clientWidth + 1).map(element => element.className)"""


def fits(page: Page) -> bool:
    """Nothing is wider than the screen: not the page (compared with the viewport's own
    width: on a phone, Chromium widens the window to fit a page that is too wide), and
    no box inside it scrolls sideways."""
    page_width = page.evaluate("document.documentElement.scrollWidth")
    scrollers = page.evaluate(SIDEWAYS_SCROLLERS)
    assert scrollers == [], scrollers
    return page_width <= page.viewport_size["width"]


@pytest.fixture
def admin_page(page: Page, site, charlie, client):
    """charlie, a superuser, signed in to the admin."""
    from django.conf import settings

    client.force_login(charlie)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": site, "httpOnly": True}]
    )
    return page


@pytest.fixture
def accounts(alice):
    long_host = "imap.a-rather-long-organisation-name.example.org"
    return [
        make_account(
            alice, f"someone.with.a.long.address.{n}@example.org", incoming_host=long_host,
            status="error", last_error="timeout", last_synced_at=timezone.now(),
        )
        for n in range(3)
    ]  # fmt: skip


@pytest.fixture
def screenshots(viewport_name):
    return lambda page, name: page.screenshot(
        path=f"test-results/{name}-{viewport_name}.png", full_page=True
    )


def test_the_mail_account_list_fits_the_screen(
    admin_page: Page, site, accounts, console_errors, screenshots
):
    admin_page.goto(f"{site}/admin/webmail/mailaccount/")
    expect(admin_page.get_by_text(accounts[0].email)).to_be_visible()
    screenshots(admin_page, "admin-mail-accounts")
    assert fits(admin_page)
    assert console_errors == []


def test_the_change_form_fits_and_keeps_the_password_write_only(
    admin_page: Page, site, accounts, console_errors, screenshots
):
    admin_page.goto(f"{site}/admin/webmail/mailaccount/{accounts[0].pk}/change/")
    password = admin_page.get_by_label("New incoming password")
    expect(password).to_have_value("")
    screenshots(admin_page, "admin-mail-account-form")
    assert fits(admin_page)
    password.fill("a brand new password")
    admin_page.get_by_role("button", name="Save", exact=True).click()
    expect(admin_page.locator(".messagelist")).to_contain_text("was changed successfully")
    assert console_errors == []


def test_the_sync_health_page_fits_the_screen(
    admin_page: Page, site, accounts, console_errors, screenshots
):
    admin_page.goto(f"{site}/admin/")
    admin_page.get_by_role("link", name="Sync health").click()
    expect(admin_page.get_by_text("Errors in a row").first).to_be_attached()
    screenshots(admin_page, "admin-sync-health")
    assert fits(admin_page)
    assert console_errors == []


@pytest.mark.parametrize("path", ["accounts/user/{alice}/change/", "outbox/outboxmessage/"])
def test_other_admin_pages_fit_the_screen(
    admin_page: Page, site, accounts, alice, path, console_errors, screenshots
):
    admin_page.goto(f"{site}/admin/{path.format(alice=alice.pk)}")
    expect(admin_page.locator("#content")).to_be_visible()
    screenshots(admin_page, "admin-" + path.split("/")[1])
    assert fits(admin_page)
    assert console_errors == []
