"""Signing up, in and out, passwords and two-factor authentication (django-allauth)."""

import re

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.totp import current_code

pytestmark = pytest.mark.django_db


def sign_up(client, email="dana@example.org"):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
    )


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_person_signs_up_with_an_email_address_and_is_signed_in(client, django_user_model):
    response = sign_up(client)
    assert response.status_code == 302
    user = django_user_model.objects.get(email="dana@example.org")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_up_can_be_closed_by_the_administrator(client, settings, django_user_model):
    settings.SIGNUP_OPEN = False
    page = client.get(reverse("account_signup"))
    sign_up(client)
    assert "Sign Up Closed" in page.content.decode()
    assert not django_user_model.objects.filter(email="dana@example.org").exists()


def test_a_person_signs_in_with_their_email_address(client, alice):
    response = sign_in(client, "alice@example.org")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_wrong_password_is_refused_with_a_clear_message(client, alice):
    response = sign_in(client, "alice@example.org", "not the password")
    assert response.status_code == 200
    assert "The email address and/or password you specified are not correct." in (
        response.content.decode()
    )
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_are_rate_limited(client, alice):
    for _attempt in range(5):
        sign_in(client, "alice@example.org", "wrong")
    response = sign_in(client, "alice@example.org")
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_out_ends_the_session(alice_client):
    alice_client.post(reverse("account_logout"))
    assert "_auth_user_id" not in alice_client.session


def test_a_password_reset_mails_a_working_link(client, alice, mailoutbox):
    client.post(reverse("account_reset_password"), {"email": "alice@example.org"})
    assert len(mailoutbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mailoutbox[0].body)
    form_page = client.get(link.group(1), follow=True)
    new_password = "a brand new passphrase 7"
    client.post(
        form_page.redirect_chain[-1][0],
        {"password1": new_password, "password2": new_password},
    )
    alice.refresh_from_db()
    assert alice.check_password(new_password)


def test_a_signed_in_person_changes_their_password(alice_client, alice):
    new_password = "another long passphrase 9"
    alice_client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    alice.refresh_from_db()
    assert alice.check_password(new_password)


def activate_totp(client) -> str:
    # allauth asks for the password again before any change to two-factor settings.
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302, response.content.decode()
    return secret


def test_totp_is_asked_for_after_the_password_once_enabled(client, alice):
    sign_in(client, "alice@example.org")
    secret = activate_totp(client)
    client.post(reverse("account_logout"))

    response = sign_in(client, "alice@example.org")
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session

    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_a_wrong_totp_code_keeps_the_person_out(client, alice):
    sign_in(client, "alice@example.org")
    activate_totp(client)
    client.post(reverse("account_logout"))
    sign_in(client, "alice@example.org")
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "Incorrect code." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_enabling_totp_also_creates_recovery_codes(client, alice):
    sign_in(client, "alice@example.org")
    activate_totp(client)
    types = set(Authenticator.objects.filter(user=alice).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


def test_a_recovery_code_signs_in_instead_of_totp(client, alice):
    sign_in(client, "alice@example.org")
    activate_totp(client)
    codes = client.get(reverse("mfa_view_recovery_codes")).context["unused_codes"]
    client.post(reverse("account_logout"))
    sign_in(client, "alice@example.org")
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_changing_two_factor_settings_asks_for_the_password_again(alice_client):
    response = alice_client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_the_passkey_page_offers_the_webauthn_ceremony(alice_client):
    alice_client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = alice_client.get(reverse("mfa_add_webauthn"))
    assert response.status_code == 200
    assert "allauth.webauthn.forms.addForm" in response.content.decode()
