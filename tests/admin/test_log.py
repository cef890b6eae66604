"""The admin log: every change, including the custom actions, readable and read-only."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.urls import reverse

from tests.admin.conftest import make_account, run_action
from tests.admin.test_outbox import in_state, queue
from webmail.outbox.models import State

pytestmark = pytest.mark.django_db

LOG = reverse("admin:admin_logentry_changelist")


def test_sync_now_disable_and_retry_now_appear_in_the_log(staff_client, alice, sync_queue):
    account = make_account(alice, "alice@example.net")
    failed = in_state(queue(account, "Bounced"), State.FAILED)
    run_action(staff_client, "webmail.mailaccount", "sync_now", [account])
    run_action(staff_client, "webmail.mailaccount", "disable", [account])
    run_action(staff_client, "outbox.outboxmessage", "retry_now", [failed])
    page = staff_client.get(LOG).content.decode()
    for text in ["Sync now", "Disabled", "Retry now", "alice@example.net", "Bounced"]:
        assert text in page
    assert set(LogEntry.objects.values_list("action_flag", flat=True)) == {CHANGE}


def test_an_ordinary_change_is_logged_with_its_fields(staff_client, alice):
    from tests.admin.test_mail_accounts import change_form

    account = make_account(alice, "alice@example.net")
    staff_client.post(
        reverse("admin:webmail_mailaccount_change", args=[account.pk]),
        change_form(account, sync_interval=900),
    )
    assert "Changed Check for mail every (seconds)." in staff_client.get(LOG).content.decode()


def test_the_log_cannot_be_edited_or_deleted(staff_client, alice):
    account = make_account(alice, "alice@example.net")
    run_action(staff_client, "webmail.mailaccount", "disable", [account])
    entry = LogEntry.objects.get()
    change = reverse("admin:admin_logentry_change", args=[entry.pk])
    staff_client.post(change, {"change_message": "Nothing happened"})
    delete = reverse("admin:admin_logentry_delete", args=[entry.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert LogEntry.objects.get().change_message == "Disabled"
    assert staff_client.get(reverse("admin:admin_logentry_add")).status_code == 403


def test_staff_see_only_the_log_of_what_they_may_see(client, staff_client, alice, make_staff):
    account = make_account(alice, "alice@example.net")
    failed = in_state(queue(account, "Bounced"), State.FAILED)
    run_action(staff_client, "webmail.mailaccount", "disable", [account])
    run_action(staff_client, "outbox.outboxmessage", "retry_now", [failed])
    dora = make_staff("dora", "admin.view_logentry", "outbox.view_outboxmessage")
    client.force_login(dora)
    page = client.get(LOG).content.decode()
    assert "Bounced" in page
    assert "alice@example.net" not in page


def test_a_replaced_password_is_logged_without_the_password(staff_client, alice):
    from tests.admin.test_mail_accounts import change_form

    account = make_account(alice, "alice@example.net")
    staff_client.post(
        reverse("admin:webmail_mailaccount_change", args=[account.pk]),
        change_form(account, new_incoming_password="hunter2 but longer"),
    )
    entry = LogEntry.objects.get()
    assert "New incoming password" in entry.get_change_message()
    assert "hunter2" not in entry.change_message
