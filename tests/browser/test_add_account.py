"""Connecting a mail account in the browser, on a phone and on a desktop."""

import pytest
from playwright.sync_api import Page, expect

from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import MailAccount


@pytest.fixture
def screenshots(viewport_name):
    return lambda page, name: page.screenshot(
        path=f"test-results/{name}-{viewport_name}.png", full_page=True
    )


def test_an_address_and_a_password_connect_an_account(
    signed_in_page: Page,
    site,
    mail_servers,
    dovecot,
    console_errors,
    screenshots,
):
    page = signed_in_page
    dovecot.deliver(mail_servers, make_message(1, "Bienvenue"))
    page.goto(f"{site}/mail-accounts/add/")
    page.get_by_label("E-mail address").fill(mail_servers.address)
    page.get_by_label("Password").fill(mail_servers.password)
    screenshots(page, "add-account")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".flash__item--success")).to_contain_text("is connected")

    account_sync.sync_account(MailAccount.objects.get(email=mail_servers.address))
    page.reload()
    inbox = page.locator(".folder-list__item--inbox")
    expect(inbox).to_contain_text("Inbox")
    expect(inbox).to_contain_text("1")
    screenshots(page, "mailbox-after-sync")
    assert console_errors == []


def test_a_wrong_password_shows_the_editable_settings(
    signed_in_page: Page,
    site,
    mail_servers,
    screenshots,
):
    page = signed_in_page
    page.goto(f"{site}/mail-accounts/add/")
    page.get_by_label("E-mail address").fill(mail_servers.address)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert").first).to_contain_text("refused this user name and password")
    expect(page.get_by_label("Incoming server")).to_have_value("localhost")
    screenshots(page, "account-settings-error")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
