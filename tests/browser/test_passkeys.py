"""Passkeys through Chromium's virtual authenticator (WebAuthn over CDP)."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_out
from tests.browser.test_sign_in_with_totp import confirm_email_address, sign_up
from tests.conftest import PASSWORD


def add_virtual_authenticator(page: Page) -> None:
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "automaticPresenceSimulation": True,
    }
    session.send("WebAuthn.addVirtualAuthenticator", {"options": options})


def test_a_person_adds_a_passkey_and_signs_in_with_it_alone(
    page: Page, site, mailoutbox, console_errors, viewport_name
):
    add_virtual_authenticator(page)
    sign_up(page, site, f"faye-{viewport_name}@example.org")
    confirm_email_address(page, mailoutbox)

    page.goto(f"{site}/accounts/2fa/webauthn/add/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Laptop")
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("Security key added.")).to_be_visible()

    sign_out(page)
    page.goto(f"{site}/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()
    assert console_errors == []
