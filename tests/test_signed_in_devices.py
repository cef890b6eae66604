"""Signed-in devices: recorded at sign-in, listed to their owner only, and signed
out for real (the other browser's next request is anonymous)."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD, clear_cache_namespace
from webmail.sessions_list.agents import short_device_name
from webmail.sessions_list.models import SignedInSession

pytestmark = pytest.mark.django_db
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def signed_in(user, user_agent: str) -> Client:
    """A browser that signs in through the real sign-in form."""
    browser = Client(headers={"user-agent": user_agent})
    response = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return browser


def is_signed_in(browser: Client) -> bool:
    return browser.get(reverse("webmail:settings_security")).status_code == 200


def test_signing_in_records_the_device(alice):
    browser = signed_in(alice, PHONE)
    [device] = SignedInSession.objects.filter(user=alice)
    assert device.user_agent == PHONE
    assert device.ip_address == "127.0.0.1"
    assert device.session_id == browser.session.session_key


def test_the_list_shows_each_device_and_which_one_is_this(alice):
    laptop = signed_in(alice, LAPTOP)
    signed_in(alice, PHONE)
    page = laptop.get(reverse("webmail:settings_security")).content.decode()
    assert LAPTOP in page and PHONE in page
    assert page.count("This device") == 1
    this = page.index("This device")
    assert page.rfind(LAPTOP, 0, this) > page.rfind(PHONE, 0, this)  # the badge is the laptop's


def test_sign_out_everywhere_else_signs_the_other_browser_out_for_real(alice):
    laptop, phone = signed_in(alice, LAPTOP), signed_in(alice, PHONE)
    assert is_signed_in(phone)
    page = laptop.post(reverse("webmail:sign_out_other_sessions"), follow=True)
    assert "Signed out everywhere else (1 device)." in page.content.decode()
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)
    assert list(SignedInSession.objects.values_list("user_agent", flat=True)) == [LAPTOP]


def test_signing_out_one_device(alice):
    laptop, phone = signed_in(alice, LAPTOP), signed_in(alice, PHONE)
    tablet = signed_in(alice, "Tablet")
    device = SignedInSession.objects.get(user_agent=PHONE)
    laptop.post(reverse("webmail:sign_out_session", args=[device.pk]))
    assert not is_signed_in(phone)
    assert is_signed_in(laptop) and is_signed_in(tablet)


def test_this_device_is_not_signed_out_from_the_list(alice):
    laptop = signed_in(alice, LAPTOP)
    device = SignedInSession.objects.get(user_agent=LAPTOP)
    response = laptop.post(reverse("webmail:sign_out_session", args=[device.pk]))
    assert response.status_code == 404
    assert is_signed_in(laptop)


def test_a_stranger_neither_sees_nor_signs_out_someone_elses_devices(alice, bob):
    alices_phone = signed_in(alice, PHONE)
    bobs_laptop = signed_in(bob, LAPTOP)
    page = bobs_laptop.get(reverse("webmail:settings_security")).content.decode()
    assert PHONE not in page
    device = SignedInSession.objects.get(user=alice)
    response = bobs_laptop.post(reverse("webmail:sign_out_session", args=[device.pk]))
    assert response.status_code == 404
    bobs_laptop.post(reverse("webmail:sign_out_other_sessions"))
    assert is_signed_in(alices_phone)


def test_last_seen_is_written_at_most_once_a_minute(alice):
    browser = signed_in(alice, PHONE)
    device = SignedInSession.objects.get(user=alice)
    old = device.last_seen_at.replace(year=2020)
    SignedInSession.objects.filter(pk=device.pk).update(last_seen_at=old)
    browser.get(reverse("webmail:settings"))  # first request of this minute: written
    SignedInSession.objects.filter(pk=device.pk).update(last_seen_at=old)
    browser.get(reverse("webmail:settings"))  # same minute: no write
    assert SignedInSession.objects.get(pk=device.pk).last_seen_at == old
    key = f"session-seen:{browser.session.session_key}"
    assert cache.has_key(key)  # expires after SEEN_EVERY_SECONDS
    cache.delete(key)  # a minute later
    browser.get(reverse("webmail:settings"))
    assert SignedInSession.objects.get(pk=device.pk).last_seen_at > old


def test_a_session_from_before_devices_were_recorded_appears_on_its_next_request(alice, client):
    client.force_login(alice)
    SignedInSession.objects.all().delete()
    clear_cache_namespace()
    client.get(reverse("webmail:settings"))
    assert SignedInSession.objects.filter(user=alice).count() == 1


def test_sign_out_everywhere_else_also_ends_sessions_never_recorded(alice):
    laptop = signed_in(alice, LAPTOP)
    old = SessionStore()
    old[SESSION_KEY] = str(alice.pk)
    old.create()  # a session from before this feature: no device row
    laptop.post(reverse("webmail:sign_out_other_sessions"))
    assert not Session.objects.filter(pk=old.session_key).exists()
    assert is_signed_in(laptop)


def test_a_password_change_drops_the_other_devices_from_the_list(alice):
    laptop, phone = signed_in(alice, LAPTOP), signed_in(alice, PHONE)
    new_password = PASSWORD + " changed"
    laptop.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert not is_signed_in(phone)  # Django invalidates it...
    page = laptop.get(reverse("webmail:settings_security")).content.decode()
    assert PHONE not in page  # ...and the list no longer shows it
    assert LAPTOP in page


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        (PHONE, ("Safari", "iPhone")),
        (LAPTOP, ("Firefox", "Linux")),
        (
            "Mozilla/5.0 (Linux; Android 15) Chrome/140.0 Mobile Safari/537.36",
            ("Chrome", "Android"),
        ),
        ("Mozilla/5.0 (Windows NT 10.0) Chrome/140.0 Safari/537.36 Edg/140.0", ("Edge", "Windows")),
        ("curl/8.0", ("", "")),
    ],
)
def test_devices_get_a_short_readable_name(user_agent, expected):
    assert short_device_name(user_agent) == expected


def test_the_list_names_devices_readably(alice):
    laptop = signed_in(alice, LAPTOP)
    page = laptop.get(reverse("webmail:settings_security")).content.decode()
    assert "Firefox on Linux" in page
