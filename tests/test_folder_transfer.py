"""An IMAP folder out as .mbox, and .eml / .mbox files into a folder."""

import io
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient
from django.urls import reverse

from tests.conftest import wait_until
from tests.harness.ports import LOOPBACK, free_port
from tests.messages import make_message, tricky_messages
from webmail import tasks
from webmail.engine import account_sync
from webmail.mail.errors import ConnectError
from webmail.mail.imap import ImapSession
from webmail.mail.mbox import mbox_entry, read_mbox
from webmail.models import Folder, MailAccount, MailImport, Message
from webmail.services import mail_export, mail_import
from webmail.services.reading import load_raw

pytestmark = pytest.mark.django_db(transaction=True)
FIRST_OF_JANUARY = datetime(2025, 1, 1, 12, tzinfo=UTC)


@pytest.fixture
def inbox(account, media):
    account_sync.sync_account(account)
    return Folder.objects.get(account=account, name="INBOX")


def synced_inbox(account) -> Folder:
    account_sync.sync_account(account)
    return Folder.objects.get(account=account, name="INBOX")


def export(client, folder) -> list[bytes]:
    response = client.get(reverse("webmail:export_folder", args=[folder.pk]))
    assert response.status_code == 200
    return [entry.raw for entry in read_mbox(io.BytesIO(b"".join(response.streaming_content)))]


def lf(raw: bytes) -> bytes:
    raw = raw.replace(b"\r\n", b"\n")
    return raw if raw.endswith(b"\n") else raw + b"\n"


def counting(monkeypatch, owner, name: str) -> list:
    """Calls of a real function, recorded (it still runs)."""
    real, calls = getattr(owner, name), []

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def mbox_of(*raws: bytes) -> bytes:
    return b"".join(mbox_entry(raw, when=FIRST_OF_JANUARY) for raw in raws)


def test_an_imap_folder_exports_its_tricky_messages_byte_for_byte(
    alice_client, account, dovecot, mail_user, media
):
    originals = tricky_messages()
    dovecot.deliver_many(mail_user, originals)
    inbox = synced_inbox(account)
    assert sorted(export(alice_client, inbox)) == sorted(lf(raw) for raw in originals)


def test_bodies_not_stored_here_are_fetched_in_batches_over_one_session(
    alice_client, account, dovecot, mail_user, media, other_device, monkeypatch
):
    uids = dovecot.deliver_many(mail_user, [make_message(n) for n in range(120)])
    inbox = synced_inbox(account)
    stored = Message.objects.get(folder=inbox, uid=uids[0])
    load_raw(stored)  # this one is in Courriel's store already
    other_device.select_folder("INBOX")
    other_device.delete_messages([uids[7]])  # deleted elsewhere, not yet synced here
    other_device.expunge()
    sessions = counting(monkeypatch, mail_export, "open_imap")
    fetches = counting(monkeypatch, ImapSession, "fetch_messages")

    raws = export(alice_client, inbox)

    assert len(raws) == 119
    assert b"Message-ID: <m7@example.org>" not in b"".join(raws)
    assert len(sessions) == 1 and len(fetches) == 3  # 50 a batch
    assert uids[0] not in [uid for _session, batch in fetches for uid in batch]


def test_a_folder_stored_here_needs_no_server(alice_client, account, dovecot, mail_user, media):
    dovecot.deliver(mail_user, make_message(1))
    inbox = synced_inbox(account)
    load_raw(Message.objects.get(folder=inbox))
    MailAccount.objects.filter(pk=account.pk).update(incoming_port=free_port())
    assert len(export(alice_client, inbox)) == 1


def test_an_unreachable_server_gives_a_page_that_says_so(alice_client, inbox, dovecot, mail_user):
    dovecot.deliver(mail_user, make_message(1))
    account_sync.sync_account(inbox.account)
    account = inbox.account
    account.incoming_host, account.incoming_port = LOOPBACK, free_port()  # nobody listens
    account.save()
    response = alice_client.get(reverse("webmail:export_folder", args=[inbox.pk]))
    assert response.status_code == 503
    assert "This folder cannot be downloaded right now." in response.content.decode()


def test_under_asgi_the_mbox_is_streamed(alice, inbox, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(3)])
    account_sync.sync_account(inbox.account)

    async def download():
        client = AsyncClient()
        await client.aforce_login(alice)
        response = await client.get(reverse("webmail:export_folder", args=[inbox.pk]))
        assert response.is_async
        return b"".join([chunk async for chunk in response.streaming_content])

    assert len(list(read_mbox(io.BytesIO(async_to_sync(download)())))) == 3


def test_only_the_owner_exports_or_imports(client, bob, inbox):
    client.force_login(bob)
    assert client.get(reverse("webmail:export_folder", args=[inbox.pk])).status_code == 404
    url = reverse("webmail:import_mail", args=[inbox.account_id])
    files = {"folder": inbox.pk, "files": SimpleUploadedFile("a.eml", make_message(1))}
    assert client.post(url, files).status_code == 404


def test_a_strangers_folder_as_destination_is_a_404(alice_client, inbox, bob):
    strangers = MailAccount.objects.create(
        user=bob, email="bob@example.org", incoming_port=993, smtp_port=465
    )
    their_folder = Folder.objects.create(account=strangers, name="INBOX")
    url = reverse("webmail:import_mail", args=[inbox.account_id])
    files = {"folder": their_folder.pk, "files": SimpleUploadedFile("a.eml", make_message(1))}
    assert alice_client.post(url, files).status_code == 404
    assert not MailImport.objects.exists()


def test_a_file_that_is_not_mail_is_refused_and_nothing_imported(alice_client, inbox):
    url = reverse("webmail:import_mail", args=[inbox.account_id])
    png = SimpleUploadedFile("photo.eml", b"\x89PNG\r\n\x1a\n" + bytes(100))
    response = alice_client.post(url, {"folder": inbox.pk, "files": png})
    assert response.status_code == 400
    assert "is neither a mail message (.eml) nor a mailbox (.mbox)" in response.content.decode()
    assert not MailImport.objects.exists()


def test_too_big_an_upload_is_refused_before_it_is_read(alice_client, inbox, settings):
    settings.MAIL_IMPORT_MAX_BYTES = 10
    url = reverse("webmail:import_mail", args=[inbox.account_id])
    big = SimpleUploadedFile("big.mbox", mbox_of(*[make_message(n) for n in range(3000)]))
    response = alice_client.post(url, {"folder": inbox.pk, "files": big}, follow=True)
    assert "Upload at most 10" in response.content.decode()
    small = SimpleUploadedFile("small.eml", make_message(1))  # within the framing's margin
    response = alice_client.post(url, {"folder": inbox.pk, "files": small})
    assert response.status_code == 400 and "Upload at most 10" in response.content.decode()
    assert not MailImport.objects.exists()


def test_an_mbox_goes_to_the_imap_server_with_dates_and_read_state(inbox, other_device):
    data = mbox_of(make_message(1, "Read one", Status="RO"), make_message(2, "Unread one"))
    job = mail_import.start_import(inbox, [SimpleUploadedFile("box.mbox", data)])
    mail_import.run_import(job)

    other_device.select_folder("INBOX", readonly=True)
    found = other_device.fetch(other_device.search("ALL"), ["FLAGS", "INTERNALDATE"])
    assert [b"\\Seen" in item[b"FLAGS"] for item in found.values()] == [True, False]
    assert all(item[b"INTERNALDATE"].date().isoformat() == "2025-01-01" for item in found.values())
    account_sync.sync_one_folder(inbox)  # what the queued resync does
    rows = {m.subject: m for m in Message.objects.filter(folder=inbox)}
    assert rows["Read one"].is_seen and not rows["Unread one"].is_seen
    assert rows["Read one"].internal_date == FIRST_OF_JANUARY


def test_a_retried_import_does_not_append_twice(inbox, other_device, monkeypatch):
    real_append, calls = ImapSession.append, []

    def connection_lost_after_the_second_append(session, *args):
        calls.append(1)
        uid = real_append(session, *args)
        if len(calls) == 2:
            raise ConnectError("connection_lost")  # the server has it; our record does not
        return uid

    monkeypatch.setattr(ImapSession, "append", connection_lost_after_the_second_append)
    data = mbox_of(*[make_message(n) for n in range(4)])
    job = mail_import.start_import(inbox, [SimpleUploadedFile("box.mbox", data)])
    with pytest.raises(ConnectError):
        mail_import.run_import(job)
    for _attempt in range(2):  # the retry, then a duplicate delivery of the task
        mail_import.run_import(MailImport.objects.get(pk=job.pk))

    other_device.select_folder("INBOX", readonly=True)
    assert len(other_device.search("ALL")) == 4
    assert MailImport.objects.get(pk=job.pk).imported == 4


def test_an_upload_is_imported_by_the_worker_and_reported(alice_client, inbox, action_worker):
    url = reverse("webmail:import_mail", args=[inbox.account_id])
    files = [SimpleUploadedFile(f"{n}.eml", make_message(n, f"Upload {n}")) for n in (1, 2)]
    response = alice_client.post(url, {"folder": inbox.pk, "files": files}, follow=True)
    assert "Import into “INBOX” started" in response.content.decode()

    wait_until(lambda: Message.objects.filter(folder=inbox).count() == 2)
    manage = alice_client.get(reverse("webmail:manage_folders", args=[inbox.account_id]))
    assert "Done: 2 imported, 0 skipped." in manage.content.decode()


def test_an_import_whose_server_stays_unreachable_stops_and_says_so(alice_client, inbox):
    job = mail_import.start_import(inbox, [SimpleUploadedFile("a.eml", make_message(1))])
    MailAccount.objects.filter(pk=inbox.account_id).update(
        incoming_host=LOOPBACK,
        incoming_port=free_port(),  # nobody listens
    )

    tasks.import_mail.apply(args=[job.pk])  # its retries run at once, here

    job.refresh_from_db()
    assert (job.state, job.stopped_because) == (MailImport.State.STOPPED, "refused")
    manage = alice_client.get(reverse("webmail:manage_folders", args=[inbox.account_id]))
    assert "Stopped (The server refused the connection." in manage.content.decode()
