"""The IMAP sync engine against the real Dovecot: the index must equal the server."""

import random
import threading
from dataclasses import replace

import pytest
from django.db import connection
from imapclient import IMAPClient

from tests.harness.faulty_proxy import FaultyProxy
from tests.messages import make_message
from webmail import tasks
from webmail.engine import account_sync
from webmail.engine.imap_sync import sync_folder, sync_folder_list
from webmail.mail import imap
from webmail.mail.errors import MailError
from webmail.mail.imap import open_imap
from webmail.models import AccountStatus, Folder, MailAccount, Message

pytestmark = pytest.mark.django_db(transaction=True)


def server_state(client: IMAPClient, folder: str) -> dict[int, frozenset]:
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    if not uids:
        return {}
    fetched = client.fetch(uids, ["FLAGS"])
    return {uid: frozenset(f.decode() for f in data[b"FLAGS"]) for uid, data in fetched.items()}


def index_state(account: MailAccount, folder: str) -> dict[int, frozenset]:
    rows = Message.objects.filter(folder__account=account, folder__name=folder)
    return {
        row.uid: frozenset(
            flag for flag, on in [("\\Seen", row.is_seen), ("\\Flagged", row.is_flagged)] if on
        )
        | frozenset(row.keywords)
        | frozenset(["\\Answered"] if row.is_answered else [])
        for row in rows
    }


def comparable(state: dict[int, frozenset]) -> dict[int, frozenset]:
    return {uid: flags - {"\\Recent"} for uid, flags in state.items()}


def test_the_first_sync_indexes_folders_and_messages(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(3)])
    account_sync.sync_account(account)

    folders = {f.name: f.special_use for f in Folder.objects.filter(account=account)}
    assert folders["INBOX"] == "inbox" and folders["Sent"] == "sent" and folders["Trash"] == "trash"
    newest = Message.objects.filter(folder__name="INBOX").order_by("-uid").first()
    assert newest.subject == "Message numéro 2"
    assert (newest.from_name, newest.from_email) == ("Émilie Sender 2", "sender2@example.org")
    assert MailAccount.objects.get(pk=account.pk).status == AccountStatus.OK


def test_a_second_sync_without_changes_changes_nothing(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(5)])
    account_sync.sync_account(account)
    folder = Folder.objects.get(account=account, name="INBOX")
    with open_imap(account.incoming_settings()) as session:
        result = sync_folder(folder, session)
    assert not result.changed
    assert Message.objects.filter(folder=folder).count() == 5


def test_changes_made_on_another_device_reach_the_index(account, dovecot, mail_user, other_device):
    uids = dovecot.deliver_many(mail_user, [make_message(n) for n in range(6)])
    account_sync.sync_account(account)

    other_device.select_folder("INBOX")
    other_device.add_flags(uids[0], ["\\Flagged", "\\Seen"])
    other_device.move(uids[1], "Archive")
    other_device.delete_messages(uids[2])
    other_device.expunge()
    dovecot.deliver(mail_user, make_message(99, "Arrived later"))
    other_device.create_folder("Réunions été")
    account_sync.sync_account(account)

    assert comparable(index_state(account, "INBOX")) == comparable(
        server_state(other_device, "INBOX")
    )
    assert Message.objects.filter(folder__name="Archive", subject="Message numéro 1").exists()
    assert Message.objects.filter(subject="Arrived later").exists()
    assert Folder.objects.filter(account=account, name="Réunions été").exists()


def test_a_new_uidvalidity_rebuilds_that_folder(account, dovecot, mail_user, other_device):
    other_device.create_folder("Projects")
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(3)], folder="Projects")
    account_sync.sync_account(account)
    old_epoch = Folder.objects.get(account=account, name="Projects").uidvalidity

    other_device.delete_folder("Projects")
    other_device.create_folder("Projects")
    dovecot.deliver(mail_user, make_message(7, "New epoch"), folder="Projects")
    account_sync.sync_account(account)

    folder = Folder.objects.get(account=account, name="Projects")
    assert folder.uidvalidity != old_epoch
    assert list(folder.messages.values_list("subject", flat=True)) == ["New epoch"]


def test_a_folder_renamed_elsewhere_keeps_its_index(account, dovecot, mail_user, other_device):
    other_device.create_folder("Projets")
    other_device.create_folder("Projets.Été")
    other_device.create_folder("Old")
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(3)], folder="Projets")
    dovecot.deliver(mail_user, make_message(5, "Child"), folder="Projets.Été")
    account_sync.sync_account(account)
    before = {f.name: f.pk for f in Folder.objects.filter(account=account)}
    rows = set(Message.objects.filter(folder_id=before["Projets"]).values_list("pk", "uid"))
    Folder.objects.filter(pk=before["Projets"]).update(watch=True)

    other_device.rename_folder("Projets", "Travail")  # the child moves with it
    other_device.delete_folder("Old")
    dovecot.deliver(mail_user, make_message(8, "After the rename"), folder="Travail")
    account_sync.sync_account(account)

    after = {f.name: f for f in Folder.objects.filter(account=account)}
    assert "Projets" not in after and "Old" not in after
    assert after["Travail"].pk == before["Projets"] and after["Travail"].watch
    assert after["Travail.Été"].pk == before["Projets.Été"]
    kept = set(Message.objects.filter(folder=after["Travail"]).values_list("pk", "uid"))
    assert rows < kept  # the same rows, not downloaded again, and the new message
    assert Message.objects.filter(folder=after["Travail"], subject="After the rename").exists()
    assert Message.objects.filter(folder=after["Travail.Été"], subject="Child").exists()


def test_without_server_previews_the_first_text_part_gives_them(
    account, dovecot, mail_user, monkeypatch
):
    # Most servers (Gmail, Outlook) lack RFC 8970 PREVIEW: this session is told so.
    def log_in_without_preview(client, settings):
        return real_log_in(client, settings) - {"PREVIEW"}

    real_log_in = imap.log_in
    monkeypatch.setattr(imap, "log_in", log_in_without_preview)
    html_only = (
        b"From: a@example.org\r\nSubject: Newsletter\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n<p>Bonjour  <b>\xc3\xa0</b> tous</p>\r\n"
    )
    dovecot.deliver_many(mail_user, [make_message(1), html_only])
    account_sync.sync_account(account)

    previews = dict(Message.objects.filter(folder__name="INBOX").values_list("subject", "preview"))
    assert previews == {"Message numéro 1": "Body of message 1.", "Newsletter": "Bonjour à tous"}


def test_sync_never_changes_the_server(account, dovecot, mail_user, other_device):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(4)])
    before = server_state(other_device, "INBOX")
    account_sync.sync_account(account)
    Message.objects.all().delete()  # the index is lost…
    Folder.objects.update(complete=False, highestmodseq=None, uidnext=None)
    account_sync.sync_account(account)  # …and rebuilt, deleting nothing on the server
    assert comparable(server_state(other_device, "INBOX")) == comparable(before)
    assert Message.objects.filter(folder__name="INBOX").count() == 4


def test_a_refused_password_marks_the_account_and_stops_retries(account):
    account.set_incoming_password("not the password")
    account.save()
    account_sync.sync_account(account)
    account.refresh_from_db()
    assert account.status == AccountStatus.AUTH_FAILED
    assert not account.can_sync


def run_twice_at_once(work) -> list[Exception]:
    """Run ``work`` in two threads at the same time; returns what they raised."""
    errors = []

    def run():
        try:
            work()
        except Exception as error:  # reported by the caller's assertion
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_two_concurrent_syncs_of_one_account_leave_no_duplicates(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(300)])
    errors = run_twice_at_once(
        lambda: account_sync.sync_account(MailAccount.objects.get(pk=account.pk))
    )
    account_sync.sync_account(account)
    assert errors == []
    assert Message.objects.filter(folder__name="INBOX").count() == 300


def test_syncs_cut_at_random_points_always_converge(account, dovecot, mail_user, other_device):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(1500)])
    folder_infos = None
    rng = random.Random(20261128)
    cuts = 0
    with FaultyProxy(dovecot.imaps_port) as proxy:
        cut = replace(account.incoming_settings(), port=proxy.port, timeout=5)
        for _attempt in range(12):
            proxy.cut_after = rng.randint(200, 400_000)
            try:
                with open_imap(cut) as session:
                    folder_infos = folder_infos or sync_folder_list(account, session)
                    inbox = Folder.objects.get(account=account, name="INBOX")
                    sync_folder(inbox, session)
            except MailError:
                cuts += 1
            if rng.random() < 0.3:  # the world moves on between attempts
                other_device.select_folder("INBOX")
                uid = rng.choice(other_device.search("ALL"))
                other_device.add_flags(uid, ["\\Flagged"])
    account_sync.sync_account(account)
    assert cuts >= 6  # most attempts really were cut mid-sync
    assert comparable(index_state(account, "INBOX")) == comparable(
        server_state(other_device, "INBOX")
    )


def test_syncing_a_folder_deleted_elsewhere_reads_the_folder_list_instead_of_failing(
    account, other_device
):
    other_device.create_folder("Old")
    account_sync.sync_account(account)
    old = Folder.objects.get(account=account, name="Old")
    other_device.delete_folder("Old")  # push or a person asks for this folder next

    tasks.sync_folder(old.pk)  # would raise (and be retried for minutes) otherwise

    assert not Folder.objects.filter(pk=old.pk).exists()
    assert MailAccount.objects.get(pk=account.pk).status == AccountStatus.OK


def test_two_concurrent_syncs_of_the_same_folder_leave_no_duplicates(account, dovecot, mail_user):
    account_sync.sync_account(account)
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(400)])
    inbox = Folder.objects.get(account=account, name="INBOX")
    errors = run_twice_at_once(
        lambda: account_sync.sync_one_folder(Folder.objects.get(pk=inbox.pk))
    )
    account_sync.sync_one_folder(inbox)
    assert errors == []
    assert Message.objects.filter(folder=inbox).count() == 400
