"""Uploaded .eml and .mbox files read into a folder, in a background task.

The upload is kept in Courriel's storage (never served) until the import ends.
A POP3 account's folder keeps the messages here (``store_locally``); an IMAP
folder gets them by APPEND, then a resync. Nothing is imported twice when a task
is retried: ``MailImport.position`` counts the messages dealt with, committed
with the rows (POP3: exactly once); over IMAP it is recorded after each APPEND,
and the one message whose APPEND may have happened unrecorded (``appending``) is
looked for on the server by its Message-ID before it is sent again."""

import secrets
from collections.abc import Iterator
from datetime import timedelta
from itertools import islice

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from webmail import tasks
from webmail.mail.errors import AuthError, ConnectError, MailError, ProtocolError, TemporaryError
from webmail.mail.imap import ImapSession, open_imap
from webmail.mail.mbox import (
    ANSWERED,
    FLAGGED,
    SEEN,
    MboxEntry,
    header_fields,
    looks_like_message,
    read_mbox,
    status_flags,
    with_crlf,
)
from webmail.models import Folder, MailImport
from webmail.pop3 import local
from webmail.pop3 import tasks as pop3_tasks
from webmail.pop3.services import store_locally

SNIFF_BYTES = 64 * 1024
BATCH_MESSAGES = 50
BATCH_BYTES = 20 * 1024 * 1024
SYNC_EVERY = 200  # the folder fills as the import goes, not only at its end
# Server refusals that would refuse every message after this one as well.
STOPPING_CODES = {"over_quota", "nonexistent", "no_permission", "read_only"}
ROW_FLAGS = {SEEN: "is_seen", ANSWERED: "is_answered", FLAGGED: "is_flagged"}
NOT_MAIL = "not_mail"
REFUSED = "refused"
MBOX, EML = "mbox", "eml"
ABANDONED = "abandoned"
# Longer than a task can live: 24 soft-time-limit retries of an hour, and error retries.
STALE_AFTER = timedelta(days=2)


class StopImport(Exception):
    """Going on would fail for every message left: the reason's code."""


def kind_of(start: bytes) -> str | None:
    """The kind of a file ("mbox", "eml" or None), from its beginning: an mbox may
    have some text before its first "From " line."""
    if start.startswith(b"From "):
        return MBOX
    if looks_like_message(start):
        return EML
    return MBOX if b"\n\nFrom " in start.replace(b"\r\n", b"\n") else None


def looks_like_mail_file(upload) -> bool:
    """Judged on the beginning of the file only."""
    upload.seek(0)
    start = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return kind_of(start) is not None


def start_import(folder: Folder, uploads: list) -> MailImport:
    """Keep the uploaded files and queue their import into ``folder``."""
    prefix = f"imports/{secrets.token_hex(16)}"
    files = [
        [default_storage.save(f"{prefix}/{number}", upload), upload.name]
        for number, upload in enumerate(uploads)
    ]
    job = MailImport.objects.create(folder=folder, files=files)
    tasks.import_mail.delay_on_commit(job.pk)
    return job


def run_import(job: MailImport) -> None:
    """Import what is left of ``job``; raises ConnectError / TemporaryError (the
    task retries, from where this one got)."""
    if job.state in (MailImport.State.DONE, MailImport.State.STOPPED):
        return
    job.state = MailImport.State.RUNNING
    job.save(update_fields=["state"])
    remaining = islice(enumerate(entries_of(job)), job.position, None)
    try:
        if job.folder.account.protocol == "pop3":
            import_locally(job, remaining)
        else:
            import_to_server(job, remaining)
    except StopImport as stop:
        finish(job, MailImport.State.STOPPED, str(stop))
    except AuthError as error:
        finish(job, MailImport.State.STOPPED, error.code)
    else:
        finish(job, MailImport.State.DONE)


def finish(job: MailImport, state: str, reason: str = "") -> None:
    """Record the outcome and remove the uploaded files."""
    job.state, job.stopped_because, job.finished_at = state, reason, timezone.now()
    job.save()
    for name, _original in job.files:
        default_storage.delete(name)


def abandon_stale_imports(now=None) -> int:
    """Imports a worker died in (killed at its hard time limit, or the machine went
    down) never finish by themselves: past any run's longest life they are marked
    stopped, keeping what they imported, and their uploaded files are removed."""
    cutoff = (now or timezone.now()) - STALE_AFTER
    stale = MailImport.objects.filter(
        state__in=[MailImport.State.QUEUED, MailImport.State.RUNNING], created_at__lt=cutoff
    )
    jobs = list(stale)
    for job in jobs:
        finish(job, MailImport.State.STOPPED, ABANDONED)
    return len(jobs)


def entries_of(job: MailImport) -> Iterator[MboxEntry]:
    """Every message of the uploaded files in order: an mbox gives its messages, any
    other file is one message (an empty entry when it does not look like one)."""
    for name, _original in job.files:
        with default_storage.open(name, "rb") as handle:
            kind = kind_of(handle.read(SNIFF_BYTES))
            handle.seek(0)
            if kind == MBOX:
                yield from read_mbox(iter(handle.readline, b""))
            elif kind == EML:
                raw = handle.read()
                yield MboxEntry(raw, flags=status_flags(raw))
            else:
                yield MboxEntry(b"")


def skip(job: MailImport, index: int, reason: str) -> None:
    job.skipped[reason] = job.skipped.get(reason, 0) + 1
    job.position = index + 1


# -- POP3: Courriel's own store -------------------------------------------------------------


def import_locally(job: MailImport, remaining) -> None:
    """In batches, each stored and committed with the progress made; stops (keeping
    what came before) at the first message that would exceed the storage limit."""
    folder = job.folder
    room = local.storage_limit() - local.storage_used(folder.account.user)
    batch: list[tuple[bytes, dict]] = []
    size = 0
    for index, entry in remaining:
        if not looks_like_message(entry.raw):
            skip(job, index, NOT_MAIL)
            continue
        raw = with_crlf(entry.raw)  # as a POP3 server gives it
        if len(raw) > room:
            store_batch(job, batch)
            raise StopImport("storage_full")
        room -= len(raw)
        batch.append((raw, row_values(entry)))
        size += len(raw)
        job.position = index + 1
        if len(batch) >= BATCH_MESSAGES or size >= BATCH_BYTES:
            store_batch(job, batch)
            batch, size = [], 0
    store_batch(job, batch)


def row_values(entry: MboxEntry) -> dict:
    values = {field: flag in entry.flags for flag, field in ROW_FLAGS.items()}
    if entry.received:
        values["internal_date"] = entry.received
    return values


def store_batch(job: MailImport, batch: list[tuple[bytes, dict]]) -> None:
    imported = job.imported + len(batch)

    def record_progress():
        job.imported = imported
        job.save(update_fields=["position", "imported", "skipped"])

    if batch:
        store_locally(job.folder, batch, along=record_progress)
        queue_local_indexing(job.folder)
    else:
        record_progress()


def queue_local_indexing(folder: Folder) -> None:
    pop3_tasks.index_pop3_bodies.delay_on_commit(folder.account_id)  # search text, later


# -- IMAP: APPEND to the server -------------------------------------------------------------


def import_to_server(job: MailImport, remaining) -> None:
    folder = job.folder
    try:
        with open_imap(folder.account.incoming_settings()) as session:
            for count, (index, entry) in enumerate(remaining, start=1):
                append_entry(session, job, index, entry)
                if count % SYNC_EVERY == 0:
                    queue_sync(folder)
    finally:
        queue_sync(folder)


def append_entry(session: ImapSession, job: MailImport, index: int, entry: MboxEntry) -> None:
    if not looks_like_message(entry.raw):
        skip(job, index, NOT_MAIL)
    elif job.appending == index and already_on_server(session, job.folder, entry.raw):
        job.imported += 1  # the last run's APPEND happened; only its record did not
    else:
        job.appending = index
        job.save(update_fields=["appending", "position", "imported", "skipped"])
        try:
            flags = sorted(entry.flags)
            session.append(job.folder.name, with_crlf(entry.raw), flags, entry.received)
        except ProtocolError as error:
            if error.code in STOPPING_CODES:
                raise StopImport(error.code) from error
            skip(job, index, REFUSED)
        else:
            job.imported += 1
    job.position, job.appending = index + 1, None
    job.save(update_fields=["appending", "position", "imported", "skipped"])


def already_on_server(session: ImapSession, folder: Folder, raw: bytes) -> bool:
    """Whether the folder has a message with this one's Message-ID (a message
    without one cannot be told apart: it is sent again)."""
    message_id = next((value for name, value in header_fields(raw) if name == b"message-id"), b"")
    try:
        session.select(folder.name, readonly=True)
        return bool(session.uids_with_message_id(message_id.decode("ascii", "replace")))
    except (ConnectError, TemporaryError):
        raise
    except MailError:
        return False  # no usable Message-ID


def queue_sync(folder: Folder) -> None:
    transaction.on_commit(lambda: tasks.sync_folder.delay(folder.pk))
