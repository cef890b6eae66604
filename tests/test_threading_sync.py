"""Conversations built by the sync against the real Dovecot, across folders."""

import pytest

from tests.messages import make_message
from tests.pop3.conftest import make_pop3_account
from webmail.engine import account_sync
from webmail.engine.threads import thread_pending
from webmail.models import Folder, Message, ThreadLink
from webmail.pop3 import engine as pop3_engine

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def raw_storage(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def thread_of(message_id: str) -> int:
    threads = set(Message.objects.filter(message_id=message_id).values_list("thread_id", flat=True))
    assert len(threads) == 1 and None not in threads, threads
    return threads.pop()


def test_a_reply_saved_in_sent_joins_the_inbox_conversation(account, dovecot, mail_user):
    dovecot.deliver(mail_user, make_message(1, "Lunch?"))
    dovecot.deliver(mail_user, make_message(2, "Unrelated"))
    account_sync.sync_account(account)
    reply = make_message(
        3, "Re: Lunch?", In_Reply_To="<m1@example.org>", References="<m1@example.org>"
    )
    dovecot.deliver(mail_user, reply, folder="Sent")
    account_sync.sync_account(account)

    assert thread_of("<m3@example.org>") == thread_of("<m1@example.org>")
    assert thread_of("<m2@example.org>") != thread_of("<m1@example.org>")
    sent = Message.objects.get(message_id="<m3@example.org>")
    assert sent.folder.special_use == "sent"


def test_a_late_parent_merges_two_conversations(account, dovecot, mail_user):
    # Two replies to a message we do not have yet, each naming only its own parent.
    dovecot.deliver(mail_user, make_message(2, "Re: Plan", References="<m1@example.org>"))
    dovecot.deliver(
        mail_user, make_message(4, "Re: Plan", References="<m0@example.org> <m3@example.org>")
    )
    account_sync.sync_account(account)
    assert thread_of("<m2@example.org>") != thread_of("<m4@example.org>")

    # The message that links them arrives late (a slow server, or found in Archive).
    dovecot.deliver(
        mail_user, make_message(3, "Re: Plan", References="<m1@example.org>"), folder="Archive"
    )
    account_sync.sync_account(account)

    kept = thread_of("<m2@example.org>")
    assert thread_of("<m3@example.org>") == kept == thread_of("<m4@example.org>")
    assert set(ThreadLink.objects.filter(account=account).values_list("thread_id", flat=True)) == {
        kept
    }


def test_a_moved_message_rejoins_its_conversation(account, dovecot, mail_user, other_device):
    uids = dovecot.deliver_many(
        mail_user, [make_message(1), make_message(2, "Re", In_Reply_To="<m1@example.org>")]
    )
    account_sync.sync_account(account)
    before = thread_of("<m1@example.org>")
    other_device.select_folder("INBOX")
    other_device.move(uids[1], "Archive")
    account_sync.sync_account(account)
    assert Message.objects.get(message_id="<m2@example.org>").folder.name == "Archive"
    assert thread_of("<m2@example.org>") == before


def test_rows_written_without_threading_are_threaded_by_the_next_pass(account, dovecot, mail_user):
    dovecot.deliver_many(
        mail_user, [make_message(1), make_message(2, In_Reply_To="<m1@example.org>")]
    )
    account_sync.sync_account(account)
    Message.objects.update(thread_id=None)  # as if the pass had been interrupted
    ThreadLink.objects.all().delete()
    inbox = Folder.objects.get(account=account, name="INBOX")
    assert thread_pending(inbox) == 2
    assert thread_pending(inbox) == 0
    assert thread_of("<m1@example.org>") == thread_of("<m2@example.org>")


def test_accounts_never_share_a_conversation(account, dovecot, mail_user, bob, mail_ca):
    dovecot.deliver(mail_user, make_message(1))
    account_sync.sync_account(account)
    other_user = dovecot.add_user()
    dovecot.deliver(other_user, make_message(2, In_Reply_To="<m1@example.org>"))
    bobs = make_pop3_account(bob, other_user, dovecot.pop3s_port)
    pop3_engine.fetch_account(bobs)

    alices_thread = Message.objects.get(account=account).thread_id
    bobs_thread = Message.objects.get(account=bobs).thread_id
    assert bobs_thread is not None and bobs_thread != alices_thread


def test_pop3_downloads_are_threaded(alice, dovecot, mail_ca):
    pop3_user = dovecot.add_user()
    pop3 = make_pop3_account(alice, pop3_user, dovecot.pop3s_port)
    dovecot.deliver(pop3_user, make_message(1))
    dovecot.deliver(pop3_user, make_message(2, "Re", References="<m1@example.org>"))
    pop3_engine.fetch_account(pop3)
    assert thread_of("<m1@example.org>") == thread_of("<m2@example.org>")
