"""A person signs up, turns on TOTP, signs out and back in with a code: phone and desktop."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_out
from tests.conftest import PASSWORD
from tests.totp import current_code


def sign_up(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def confirm_email_address(page: Page, mailoutbox) -> None:
    # Two-factor authentication can only be turned on for a verified address.
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[-1].body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("You have confirmed")).to_be_visible()


def activate_totp(page: Page, site: str) -> str:
    page.goto(f"{site}/accounts/2fa/totp/activate/")
    # allauth asks for the password again before changing two-factor settings.
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    page.get_by_label("Authenticator code").fill(current_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()
    return secret


def sign_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()


def test_sign_up_enable_totp_sign_out_and_back_in(
    page: Page, site, mailoutbox, console_errors, viewport_name
):
    email = f"erin-{viewport_name}@example.org"
    sign_up(page, site, email)
    confirm_email_address(page, mailoutbox)
    secret = activate_totp(page, site)

    sign_out(page)
    expect(page.get_by_role("button", name="Sign In", exact=True)).to_be_visible()

    sign_in(page, site, email)
    code = page.get_by_label("Code", exact=True)
    expect(code).to_be_visible()
    code.fill(current_code(secret))
    page.get_by_role("button", name="Sign In").click()

    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    assert console_errors == []


def test_no_page_scrolls_sideways(page: Page, site, viewport_name):
    for path in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]:
        page.goto(f"{site}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} is {overflow}px too wide on {viewport_name}"


def test_the_theme_follows_the_system_setting(page: Page, site, viewport_name):
    backgrounds = {}
    for scheme in ["light", "dark"]:
        page.emulate_media(color_scheme=scheme)
        page.goto(f"{site}/accounts/login/")
        page.screenshot(path=f"test-results/login-{viewport_name}-{scheme}.png", full_page=True)
        backgrounds[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert backgrounds["light"] != backgrounds["dark"]


def test_the_narrowest_phones_do_not_scroll_sideways(page: Page, site):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{site}/accounts/login/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
