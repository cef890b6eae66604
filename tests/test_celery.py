"""Celery on the real broker: a real worker answers, and tasks wait for the commit."""

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from webmail.celery import app
from webmail.tasks import HEARTBEAT_CACHE_KEY, health_check, heartbeat


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client.delete(queue)
    yield client, queue
    client.delete(queue)


@pytest.fixture
def celery_worker():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
        yield worker


def test_a_real_worker_answers_the_health_task(celery_worker):
    result = health_check.delay().get(timeout=20)
    assert result["status"] == "ok"


def test_tasks_are_serialized_as_json_only():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]


@pytest.mark.django_db(transaction=True)
def test_a_task_is_queued_only_once_the_transaction_commits(broker):
    client, queue = broker
    with transaction.atomic():
        health_check.delay_on_commit()
        assert client.llen(queue) == 0
    assert client.llen(queue) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_queues_nothing(broker):
    client, queue = broker

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        health_check.delay_on_commit()
        raise Abort
    assert client.llen(queue) == 0


def test_every_scheduled_task_exists():
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks


def test_the_heartbeat_records_when_beat_last_ran():
    heartbeat()
    assert cache.get(HEARTBEAT_CACHE_KEY)


def test_every_task_has_consistent_time_limits():
    for name, task in app.tasks.items():
        if not name.startswith("webmail"):
            continue
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft is None or hard is None or soft <= hard, name
