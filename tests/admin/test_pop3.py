"""POP3 options and accounts in the admin."""

import pytest
from django.urls import reverse

from tests.admin.conftest import make_account, run_action, shown_messages
from webmail.models import Folder
from webmail.pop3.models import Pop3Options

pytestmark = pytest.mark.django_db


def test_sync_now_queues_a_pop3_download(staff_client, alice, sync_queue):
    account = make_account(alice, "pop@example.net", protocol="pop3")
    response = run_action(staff_client, "webmail.mailaccount", "sync_now", [account])
    assert "1 account queued." in shown_messages(response)
    assert sync_queue() == 1


def test_new_mail_cannot_be_sent_to_another_accounts_folder(staff_client, alice, bob):
    account = make_account(alice, "pop@example.net", protocol="pop3")
    options = Pop3Options.objects.create(account=account)
    strangers = Folder.objects.create(account=make_account(bob, "bob@example.net"), name="INBOX")
    response = staff_client.post(
        reverse("admin:pop3_pop3options_change", args=[options.pk]),
        {"target_folder": strangers.pk, "delete_after_days": ""},
    )
    assert "Choose a folder of this account." in response.content.decode()
    options.refresh_from_db()
    assert options.target_folder is None
