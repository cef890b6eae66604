"""The Django admin at /admin/: staff only."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_staff_reach_the_admin_and_its_user_list(client, charlie, alice):
    client.force_login(charlie)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    assert "alice@example.org" in response.content.decode()


def test_a_person_who_is_not_staff_is_sent_to_the_admin_sign_in(alice_client):
    response = alice_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_create_a_user_by_email_address(client, charlie, django_user_model):
    client.force_login(charlie)
    password = "a long and unusual passphrase"
    client.post(
        reverse("admin:accounts_user_add"),
        {"email": "gus@example.org", "password1": password, "password2": password},
    )
    assert django_user_model.objects.get(email="gus@example.org").check_password(password)


def test_the_admin_searches_users_by_email(client, charlie, alice, bob):
    client.force_login(charlie)
    page = client.get(reverse("admin:accounts_user_changelist"), {"q": "bob@"}).content.decode()
    assert "bob@example.org" in page
    assert "alice@example.org" not in page
