"""The POP3 download engine against Dovecot's real POP3: what is stored here, what is
left or deleted there."""

import os
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.utils import timezone

from tests.messages import make_message
from tests.pop3.conftest import (
    make_pop3_account,
    scripted_account,
    stored_message_ids,
    waiting_on_server,
)
from tests.pop3.scripted_server import Maildrop, ScriptedPOP3
from webmail.mail.errors import TemporaryError
from webmail.mailbox_state import exclusive
from webmail.models import AccountStatus, Folder, MailAccount, Message, SpecialUse
from webmail.models.messages import BodyState
from webmail.pop3 import bulk_copy, engine
from webmail.pop3.models import DownloadedMessage, Pop3Options
from webmail.raw_store import raw_path, read_raw

pytestmark = pytest.mark.django_db(transaction=True)


def deliver(dovecot, user, numbers) -> list[str]:
    dovecot.deliver_many(user, [make_message(n) for n in numbers])
    return sorted(f"<m{n}@example.org>" for n in numbers)


def set_options(account, **options) -> None:
    Pop3Options.objects.update_or_create(account=account, defaults=options)


@pytest.mark.parametrize(
    ("security", "port"), [("tls", "pop3s"), ("starttls", "pop3"), ("plain", "pop3")]
)
def test_it_downloads_with_every_security_mode(alice, dovecot, pop3_user, mail_ca, security, port):
    account = make_pop3_account(alice, pop3_user, getattr(dovecot, f"{port}_port"), security)
    expected = deliver(dovecot, pop3_user, range(3))

    result = engine.fetch_account(account)

    assert (result.downloaded, result.deleted) == (3, 3)
    assert stored_message_ids(account) == expected
    assert MailAccount.objects.get(pk=account.pk).status == AccountStatus.OK


def test_by_default_messages_are_deleted_on_the_server_once_stored(
    pop3_account, dovecot, pop3_user
):
    expected = deliver(dovecot, pop3_user, range(4))

    engine.fetch_account(pop3_account)

    assert waiting_on_server(pop3_account) == 0
    assert stored_message_ids(pop3_account) == expected
    assert DownloadedMessage.objects.filter(deleted_on_server_at__isnull=False).count() == 4


def test_downloaded_messages_are_indexed_like_imap_mail(pop3_account, dovecot, pop3_user):
    deliver(dovecot, pop3_user, [7])

    engine.fetch_account(pop3_account)
    message = Message.objects.get(account=pop3_account)

    assert message.folder.special_use == SpecialUse.INBOX
    assert message.subject == "Message numéro 7"
    assert (message.from_name, message.from_email) == ("Émilie Sender 7", "sender7@example.org")
    assert message.to == [["", "alice@courriel.test"]]
    assert message.preview == "Body of message 7."
    assert read_raw(message.raw_sha256).replace(b"\r\n", b"\n") == make_message(7)
    assert message.size == len(read_raw(message.raw_sha256))
    assert message.body_state == BodyState.PENDING

    assert engine.index_local_bodies(pop3_account, limit=10) == 0
    message.refresh_from_db()
    assert (message.body_state, message.body_text) == (BodyState.INDEXED, "Body of message 7.")


def test_a_message_whose_stored_copy_is_gone_is_marked_and_the_others_indexed(
    pop3_account, dovecot, pop3_user
):
    deliver(dovecot, pop3_user, [1, 2])
    engine.fetch_account(pop3_account)
    lost, kept = Message.objects.filter(account=pop3_account).order_by("uid")
    os.remove(default_storage.path(raw_path(lost.raw_sha256)))

    assert engine.index_local_bodies(pop3_account, limit=10) == 0

    lost.refresh_from_db()
    kept.refresh_from_db()
    assert (lost.body_state, lost.body_text) == (BodyState.FAILED, "")
    assert (kept.body_state, kept.body_text) == (BodyState.INDEXED, "Body of message 2.")


def test_the_local_folders_are_created_once(pop3_account, dovecot, pop3_user):
    engine.fetch_account(pop3_account)
    engine.fetch_account(pop3_account)

    folders = Folder.objects.filter(account=pop3_account)
    assert sorted(folders.values_list("special_use", flat=True)) == sorted(
        ["inbox", "sent", "drafts", "archive", "junk", "trash"]
    )


def test_local_uids_keep_increasing(pop3_account, dovecot, pop3_user):
    deliver(dovecot, pop3_user, range(3))
    engine.fetch_account(pop3_account)
    Message.objects.filter(account=pop3_account, uid=3).delete()
    deliver(dovecot, pop3_user, [3])
    engine.fetch_account(pop3_account)

    assert sorted(Message.objects.values_list("uid", flat=True)) == [1, 2, 4]


def test_with_a_copy_left_on_the_server_a_second_run_downloads_nothing(
    pop3_account, dovecot, pop3_user
):
    set_options(pop3_account, leave_on_server=True)
    expected = deliver(dovecot, pop3_user, range(3))

    first = engine.fetch_account(pop3_account)
    second = engine.fetch_account(pop3_account)

    assert (first.downloaded, first.deleted) == (3, 0)
    assert (second.downloaded, second.deleted) == (0, 0)
    assert stored_message_ids(pop3_account) == expected
    assert waiting_on_server(pop3_account) == 3


def test_new_mail_goes_to_the_chosen_folder(pop3_account, dovecot, pop3_user):
    folders = engine.local.ensure_local_folders(pop3_account)
    set_options(pop3_account, target_folder=folders[SpecialUse.ARCHIVE])
    deliver(dovecot, pop3_user, [1])

    engine.fetch_account(pop3_account)

    assert Message.objects.get(account=pop3_account).folder == folders[SpecialUse.ARCHIVE]


def test_messages_are_deleted_on_the_server_after_n_days(pop3_account, dovecot, pop3_user):
    set_options(pop3_account, leave_on_server=True, delete_after_days=3)
    deliver(dovecot, pop3_user, range(2))
    engine.fetch_account(pop3_account)
    deliver(dovecot, pop3_user, [2])

    with time_machine.travel(timezone.now() + timedelta(days=2, hours=23), tick=True):
        engine.fetch_account(pop3_account)
    assert waiting_on_server(pop3_account) == 3

    with time_machine.travel(timezone.now() + timedelta(days=3, hours=1), tick=True):
        result = engine.fetch_account(pop3_account)
    assert result.deleted == 2  # the third was downloaded only 2 hours "ago"
    assert waiting_on_server(pop3_account) == 1
    assert len(stored_message_ids(pop3_account)) == 3


def test_a_message_deleted_here_is_deleted_on_the_server(pop3_account, dovecot, pop3_user):
    set_options(pop3_account, leave_on_server=True, delete_when_deleted_here=True)
    deliver(dovecot, pop3_user, range(3))
    engine.fetch_account(pop3_account)

    Message.objects.get(account=pop3_account, message_id="<m1@example.org>").delete()
    result = engine.fetch_account(pop3_account)

    assert (result.downloaded, result.deleted) == (0, 1)
    assert waiting_on_server(pop3_account) == 2
    assert stored_message_ids(pop3_account) == ["<m0@example.org>", "<m2@example.org>"]


def test_without_that_option_a_message_deleted_here_stays_there(pop3_account, dovecot, pop3_user):
    set_options(pop3_account, leave_on_server=True)
    deliver(dovecot, pop3_user, range(2))
    engine.fetch_account(pop3_account)

    Message.objects.filter(account=pop3_account).delete()
    result = engine.fetch_account(pop3_account)

    assert (result.downloaded, result.deleted) == (0, 0)
    assert waiting_on_server(pop3_account) == 2


def test_the_same_bytes_under_a_new_unique_id_are_not_stored_twice(
    pop3_account, dovecot, pop3_user
):
    set_options(pop3_account, leave_on_server=True)
    deliver(dovecot, pop3_user, [1])
    engine.fetch_account(pop3_account)
    dovecot.deliver(pop3_user, make_message(1))  # byte for byte the same message

    result = engine.fetch_account(pop3_account)

    assert (result.downloaded, result.duplicates) == (0, 1)
    assert Message.objects.filter(account=pop3_account).count() == 1
    assert DownloadedMessage.objects.filter(account=pop3_account).count() == 2


def test_the_storage_limit_stops_downloading_with_a_clear_status(
    pop3_account, dovecot, pop3_user, settings
):
    settings.POP3_STORAGE_LIMIT_BYTES = 2 * len(make_message(1)) + 100
    deliver(dovecot, pop3_user, range(1, 6))

    result = engine.fetch_account(pop3_account)

    assert (result.downloaded, result.over_limit) == (2, 3)
    assert waiting_on_server(pop3_account) == 3  # what did not fit stays there
    account = MailAccount.objects.get(pk=pop3_account.pk)
    assert (account.status, account.last_error) == (AccountStatus.ERROR, engine.STORAGE_FULL)
    assert engine.local.storage_used(account.user) <= settings.POP3_STORAGE_LIMIT_BYTES


def test_a_refused_password_marks_the_account_and_stops(pop3_account, dovecot, pop3_user):
    pop3_account.set_incoming_password("not the password")
    pop3_account.save()
    deliver(dovecot, pop3_user, [1])

    assert engine.fetch_account(pop3_account) is None
    account = MailAccount.objects.get(pk=pop3_account.pk)
    assert account.status == AccountStatus.AUTH_FAILED
    assert engine.fetch_account(account) is None  # no more attempts until fixed


@pytest.mark.parametrize("reply", [b"-ERR [IN-USE] Mailbox locked", b"-ERR [LOGIN-DELAY] Wait"])
def test_a_busy_server_is_a_temporary_error_and_left_alone_for_a_while(alice, reply):
    with ScriptedPOP3(Maildrop(messages=[make_message(1)], pass_reply=reply)) as server:
        account = scripted_account(alice, server)
        with pytest.raises(TemporaryError):
            engine.fetch_account(account)

    account.refresh_from_db()
    assert (account.status, account.last_error) == (AccountStatus.ERROR, "temporary")
    assert Pop3Options.objects.get(account=account).retry_after > timezone.now()


def test_a_server_without_uidl_is_deduplicated_by_header_digest(alice):
    drop = Maildrop(messages=[make_message(1), make_message(2)])
    with ScriptedPOP3(drop) as server:
        account = scripted_account(alice, server)
        set_options(account, leave_on_server=True)
        engine.fetch_account(account)
        drop.messages.append(make_message(3))
        second = engine.fetch_account(account)

    assert second.downloaded == 1
    assert stored_message_ids(account) == [
        "<m1@example.org>",
        "<m2@example.org>",
        "<m3@example.org>",
    ]


def test_a_fetch_already_running_elsewhere_makes_this_one_a_no_op(pop3_account, dovecot, pop3_user):
    deliver(dovecot, pop3_user, [1])

    with exclusive(f"pop3-fetch:{pop3_account.pk}"):
        assert engine.fetch_account(pop3_account) is None

    assert waiting_on_server(pop3_account) == 1


def test_an_imap_account_is_not_fetched_over_pop3(account):
    assert engine.fetch_account(account) is None


def test_without_postgresql_rows_go_through_the_orm(pop3_account, dovecot, pop3_user, monkeypatch):
    monkeypatch.setattr(bulk_copy, "available", lambda: False)  # as on SQLite
    expected = deliver(dovecot, pop3_user, range(3))

    result = engine.fetch_account(pop3_account)

    assert (result.downloaded, result.deleted) == (3, 3)
    assert stored_message_ids(pop3_account) == expected
    assert DownloadedMessage.objects.filter(message__isnull=False).count() == 3


@pytest.mark.django_db(transaction=False)
def test_inside_a_transaction_rows_are_committed_by_the_calling_thread(
    pop3_account, dovecot, pop3_user
):
    # pytest-django's plain ``django_db`` runs the test in a transaction: a committer
    # thread with its own connection would wait for it forever.
    expected = deliver(dovecot, pop3_user, range(2))

    engine.fetch_account(pop3_account)

    assert stored_message_ids(pop3_account) == expected
