"""The mailbox page reads the local index: counts from Redis, rebuilt when lost."""

import pytest
from django.urls import reverse

from tests.conftest import clear_cache_namespace
from webmail.mailbox_state import folder_counts
from webmail.models import Folder, MailAccount, Message

pytestmark = pytest.mark.django_db


def make_account(user, email):
    return MailAccount.objects.create(
        user=user, email=email, incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username=email, smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls",
    )  # fmt: skip


def make_inbox(account, *, unread: int, read: int) -> Folder:
    inbox = Folder.objects.create(account=account, name="INBOX", special_use="inbox")
    for uid in range(1, unread + read + 1):
        Message.objects.create(
            account=account, folder=inbox, uid=uid, subject=f"{account.email} #{uid}",
            internal_date="2026-11-01T10:00Z", is_seen=uid > unread,
        )  # fmt: skip
    return inbox


def test_the_page_shows_unread_counts_and_the_newest_mail(alice_client, alice):
    make_inbox(make_account(alice, "alice@example.org"), unread=2, read=1)
    page = alice_client.get(reverse("webmail:home")).content.decode()
    assert "2 unread messages" in page
    assert "alice@example.org #3" in page


def test_counts_lost_from_redis_are_rebuilt_from_the_database(alice_client, alice):
    inbox = make_inbox(make_account(alice, "alice@example.org"), unread=1, read=4)
    clear_cache_namespace()  # Redis lost its state
    alice_client.get(reverse("webmail:home"))
    assert folder_counts(inbox.pk) == (5, 1)


def test_nobody_sees_another_persons_accounts_folders_or_mail(client, alice, bob):
    make_inbox(make_account(alice, "alice@example.org"), unread=1, read=0)
    make_inbox(make_account(bob, "bob@example.org"), unread=1, read=0)
    client.force_login(bob)
    page = client.get(reverse("webmail:home")).content.decode()
    assert "bob@example.org" in page
    assert "alice@example.org" not in page
    accounts_page = client.get(reverse("webmail:account_list")).content.decode()
    assert "alice@example.org" not in accounts_page
