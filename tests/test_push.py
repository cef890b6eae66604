"""Push: a change on the server reaches the index and Redis within 2 seconds."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from tests.messages import make_message
from webmail.celery import app
from webmail.engine import account_sync
from webmail.engine.listener import Listener, watched_folders
from webmail.mailbox_state import change_counter
from webmail.management.commands.listen_for_mail import queue_folder_sync
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sync_worker():
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=[settings.CELERY_SYNC_QUEUE]
    ) as worker:
        yield worker


def wait_until(condition, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"not within {seconds} s")


def test_new_mail_is_indexed_within_two_seconds(account, dovecot, mail_user, sync_worker):
    account_sync.sync_account(account)
    listener = Listener(queue_folder_sync, idle_seconds=1)
    listener.refresh()
    try:
        inbox_watcher = next(iter(listener.watchers.values()))[0]
        assert inbox_watcher.connected.wait(5)
        before = change_counter(account.user_id)
        dovecot.deliver(mail_user, make_message(1, "Pushed"))
        wait_until(lambda: change_counter(account.user_id) > before, 2.0)
    finally:
        listener.stop()
    assert Message.objects.filter(subject="Pushed").exists()


def test_only_watched_folders_of_working_accounts_are_listened_to(account):
    account_sync.sync_account(account)
    assert [folder.name for folder in watched_folders()] == ["INBOX"]
    account.status = "auth_failed"
    account.save()
    assert watched_folders() == []


def test_listeners_split_accounts_between_them(account):
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    shards = [watched_folders(shard, 2) for shard in range(2)]
    assert [inbox] in shards and [] in shards
