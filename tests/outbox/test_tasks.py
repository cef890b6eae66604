"""The outbox through Celery on the real broker and a real worker: the database, not
the queue, remembers what must be sent."""

import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache

from tests.conftest import wait_until
from tests.outbox.conftest import queue, received_ids, reload
from webmail.celery import app
from webmail.outbox import tasks
from webmail.outbox.models import State

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker():
    """This test worker's own delivery queue on the shared Redis."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue_name = settings.CELERY_TASK_DEFAULT_QUEUE
    client.delete(queue_name)
    yield client, queue_name
    client.delete(queue_name)
    client.close()


@pytest.fixture
def worker(broker):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


def flush(broker, account_ids) -> None:
    """Redis loses everything we put there: the queued tasks and the dispatcher's marks."""
    client, queue_name = broker
    client.delete(queue_name)
    for account_id in account_ids:
        cache.delete(tasks.queued_key(account_id))


def test_a_queued_message_is_delivered_by_a_real_worker(sender, smtp, worker):
    message = queue(sender)

    smtp.wait_for(1, timeout=10)

    wait_until(lambda: reload(message).state == State.SENT)
    assert received_ids(smtp) == [message.message_id]


def test_with_an_undo_delay_the_worker_sends_just_after_it_and_not_before(sender, smtp, worker):
    started = time.monotonic()
    message = queue(sender, undo_seconds=5)

    smtp.wait_for(1, timeout=10)

    assert 5 <= time.monotonic() - started < 8
    assert received_ids(smtp) == [message.message_id]


def delivered_by_a_worker(smtp, messages) -> None:
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        smtp.wait_for(len(smtp.messages) + 1, timeout=10)
        wait_until(lambda: all(reload(m).state == State.SENT for m in messages))


def test_redis_flushed_mid_burst_loses_and_doubles_nothing(sender, smtp, broker):
    client, queue_name = broker
    first_half = [queue(sender, f"Message {n}") for n in range(10)]
    delivered_by_a_worker(smtp, first_half)
    second_half = [queue(sender, f"Message {n}") for n in range(10, 20)]
    assert client.llen(queue_name) >= 10  # their tasks (and spent ones), waiting

    flush(broker, [sender.pk])
    assert client.llen(queue_name) == 0
    assert tasks.dispatch_due_outbox() == 1  # beat's next round, from the rows
    delivered_by_a_worker(smtp, second_half)

    ids = received_ids(smtp)
    assert len(ids) == 20
    assert sorted(ids) == sorted(m.message_id for m in first_half + second_half)


def test_the_dispatcher_queues_each_account_with_due_work_once(sender, broker):
    client, queue_name = broker
    queue(sender)
    queue(sender, "Second")
    client.delete(queue_name)

    assert tasks.dispatch_due_outbox() == 1
    assert tasks.dispatch_due_outbox() == 0  # already queued
    assert client.llen(queue_name) == 1


def test_outbox_tasks_go_to_the_delivery_queue_as_json_with_late_acks_and_limits():
    for task in (tasks.deliver_outbox, tasks.dispatch_due_outbox):
        route = app.amqp.router.route({}, task.name)
        assert route["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE
        assert route["queue"].name != settings.CELERY_SYNC_QUEUE
        assert task.acks_late
        assert task.soft_time_limit < task.time_limit
    assert app.conf.task_serializer == "json"
    assert "webmail.outbox.tasks.dispatch_due_outbox" in app.tasks
