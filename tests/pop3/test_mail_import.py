"""Import into a POP3 account's local folders, and export from them."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.messages import make_message, tricky_messages
from webmail.mail.mbox import mbox_entry, read_mbox
from webmail.models import MailImport, Message, SpecialUse
from webmail.pop3 import local, raw_files
from webmail.services import mail_import
from webmail.services.mail_import import NOT_MAIL

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox(pop3_account):
    return local.ensure_local_folders(pop3_account)[SpecialUse.INBOX]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def mbox_of(*raws: bytes) -> bytes:
    from datetime import UTC, datetime

    return b"".join(
        mbox_entry(raw, when=datetime(2025, 1, n + 1, 12, tzinfo=UTC)) for n, raw in enumerate(raws)
    )


def imported(folder, *files) -> MailImport:
    """What the task does, run here."""
    job = mail_import.start_import(folder, list(files))
    mail_import.run_import(MailImport.objects.get(pk=job.pk))
    return MailImport.objects.get(pk=job.pk)


def lf(raw: bytes) -> bytes:
    raw = raw.replace(b"\r\n", b"\n")
    return raw if raw.endswith(b"\n") else raw + b"\n"


def test_a_folder_exported_reads_back_byte_for_byte_with_lf_line_ends(alice_client, inbox):
    originals = tricky_messages()
    files = [upload(f"{n}.eml", raw) for n, raw in enumerate(originals)]
    assert imported(inbox, *files).imported == len(originals)

    response = alice_client.get(reverse("webmail:export_folder", args=[inbox.pk]))

    assert response["Content-Type"] == "application/mbox"
    assert 'filename="INBOX.mbox"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.endswith(b"\n\n")
    assert [entry.raw for entry in read_mbox(io.BytesIO(data))] == [lf(raw) for raw in originals]


def test_an_mbox_is_imported_with_its_dates_and_read_state(inbox):
    read = make_message(1, "Read one", Status="RO")
    job = imported(inbox, upload("box.mbox", mbox_of(read, make_message(2, "Unread one"))))

    assert (job.state, job.imported, job.skipped) == (MailImport.State.DONE, 2, {})
    rows = {m.subject: m for m in Message.objects.filter(folder=inbox)}
    assert rows["Read one"].is_seen and not rows["Unread one"].is_seen
    assert rows["Read one"].internal_date.isoformat() == "2025-01-01T12:00:00+00:00"
    assert rows["Read one"].raw_sha256 and rows["Read one"].thread_id is not None
    [(name, original)] = job.files
    assert original == "box.mbox" and not default_storage.exists(name)  # gone once read


def test_garbage_between_messages_is_skipped_and_reported(inbox):
    data = mbox_of(make_message(1), b"\x00\x01 not a header\n", make_message(2))

    job = imported(inbox, upload("box.mbox", b"Some text before the first message\n\n" + data))

    assert (job.imported, job.skipped) == (2, {NOT_MAIL: 2})
    assert Message.objects.filter(folder=inbox).count() == 2


def test_the_storage_limit_stops_the_import_keeping_what_came_before(inbox, settings):
    messages = [make_message(n) for n in range(5)]
    settings.POP3_STORAGE_LIMIT_BYTES = sum(len(raw) + 20 for raw in messages[:3])

    job = imported(inbox, upload("box.mbox", mbox_of(*messages)))

    assert (job.state, job.stopped_because, job.imported) == ("stopped", "storage_full", 3)
    assert Message.objects.filter(folder=inbox).count() == 3


def test_a_retried_import_does_not_double_anything(inbox, monkeypatch):
    monkeypatch.setattr(mail_import, "BATCH_MESSAGES", 2)
    real_durable, calls = raw_files.RawBatch.durable, []

    def disk_fails_on_the_second_batch(batch):
        calls.append(1)
        if len(calls) == 2:
            raise raw_files.LocalStorageError("disk full")
        real_durable(batch)

    monkeypatch.setattr(raw_files.RawBatch, "durable", disk_fails_on_the_second_batch)
    job = mail_import.start_import(inbox, [upload("b.mbox", mbox_of(*map(make_message, range(5))))])
    with pytest.raises(raw_files.LocalStorageError):
        mail_import.run_import(MailImport.objects.get(pk=job.pk))
    assert MailImport.objects.get(pk=job.pk).position == 2  # the first batch, committed

    for _attempt in range(2):  # the retry, then a duplicate delivery of the task
        mail_import.run_import(MailImport.objects.get(pk=job.pk))

    ids = sorted(Message.objects.filter(folder=inbox).values_list("message_id", flat=True))
    assert ids == [f"<m{n}@example.org>" for n in range(5)]
    assert MailImport.objects.get(pk=job.pk).imported == 5


def test_an_import_whose_worker_died_is_stopped_in_the_end_and_its_upload_removed(
    inbox, alice_client
):
    dead = mail_import.start_import(inbox, [upload("a.eml", make_message(1))])
    alive = mail_import.start_import(inbox, [upload("b.eml", make_message(2))])
    MailImport.objects.filter(pk=dead.pk).update(
        state=MailImport.State.RUNNING, created_at=timezone.now() - timedelta(days=3)
    )

    assert mail_import.abandon_stale_imports() == 1

    dead.refresh_from_db()
    assert dead.state == MailImport.State.STOPPED and dead.stopped_because == "abandoned"
    assert not default_storage.exists(dead.files[0][0])
    assert default_storage.exists(alive.files[0][0])  # a day old at most: left to run
    page = alice_client.get(reverse("webmail:manage_folders", args=[inbox.account_id]))
    assert "it stopped half way; what it imported stays" in page.content.decode()
