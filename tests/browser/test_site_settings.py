"""What the administrator's site settings change for a person, on a phone and a desktop."""

from playwright.sync_api import Page, expect

from tests.sitesettings.conftest import make_preset, save_site_settings
from webmail.models import MailAccount


def no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_on_a_locked_site_only_the_password_can_be_corrected(
    signed_in_page: Page, site, mail_servers, dovecot, smtp, console_errors
):
    preset = make_preset(
        name="Our organisation", domains="",
        imap_host="localhost", imap_port=dovecot.imaps_port,
        smtp_host="localhost", smtp_port=smtp.smtps_port,
    )  # fmt: skip
    save_site_settings(locked_preset=preset)
    page = signed_in_page
    page.goto(f"{site}/mail-accounts/add/")
    page.get_by_label("E-mail address").fill(mail_servers.address)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Continue").click()

    expect(page.get_by_text("connects to the mail servers of Our organisation")).to_be_visible()
    expect(page.get_by_label("Incoming server")).to_have_count(0)
    assert no_horizontal_scroll(page)
    expect(page.get_by_role("checkbox")).to_have_count(0)  # nothing to choose here
    page.get_by_role("textbox", name="Password").fill(mail_servers.password)
    page.get_by_role("button", name="Check and save").click()
    expect(page.locator(".flash__item--success")).to_contain_text("is connected")
    assert MailAccount.objects.get().incoming_port == dovecot.imaps_port
    assert console_errors == []


def test_required_two_factor_authentication_is_explained_where_it_is_set_up(
    signed_in_page: Page, site, console_errors
):
    save_site_settings(require_two_factor=True)
    page = signed_in_page
    page.goto(f"{site}/")
    expect(page.get_by_text("This site requires two-factor authentication.")).to_be_visible()
    assert page.url == f"{site}/accounts/2fa/"
    assert no_horizontal_scroll(page)
    assert console_errors == []
