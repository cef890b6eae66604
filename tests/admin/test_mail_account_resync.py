"""Sync now and rebuild cache, for real: the admin's action, a Celery worker on the
real broker, and the Dovecot fixture."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from tests.admin.conftest import run_action
from tests.conftest import wait_until
from tests.harness.ports import free_port
from tests.messages import make_message
from webmail.celery import app
from webmail.engine import account_sync
from webmail.mail.errors import MailError
from webmail.mailbox_state import Busy, exclusive
from webmail.models import Folder, MailAccount, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sync_worker():
    with start_worker(
        app, pool="solo", perform_ping_check=False, queues=[settings.CELERY_SYNC_QUEUE]
    ) as worker:
        yield worker


def subjects(account) -> list[str]:
    return sorted(Message.objects.filter(account=account).values_list("subject", flat=True))


def test_sync_now_brings_in_new_mail(staff_client, account, dovecot, mail_user, sync_worker):
    dovecot.deliver(mail_user, make_message(1, "Waiting on the server"))
    run_action(staff_client, "webmail.mailaccount", "sync_now", [account])
    wait_until(lambda: Message.objects.filter(account=account).exists())
    wait_until(lambda: MailAccount.objects.get(pk=account.pk).last_synced_at is not None)
    assert subjects(account) == ["Waiting on the server"]
    assert MailAccount.objects.get(pk=account.pk).status == "ok"


def test_rebuild_cache_reads_everything_again_and_changes_nothing_on_the_server(
    staff_client, account, dovecot, mail_user, other_device, sync_worker
):
    for number in (1, 2, 3):
        dovecot.deliver(mail_user, make_message(number, f"Message {number}"))
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    # A cache gone wrong in ways an ordinary resync would not notice (the folder's
    # HIGHESTMODSEQ and UIDNEXT still match the server's).
    Message.objects.filter(folder=inbox, subject="Message 1").delete()
    Message.objects.filter(folder=inbox, subject="Message 2").update(subject="Garbled")
    first_ids = set(Message.objects.filter(account=account).values_list("pk", flat=True))

    run_action(staff_client, "webmail.mailaccount", "rebuild_cache", [account])

    wait_until(lambda: subjects(account) == ["Message 1", "Message 2", "Message 3"])
    assert not first_ids & set(Message.objects.filter(account=account).values_list("pk", flat=True))
    other_device.select_folder("INBOX", readonly=True)
    assert len(other_device.search("ALL")) == 3
    assert other_device.search("SEEN") == []  # read-only on the server: no flag changed


def test_a_rebuild_against_a_server_that_is_down_keeps_the_cache(account, dovecot, mail_user):
    dovecot.deliver(mail_user, make_message(1, "Kept"))
    account_sync.sync_account(account)
    account.incoming_port = free_port()  # nothing listens there
    account.save()
    with pytest.raises(MailError):
        account_sync.rebuild_account(account)
    assert subjects(account) == ["Kept"]
    assert MailAccount.objects.get(pk=account.pk).status == "error"


def test_a_rebuild_waits_for_a_sync_running_elsewhere(account):
    with exclusive(f"sync-account:{account.pk}"), pytest.raises(Busy):
        account_sync.rebuild_account(account)
