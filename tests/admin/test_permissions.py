"""Who reaches what: people who are not staff reach nothing; staff reach only what
their Django permissions allow, actions included."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from tests.admin.conftest import make_account, run_action, text_of
from tests.admin.test_outbox import in_state, queue
from webmail.models import MailAccount
from webmail.outbox.models import OutboxMessage, State

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:index",
    "admin:accounts_user_changelist",
    "admin:webmail_mailaccount_changelist",
    "admin:webmail_mailaccount_health",
    "admin:outbox_outboxmessage_changelist",
    "admin:admin_logentry_changelist",
]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_a_person_who_is_not_staff_is_sent_to_the_admin_sign_in(alice_client, name):
    response = alice_client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("name", ADMIN_PAGES[1:])
def test_staff_without_permissions_see_nothing(client, make_staff, name):
    client.force_login(make_staff("dora"))
    assert client.get(reverse(name)).status_code == 403


def test_staff_without_permissions_get_an_empty_index(client, make_staff):
    client.force_login(make_staff("dora"))
    page = client.get(reverse("admin:index")).content.decode()
    assert "have permission to view or edit anything" in page
    assert reverse("admin:webmail_mailaccount_health") not in page


def test_viewing_accounts_does_not_allow_acting_on_them(client, alice, make_staff, sync_queue):
    account = make_account(alice, "alice@example.net")
    client.force_login(make_staff("dora", "webmail.view_mailaccount"))
    page = text_of(client.get(reverse("admin:webmail_mailaccount_changelist")))
    assert "alice@example.net" in page and "sync_now" not in page
    assert client.get(reverse("admin:webmail_mailaccount_health")).status_code == 200
    for action in ["sync_now", "disable", "rebuild_cache"]:
        run_action(client, "webmail.mailaccount", action, [account])
    assert sync_queue() == 0 and MailAccount.objects.get().is_active
    assert not LogEntry.objects.exists()


def test_viewing_the_outbox_does_not_allow_retrying(client, alice, make_staff):
    failed = in_state(queue(make_account(alice, "alice@example.net"), "Bounced"), State.FAILED)
    client.force_login(make_staff("dora", "outbox.view_outboxmessage"))
    outbox = client.get(reverse("admin:outbox_outboxmessage_changelist")).content.decode()
    assert "Bounced" in outbox
    run_action(client, "outbox.outboxmessage", "retry_now", [failed])
    assert OutboxMessage.objects.get().state == State.FAILED


def test_the_outbox_actions_need_the_change_permission(client, alice, make_staff):
    failed = in_state(queue(make_account(alice, "alice@example.net"), "Bounced"), State.FAILED)
    staff = make_staff("dora", "outbox.view_outboxmessage", "outbox.change_outboxmessage")
    client.force_login(staff)
    run_action(client, "outbox.outboxmessage", "retry_now", [failed])
    assert OutboxMessage.objects.get().state == State.QUEUED


def test_user_pages_hide_mail_accounts_from_staff_who_may_not_see_them(client, alice, make_staff):
    make_account(alice, "alice@example.net")
    client.force_login(make_staff("dora", "accounts.view_user"))
    page = client.get(reverse("admin:accounts_user_change", args=[alice.pk])).content.decode()
    assert "alice@example.org" in page
    assert "alice@example.net" not in page and "Cached from IMAP" not in page


def test_the_password_hash_is_not_shown_on_a_user_page(staff_client, alice):
    page = staff_client.get(reverse("admin:accounts_user_change", args=[alice.pk]))
    assert alice.password not in page.content.decode()
