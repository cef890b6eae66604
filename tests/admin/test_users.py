"""The Django admin at /admin/: staff only."""

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import make_account, run_action, shown_messages
from tests.conftest import PASSWORD
from webmail.models import Folder, Message

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


def test_deactivating_a_person_stops_their_sign_in_and_is_logged(client, charlie, alice):
    client.force_login(charlie)
    response = run_action(client, "accounts.user", "deactivate", [alice])
    assert "1 person deactivated." in shown_messages(response)
    alice.refresh_from_db()
    assert not alice.is_active
    assert not client.login(email="alice@example.org", password=PASSWORD)
    entry = LogEntry.objects.get(object_id=str(alice.pk))
    assert (entry.user, entry.change_message) == (charlie, "Deactivated")


def test_staff_cannot_deactivate_themselves(client, charlie):
    client.force_login(charlie)
    response = run_action(client, "accounts.user", "deactivate", [charlie])
    assert "You cannot deactivate yourself: left active." in shown_messages(response)
    charlie.refresh_from_db()
    assert charlie.is_active


def test_a_persons_page_lists_their_mail_accounts_and_storage(client, charlie, alice, bob):
    imap = make_account(alice, "alice@example.net")
    pop3 = make_account(alice, "alice@pop.example.net", protocol="pop3")
    make_account(bob, "bob@example.net")
    add_messages(imap, sizes=[1000, 2000])
    add_messages(pop3, sizes=[3 * 1024 * 1024])
    client.force_login(charlie)
    page = client.get(reverse("admin:accounts_user_change", args=[alice.pk])).content.decode()
    assert "alice@example.net" in page and "alice@pop.example.net" in page
    assert "bob@example.net" not in page
    assert "Kept here (POP3): 3.0\xa0MB." in page
    assert "Cached from IMAP servers: 2 messages, 2.9\xa0KB." in page
    assert reverse("admin:webmail_mailaccount_change", args=[imap.pk]) in page


def test_two_factor_is_shown_and_can_be_filtered(client, charlie, alice, bob):
    Authenticator.objects.create(user=bob, type=Authenticator.Type.TOTP, data={})
    Authenticator.objects.create(user=alice, type=Authenticator.Type.RECOVERY_CODES, data={})
    client.force_login(charlie)
    url = reverse("admin:accounts_user_changelist")
    with_2fa = client.get(url, {"two_factor": "yes"}).content.decode()
    assert "bob@example.org" in with_2fa and "alice@example.org" not in with_2fa
    without = client.get(url, {"two_factor": "no"}).content.decode()
    assert "alice@example.org" in without and "bob@example.org" not in without
    bob_page = client.get(reverse("admin:accounts_user_change", args=[bob.pk])).content.decode()
    assert "Authenticator app" in bob_page


def add_messages(account, sizes) -> None:
    folder = Folder.objects.create(account=account, name="INBOX", special_use="inbox")
    Message.objects.bulk_create(
        Message(account=account, folder=folder, uid=uid, size=size, internal_date=timezone.now())
        for uid, size in enumerate(sizes, start=1)
    )


def test_staff_can_be_given_single_permissions(client, charlie, alice):
    from django.contrib.auth.models import Permission

    client.force_login(charlie)
    view_accounts = Permission.objects.get(codename="view_mailaccount")
    page = client.get(reverse("admin:accounts_user_change", args=[alice.pk])).content.decode()
    assert 'name="user_permissions"' in page
    assert f'value="{view_accounts.pk}"' in page


def test_staff_can_require_two_factor_for_one_person(client, charlie, alice):
    client.force_login(charlie)
    page = client.get(reverse("admin:accounts_user_change", args=[alice.pk])).content.decode()
    assert 'name="must_use_2fa"' in page
    alice.must_use_2fa = True  # what ticking the box saves
    alice.save()
    listed = client.get(reverse("admin:accounts_user_changelist"), {"must_use_2fa__exact": "1"})
    assert "alice@example.org" in listed.content.decode()
    client.force_login(alice)
    response = client.get(reverse("webmail:home"))
    assert response.status_code == 302 and response.url == reverse("mfa_index")
