"""Playwright driving Debian's Chromium against live_server, on two viewports.

Run apart from the other tests (scripts/test does): after Playwright's event
loop, other async-to-sync code in the same process can misbehave.
"""

import os

import pytest

from tests.conftest import require_binary

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between steps are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1440, "height": 900}},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": require_binary(CHROMIUM, "chromium"),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport_name(request):
    return request.param


@pytest.fixture
def browser_context_args(browser_context_args, viewport_name):
    return {**browser_context_args, **VIEWPORTS[viewport_name], "locale": "en-GB"}


@pytest.fixture(autouse=True)
def short_timeouts(page):
    # A missing element fails in seconds, not Playwright's default 30 s.
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(20_000)


@pytest.fixture
def console_errors(page):
    """Everything the page logged as an error: CSP violations show up here."""
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def site(live_server, transactional_db):
    return live_server.url


@pytest.fixture
def signed_in_page(page, site, alice, client):
    """alice's browser, already signed in (the sign-in itself is tested elsewhere)."""
    from django.conf import settings

    client.force_login(alice)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": site, "httpOnly": True}]
    )
    return page


def sign_out(page) -> None:
    """Sign out as a person would: on a phone, through the Menu button first."""
    menu = page.locator(".topbar__menu > summary")
    if menu.is_visible():
        menu.click()
    page.locator("nav:visible").get_by_role("button", name="Sign out").click()
