"""Moving mail between a POP3 account's local folders and an IMAP account of the same
person, against the real Dovecot on both sides."""

import pytest

from tests.messages import make_message
from tests.pop3.conftest import make_pop3_account
from webmail.engine import account_sync
from webmail.models import Folder, MailAccount, Message, SpecialUse
from webmail.pop3 import engine, services
from webmail.raw_store import read_raw

pytestmark = pytest.mark.django_db(transaction=True)


def crlf(raw: bytes) -> bytes:
    return raw.replace(b"\n", b"\r\n")


def server_messages(client, folder: str) -> dict[bytes, set]:
    """Message-ID → flags of what ``folder`` holds on the server."""
    client.select_folder(folder, readonly=True)
    uids = client.search("ALL")
    fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids else {}
    return {
        data[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].split(b":", 1)[1].strip(): set(data[b"FLAGS"])
        - {b"\\Recent"}
        for data in fetched.values()
    }


@pytest.fixture
def pop3_inbox(pop3_account):
    return engine.local.ensure_local_folders(pop3_account)[SpecialUse.INBOX]


@pytest.fixture
def imap_folders(account):
    """The IMAP account (on ``mail_user``) synced once: its folders are known."""
    account_sync.sync_account(account)
    return {folder.name: folder for folder in Folder.objects.filter(account=account)}


def test_a_message_moves_from_a_pop3_folder_into_an_imap_folder(
    pop3_account, pop3_inbox, imap_folders, dovecot, pop3_user, other_device
):
    dovecot.deliver(pop3_user, make_message(1))
    engine.fetch_account(pop3_account)
    downloaded = Message.objects.get(folder=pop3_inbox)
    Message.objects.filter(pk=downloaded.pk).update(is_seen=True, is_flagged=True)
    downloaded.refresh_from_db()
    archive = imap_folders["Archive"]

    assert services.move_to_imap([downloaded], archive) == 1

    assert server_messages(other_device, "Archive") == {
        b"<m1@example.org>": {b"\\Seen", b"\\Flagged"}
    }
    assert not Message.objects.filter(folder=pop3_inbox).exists()
    shown = Message.objects.get(folder=archive)
    assert (shown.subject, shown.raw_sha256) == ("Message numéro 1", downloaded.raw_sha256)
    account_sync.sync_account(archive.account)  # the sync confirms it: still one row
    assert Message.objects.filter(folder=archive).count() == 1


def test_a_message_moves_from_an_imap_folder_into_a_pop3_folder(
    pop3_inbox, account, dovecot, mail_user, other_device
):
    dovecot.deliver(mail_user, make_message(5))
    account_sync.sync_account(account)
    on_imap = Message.objects.get(folder__account=account, folder__name="INBOX")

    assert services.move_from_imap([on_imap], pop3_inbox) == 1

    kept = Message.objects.get(folder=pop3_inbox)
    assert kept.subject == "Message numéro 5"
    assert read_raw(kept.raw_sha256) == crlf(make_message(5))
    assert server_messages(other_device, "INBOX") == {}
    assert b"<m5@example.org>" in server_messages(other_device, "Trash")  # recoverable there
    assert not Message.objects.filter(pk=on_imap.pk).exists()
    assert services.storage_used(pop3_inbox.account.user) == kept.size


def test_from_the_imap_trash_a_message_is_expunged_by_uid_only(
    pop3_inbox, account, dovecot, mail_user, other_device
):
    dovecot.deliver(mail_user, make_message(6), folder="Trash")
    dovecot.deliver(mail_user, make_message(7), folder="Trash")
    account_sync.sync_account(account)
    moved = Message.objects.get(folder__account=account, message_id="<m6@example.org>")

    services.move_from_imap([moved], pop3_inbox)

    assert list(server_messages(other_device, "Trash")) == [b"<m7@example.org>"]
    assert Message.objects.filter(folder=pop3_inbox).count() == 1


def test_mail_never_moves_into_another_persons_account(
    pop3_account, pop3_inbox, account, imap_folders, bob, dovecot, pop3_user, mail_user
):
    bobs_pop3 = make_pop3_account(bob, dovecot.add_user(), dovecot.pop3s_port)
    bobs_inbox = engine.local.ensure_local_folders(bobs_pop3)[SpecialUse.INBOX]
    bobs_imap = MailAccount.objects.create(
        user=bob, email="bob@example.org", incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username="bob", smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    bobs_folder = Folder.objects.create(account=bobs_imap, name="INBOX", uidvalidity=1)
    dovecot.deliver(mail_user, make_message(1))
    account_sync.sync_account(account)
    dovecot.deliver(pop3_user, make_message(2))
    engine.fetch_account(pop3_account)
    alices_imap_message = Message.objects.get(folder=imap_folders["INBOX"])
    alices_pop3_message = Message.objects.get(folder=pop3_inbox)

    with pytest.raises(services.WrongAccount):
        services.move_from_imap([alices_imap_message], bobs_inbox)
    with pytest.raises(services.WrongAccount):
        services.move_to_imap([alices_pop3_message], bobs_folder)

    assert (
        Message.objects.filter(pk__in=[alices_imap_message.pk, alices_pop3_message.pk]).count() == 2
    )
    assert not Message.objects.filter(account__user=bob).exists()


def test_moving_in_beyond_the_storage_limit_is_refused(
    pop3_inbox, account, dovecot, mail_user, settings, other_device
):
    dovecot.deliver(mail_user, make_message(8))
    account_sync.sync_account(account)
    on_imap = Message.objects.get(folder__account=account, folder__name="INBOX")
    settings.POP3_STORAGE_LIMIT_BYTES = on_imap.size - 1

    with pytest.raises(services.StorageFull):
        services.move_from_imap([on_imap], pop3_inbox)

    assert list(server_messages(other_device, "INBOX")) == [b"<m8@example.org>"]
    assert not Message.objects.filter(folder=pop3_inbox).exists()


def test_a_message_sent_from_a_pop3_account_is_kept_in_its_local_sent_folder(pop3_account):
    raw = crlf(make_message(9, "Sent from here"))

    kept = services.keep_sent_copy(pop3_account, raw)

    assert kept.folder.special_use == SpecialUse.SENT and kept.is_seen
    assert (kept.subject, kept.body_text) == ("Sent from here", "Body of message 9.")
    assert read_raw(kept.raw_sha256) == raw
