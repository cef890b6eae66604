"""Push: a change on the server reaches the index and Redis within 2 seconds."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from tests.harness.faulty_proxy import FaultyProxy
from tests.messages import make_message
from webmail.celery import app
from webmail.engine import account_sync
from webmail.engine.listener import Listener, watched_folders
from webmail.mailbox_state import change_counter, folder_change_counter
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


def test_a_lost_connection_is_reopened_and_push_resumes(account, dovecot, mail_user):
    account_sync.sync_account(account)
    changes = []
    with FaultyProxy(dovecot.imaps_port) as proxy:
        account.incoming_port = proxy.port
        account.save()
        listener = Listener(changes.append, idle_seconds=1)
        listener.refresh()
        watcher = next(iter(listener.watchers.values()))[0]
        try:
            assert watcher.connected.wait(5)
            proxy.drop_connections()
            wait_until(lambda: not watcher.connected.is_set(), 5.0)
            assert watcher.connected.wait(10)  # back after a short backoff
            dovecot.deliver(mail_user, make_message(2, "After the outage"))
            wait_until(lambda: changes, 5.0)
        finally:
            listener.stop()
    assert changes[0].name == "INBOX"


def test_a_sync_that_changes_a_folder_bumps_its_counter_and_the_persons(
    account, dovecot, mail_user
):
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    archive = Folder.objects.get(account=account, name="Archive")
    before = (change_counter(account.user_id), folder_change_counter(inbox.pk))
    archive_before = folder_change_counter(archive.pk)
    dovecot.deliver(mail_user, make_message(3, "Counted"))
    account_sync.sync_account(account)
    assert change_counter(account.user_id) == before[0] + 1
    assert folder_change_counter(inbox.pk) == before[1] + 1
    assert folder_change_counter(archive.pk) == archive_before
