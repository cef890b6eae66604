"""The settings page in Chromium, on a desktop and a phone: every section fits the
screen without sideways scrolling, saving works and applies, no console errors."""

import re

import pytest
from playwright.sync_api import Page, expect

from webmail.engine import account_sync
from webmail.models.preferences import Preferences

SECTIONS = ["/settings/", "/settings/accounts/", "/settings/privacy/", "/settings/security/"]
SECTIONS += ["/settings/filters/", "/settings/filters/new/", "/settings/storage/"]
# The page background (--bg) of each theme.
DARK_BACKGROUND, LIGHT_BACKGROUND = "rgb(17, 20, 24)", "rgb(246, 247, 249)"


def scrolls_sideways(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def open_settings_from_the_navigation(page: Page, site: str) -> None:
    page.goto(f"{site}/")
    menu = page.locator(".topbar__menu > summary")
    if menu.is_visible():  # phone: the navigation is behind the Menu button
        menu.click()
    page.locator("nav:visible").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Profile")).to_be_visible()


def test_every_section_fits_the_screen(signed_in_page: Page, site, account, console_errors):
    account_sync.sync_account(account)  # the storage section then shows a real quota
    page = signed_in_page
    for path in SECTIONS:
        page.goto(f"{site}{path}")
        expect(page.locator("main h1")).to_be_visible()
        assert not scrolls_sideways(page), path
    expect(page.locator("meter.quota__bar")).to_be_visible()
    expect(page.locator(".quota__text")).to_contain_text("of 10.0")
    assert console_errors == []


def test_saving_the_profile_applies_it(signed_in_page: Page, site, alice, console_errors):
    page = signed_in_page
    open_settings_from_the_navigation(page, site)
    page.get_by_label("Display name").fill("Alice L.")
    page.get_by_label("Theme").select_option("dark")
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_label("Messages per page").select_option("25")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == DARK_BACKGROUND
    preferences = Preferences.objects.get(user=alice)
    assert (preferences.time_zone, preferences.messages_per_page) == ("Europe/Paris", 25)
    assert not scrolls_sideways(page)
    assert console_errors == []


def test_switching_to_french_is_kept_for_the_person(
    signed_in_page: Page, site, alice, console_errors
):
    page = signed_in_page
    page.goto(f"{site}/settings/")
    menu = page.locator(".topbar__menu > summary")
    if menu.is_visible():
        menu.click()
    page.locator("nav:visible").get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name="Profil")).to_be_visible()
    assert Preferences.objects.get(user=alice).language == "fr"
    expect(page.get_by_label("Langue")).to_have_value("fr")
    assert console_errors == []


@pytest.mark.parametrize("policy", ["never", "always"])
def test_the_privacy_choice_is_saved(signed_in_page: Page, site, alice, policy, console_errors):
    page = signed_in_page
    page.goto(f"{site}/settings/privacy/")
    label = {"never": "Never show remote images", "always": re.compile("Always show remote")}
    page.get_by_label(label[policy]).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    assert Preferences.objects.get(user=alice).remote_content == policy
    assert console_errors == []


@pytest.mark.parametrize(
    ("device_scheme", "theme", "expected"),
    [
        ("dark", "light", LIGHT_BACKGROUND),  # the chosen theme wins over the device's
        ("light", "dark", DARK_BACKGROUND),
        ("dark", "system", DARK_BACKGROUND),  # "same as my device" follows it
        ("light", "system", LIGHT_BACKGROUND),
    ],
)
def test_the_theme_overrides_the_device_unless_it_follows_it(
    signed_in_page: Page, site, alice, device_scheme, theme, expected
):
    Preferences.objects.create(user=alice, theme=theme)
    page = signed_in_page
    page.emulate_media(color_scheme=device_scheme)
    page.goto(f"{site}/settings/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == expected
