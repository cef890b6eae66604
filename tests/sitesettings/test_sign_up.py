"""Sign-up open or closed from the admin, applied at once, even in another process."""

import urllib.request

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.sitesettings.conftest import save_in_admin, save_site_settings


def sign_up(client, email="dana@example.org"):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


@pytest.mark.django_db
def test_closing_sign_up_blocks_the_page_and_the_form(client, django_user_model, settings):
    settings.SIGNUP_OPEN = True  # the environment says open; the admin's record wins
    save_site_settings(signup_open=False)
    assert "Sign Up Closed" in client.get(reverse("account_signup")).content.decode()
    sign_up(client)
    assert not django_user_model.objects.filter(email="dana@example.org").exists()


@pytest.mark.django_db
def test_reopening_sign_up_lets_people_in_again(client, django_user_model, staff_client):
    save_in_admin(staff_client, signup_open=False)
    save_in_admin(staff_client, signup_open=True)
    assert sign_up(client).status_code == 302
    assert django_user_model.objects.filter(email="dana@example.org").exists()


def signup_page_elsewhere(port: int) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/accounts/signup/", headers={"Host": "localhost"}
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.read().decode()


@pytest.mark.django_db(transaction=True)
def test_a_server_already_running_sees_the_change_without_a_restart(uvicorn, staff_client):
    assert "Sign Up Closed" not in signup_page_elsewhere(uvicorn)  # read (and cached) there
    save_in_admin(staff_client, signup_open=False)
    assert "Sign Up Closed" in signup_page_elsewhere(uvicorn)
