"""Two-factor authentication required by the site or for one person."""

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.sitesettings.conftest import save_site_settings
from tests.totp import current_code

pytestmark = pytest.mark.django_db

EXPLANATION = "This site requires two-factor authentication."


def test_required_for_everyone_sends_a_person_without_it_to_set_it_up(alice_client):
    save_site_settings(require_two_factor=True)
    response = alice_client.get(reverse("webmail:home"))
    assert response.url == reverse("mfa_index")
    page = alice_client.get(response.url)
    assert page.status_code == 200
    assert EXPLANATION in page.content.decode()


def test_required_for_one_person_only_concerns_that_person(client, alice, bob):
    alice.must_use_2fa = True
    alice.save()
    client.force_login(bob)
    assert client.get(reverse("webmail:home")).status_code == 200
    client.force_login(alice)
    assert client.get(reverse("webmail:home")).url == reverse("mfa_index")


def test_not_required_lets_everyone_through(alice_client):
    assert alice_client.get(reverse("webmail:home")).status_code == 200


def test_the_person_can_set_up_totp_and_is_then_let_through(alice_client, alice):
    save_site_settings(require_two_factor=True)
    # Every step of the set-up is reachable: asking for the password again, TOTP.
    reauth = alice_client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert reauth.status_code == 302
    page = alice_client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    activated = alice_client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=alice, type="totp").exists()
    assert alice_client.get(reverse("webmail:home")).status_code == 200


def test_recovery_codes_alone_do_not_count(alice_client, alice):
    save_site_settings(require_two_factor=True)
    Authenticator.objects.create(user=alice, type=Authenticator.Type.RECOVERY_CODES, data={})
    assert alice_client.get(reverse("webmail:home")).url == reverse("mfa_index")


def test_signing_out_and_switching_language_stay_possible(alice_client):
    save_site_settings(require_two_factor=True)
    assert alice_client.post(reverse("set_language"), {"language": "fr"}).status_code == 302
    alice_client.post(reverse("account_logout"))
    assert "_auth_user_id" not in alice_client.session


def test_the_explanation_is_translated(alice_client):
    save_site_settings(require_two_factor=True)
    alice_client.get(reverse("webmail:home"), headers={"accept-language": "fr"})
    page = alice_client.get(reverse("mfa_index"), headers={"accept-language": "fr"})
    assert "Ce site exige la double authentification." in page.content.decode()


def test_htmx_requests_are_sent_there_too(alice_client):
    save_site_settings(require_two_factor=True)
    response = alice_client.get(reverse("webmail:home"), headers={"hx-request": "true"})
    assert response.headers["HX-Redirect"] == reverse("mfa_index")


def test_anonymous_visitors_are_not_concerned(client):
    save_site_settings(require_two_factor=True)
    assert client.get(reverse("account_login")).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_under_asgi_too_a_person_without_it_is_sent_to_set_it_up(client, alice, uvicorn):
    import http.client

    from django.conf import settings

    save_site_settings(require_two_factor=True)
    client.force_login(alice)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    connection = http.client.HTTPConnection("127.0.0.1", uvicorn, timeout=20)
    connection.request("GET", "/", headers={"Host": "localhost", "Cookie": cookie})
    with connection.getresponse() as response:
        status, location = response.status, response.getheader("Location")
    connection.close()
    assert (status, location) == (302, reverse("mfa_index"))
