"""Beat's POP3 dispatcher, the tasks' declared retries, and a fetch through the task."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from tests.messages import make_message
from tests.pop3.conftest import stored_message_ids
from webmail.mail.errors import ConnectError, TemporaryError
from webmail.models import AccountStatus, MailAccount, Message
from webmail.models.messages import BodyState
from webmail.pop3 import tasks
from webmail.pop3.models import Pop3Options


@pytest.fixture
def queued(settings):
    """How many tasks wait in this worker's Celery queues (wherever they are routed)."""
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queues = [settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_SYNC_QUEUE]
    broker.delete(*queues)
    yield lambda: sum(broker.llen(queue) for queue in queues)
    broker.delete(*queues)


def make_account(user, email, protocol="pop3", **fields) -> MailAccount:
    return MailAccount.objects.create(
        user=user, email=email, protocol=protocol, incoming_host="pop.example.org",
        incoming_port=995, incoming_security="tls", incoming_username=email,
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls", **fields,
    )  # fmt: skip


@pytest.mark.django_db
def test_accounts_are_due_once_their_interval_has_passed_since_the_last_attempt(alice):
    now = timezone.now()
    never = make_account(alice, "a@example.org")
    stale = make_account(alice, "b@example.org")
    Pop3Options.objects.create(account=stale, last_attempt_at=now - timedelta(seconds=301))
    recent = make_account(alice, "c@example.org")
    Pop3Options.objects.create(account=recent, last_attempt_at=now - timedelta(seconds=10))
    busy = make_account(alice, "d@example.org")
    Pop3Options.objects.create(account=busy, retry_after=now + timedelta(minutes=3))
    make_account(alice, "e@example.org", status=AccountStatus.AUTH_FAILED)
    make_account(alice, "f@example.org", is_active=False)
    make_account(alice, "g@example.org", protocol="imap")

    assert sorted(tasks.pop3_accounts_due(now)) == sorted([never.pk, stale.pk])


@pytest.mark.django_db
def test_the_dispatcher_queues_each_due_account_only_once(alice, queued):
    make_account(alice, "a@example.org")

    assert tasks.dispatch_due_pop3_fetches() == 1
    assert tasks.dispatch_due_pop3_fetches() == 0  # still queued: not queued twice
    assert queued() == 1


def test_busy_and_unreachable_servers_are_retried_later_and_not_in_a_storm():
    task = tasks.fetch_pop3_account

    assert set(task.autoretry_for) == {ConnectError, TemporaryError}
    assert task.retry_backoff >= 300 and task.retry_jitter is False
    assert task.max_retries <= 5 and task.time_limit


@pytest.mark.django_db(transaction=True)
def test_the_task_fetches_the_account_and_queues_its_indexing(
    pop3_account, dovecot, pop3_user, queued
):
    dovecot.deliver_many(pop3_user, [make_message(1), make_message(2)])

    tasks.fetch_pop3_account(pop3_account.pk)
    tasks.index_pop3_bodies(pop3_account.pk)

    assert stored_message_ids(pop3_account) == ["<m1@example.org>", "<m2@example.org>"]
    assert queued() == 1  # index_pop3_bodies, queued by the fetch
    states = Message.objects.filter(account=pop3_account).values_list("body_state", flat=True)
    assert list(states) == [BodyState.INDEXED, BodyState.INDEXED]
