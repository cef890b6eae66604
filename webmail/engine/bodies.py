"""Bodies for search: fetched in the background, newest first, size-capped.

Each raw message goes to storage (by content hash) and its text to the index,
so search covers bodies without anyone opening them. Three things happen at once:
this thread reads the server and extracts text, a few threads write the files,
and the committer's thread saves the rows (a row names its file only once the file
is written)."""

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing

from django.conf import settings
from django.db import connection

from webmail.engine import copy_rows
from webmail.engine.pipeline import Committer
from webmail.mail.imap import ImapSession
from webmail.mail.text import extract_text
from webmail.models import Folder, Message
from webmail.models.messages import BodyState
from webmail.raw_store import store_raw_as

BATCH_SIZE = 50  # messages per FETCH
BATCH_BYTES = 16 * 1024 * 1024  # or fewer: two batches are in memory at once
SAVE_ROWS = 500  # rows per database write
SAVE_BYTES = 16 * 1024 * 1024  # or fewer, when the messages are large
FILE_THREADS = 4  # creating folders and files waits on the journal: several at once
SAVED_FIELDS = ["id", "raw_sha256", "body_text", "body_state"]


def pending_bodies(folder: Folder):
    return Message.objects.filter(folder=folder, body_state=BodyState.PENDING).order_by(
        "-internal_date", "-uid"
    )


def index_bodies(folder: Folder, session: ImapSession, *, limit: int | None = None) -> int:
    """Fetch and index up to ``limit`` pending bodies of a folder; returns how many."""
    cap = settings.BODY_INDEX_MAX_BYTES
    pending_bodies(folder).filter(size__gt=cap).update(body_state=BodyState.TOO_LARGE)
    rows = list(pending_bodies(folder).values_list("pk", "uid", "size")[:limit])
    if not rows:
        return 0
    session.select(folder.name, readonly=True)
    batches = fetch_batches(rows)
    with (
        ThreadPoolExecutor(FILE_THREADS, thread_name_prefix="body-file") as files,
        Committer(name="body-commit") as committer,
        closing(_prefetched(session, batches)) as prefetched,
    ):
        saving = _Saving(files, committer)
        for batch, raws in prefetched:
            for pk, uid, _size in batch:
                raw = raws.get(uid)
                if raw is not None:  # else expunged meanwhile: the next sync removes the row
                    saving.add(pk, raw)
        saving.flush()
    return len(rows)


def fetch_batches(rows: list[tuple[int, int, int]]) -> list[list[tuple[int, int, int]]]:
    """(pk, uid, size) rows in FETCH batches of at most BATCH_SIZE messages and,
    unless one message is larger, BATCH_BYTES."""
    batches: list[list[tuple[int, int, int]]] = [[]]
    octets = 0
    for row in rows:
        if batches[-1] and (len(batches[-1]) >= BATCH_SIZE or octets + row[2] > BATCH_BYTES):
            batches.append([])
            octets = 0
        batches[-1].append(row)
        octets += row[2]
    return batches


def _prefetched(session: ImapSession, batches: list[list[tuple[int, int, int]]]):
    """Each batch with its raw messages, the next batch's FETCH already running on
    another thread while the caller indexes this one. Only that thread uses the
    session meanwhile, and leaving waits for its FETCH to end (the executor's exit)."""
    with ThreadPoolExecutor(1, thread_name_prefix="body-fetch") as fetcher:

        def fetch(batch):
            return fetcher.submit(session.fetch_messages, [uid for _pk, uid, _size in batch])

        upcoming = fetch(batches[0])
        for index, batch in enumerate(batches):
            raws = upcoming.result()
            if index + 1 < len(batches):
                upcoming = fetch(batches[index + 1])
            yield batch, raws


class _Saving:
    """Indexed bodies on their way to the files and the database."""

    def __init__(self, files: ThreadPoolExecutor, committer: Committer) -> None:
        self._files, self._committer = files, committer
        self._rows: list[tuple[int, str, str, str]] = []
        self._writes: list[Future] = []
        self._bytes = 0

    def add(self, pk: int, raw: bytes) -> None:
        digest = hashlib.sha256(raw).hexdigest()
        # The server keeps the original: no fsync needed for this copy.
        self._writes.append(self._files.submit(store_raw_as, digest, raw, durable=False))
        self._rows.append((pk, digest, extract_text(raw), BodyState.INDEXED.value))
        self._bytes += len(raw)
        if len(self._rows) >= SAVE_ROWS or self._bytes >= SAVE_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._committer.submit(save_bodies, self._rows, self._writes)
        self._rows, self._writes, self._bytes = [], [], 0


def save_bodies(rows: list[tuple[int, str, str, str]], writes: list[Future]) -> None:
    """Rows of (id, raw_sha256, body_text, body_state), once their files are written."""
    for write in writes:
        write.result()  # raises the write's error: the rows stay pending
    if copy_rows.available():
        # Lost in a crash, the rows are pending again and indexed again.
        copy_rows.update_by_pk(Message, SAVED_FIELDS, rows, durable=False)
        return
    # One prepared UPDATE per row: far cheaper than bulk_update's CASE.
    with connection.cursor() as cursor:
        cursor.executemany(SAVE_BODY_SQL, [(*row[1:], row[0]) for row in rows])


# The table name is our own constant; every value goes as a parameter.
SAVE_BODY_SQL = (
    f"UPDATE {Message._meta.db_table}"  # noqa: S608
    " SET raw_sha256 = %s, body_text = %s, body_state = %s WHERE id = %s"
)
