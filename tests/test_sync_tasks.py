"""Beat's dispatcher queues each due account once, and skips refused passwords."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from webmail import tasks
from webmail.models import AccountStatus, MailAccount

pytestmark = pytest.mark.django_db


@pytest.fixture
def sync_queue(settings):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(settings.CELERY_SYNC_QUEUE)
    yield lambda: broker.llen(settings.CELERY_SYNC_QUEUE)
    broker.delete(settings.CELERY_SYNC_QUEUE)


def make_account(user, email, **fields):
    return MailAccount.objects.create(
        user=user, email=email, incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username=email, smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls", **fields,
    )  # fmt: skip


def test_accounts_are_due_once_their_interval_has_passed(alice):
    now = timezone.now()
    never = make_account(alice, "a@example.org")
    stale = make_account(alice, "b@example.org", last_synced_at=now - timedelta(seconds=301))
    make_account(alice, "c@example.org", last_synced_at=now - timedelta(seconds=10))
    make_account(alice, "d@example.org", status=AccountStatus.AUTH_FAILED)
    make_account(alice, "e@example.org", is_active=False)
    make_account(alice, "f@example.org", protocol="pop3")
    assert sorted(tasks.accounts_due(now)) == sorted([never.pk, stale.pk])


def test_a_deactivated_persons_accounts_are_left_alone(alice, bob):
    from webmail.engine.listener import watched_folders
    from webmail.models import Folder
    from webmail.pop3.tasks import pop3_accounts_due

    imap = make_account(alice, "a@example.org")
    make_account(alice, "p@example.org", protocol="pop3")
    Folder.objects.create(account=imap, name="INBOX", special_use="inbox", watch=True)
    alice.is_active = False
    alice.save()
    make_account(bob, "b@example.org")
    assert [a.user for a in MailAccount.objects.filter(pk__in=tasks.accounts_due())] == [bob]
    assert pop3_accounts_due() == []
    assert watched_folders() == []


def test_the_dispatcher_queues_each_due_account_only_once(alice, sync_queue):
    make_account(alice, "a@example.org")
    assert tasks.dispatch_due_syncs() == 1
    assert tasks.dispatch_due_syncs() == 0  # still queued: not queued twice
    assert sync_queue() == 1


def test_sync_tasks_go_to_the_sync_queue(settings):
    route = settings.CELERY_TASK_ROUTES["webmail.tasks.sync_*"]
    assert route["queue"] == settings.CELERY_SYNC_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
