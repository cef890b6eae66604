"""POP3 download: new messages into Courriel's own store, deleted on the server only
once they are durably stored here (DESIGN.md, "Invariants").

One session of ``fetch_account``:
1. LIST and UIDL (or ``TOP n 0`` digests, see ``webmail.mail.pop3``): the maildrop.
2. Unique ids already in the ledger (``DownloadedMessage``) are never downloaded again.
3. The others: pipelined RETR; raw messages written batch by batch, each batch made
   durable (syncfs or fsync, see ``raw_files``) and only then committed: each Message
   row (in its conversation already, see ``local.insert_rows``) and its ledger row in
   one transaction. A message whose bytes are already stored for the account (same
   SHA-256) gets a ledger row pointing at the existing copy, not a second one.
4. DELE what the options say should go: a message stored here, unless a copy is
   left on the server; with a copy left, once it is N days old or deleted here.
5. QUIT commits the DELEs (RFC 1939 §6); only then does the ledger record them.

A crash or a cut connection anywhere leaves the server untouched (no QUIT, no
deletion) and every committed batch in the ledger, so the next session only deletes
what the last one stored: never a lost message, never a second copy.
"""

import logging
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from webmail.engine import copy_rows
from webmail.engine.account_sync import record_status
from webmail.engine.threads import thread_pending
from webmail.mail import pop3
from webmail.mail.errors import AuthError, ConnectError, MailError, TemporaryError
from webmail.mail.text import extract_text
from webmail.mailbox_state import Busy, exclusive
from webmail.models import AccountStatus, Folder, MailAccount, Message, SpecialUse
from webmail.models.messages import BodyState
from webmail.pop3 import bulk_copy, local
from webmail.pop3.headers import describe
from webmail.pop3.models import DownloadedMessage, Pop3Options
from webmail.pop3.raw_files import LocalStorageError, RawBatch
from webmail.raw_store import read_raw
from webmail.services import filters, vacation

logger = logging.getLogger(__name__)

BATCH_MESSAGES = 1000
BATCH_BYTES = 32 * 1024 * 1024
BATCHES_IN_FLIGHT = 2
# Longer than the task's hard time limit: a lock must not expire under a live fetch.
LOCK_SECONDS = 35 * 60
# IN-USE, LOGIN-DELAY, unreachable: leave the server alone this long (beat checks it).
TEMPORARY_PAUSE = timedelta(minutes=5)
STORAGE_FULL = "storage_full"
LOCAL_STORAGE_FAILED = "local_storage"


@dataclass
class FetchResult:
    downloaded: int = 0  # new Message rows
    duplicates: int = 0  # new unique ids whose bytes were already stored here
    deleted: int = 0  # DELE committed by QUIT
    over_limit: int = 0  # left on the server: the storage limit was reached


@dataclass(frozen=True)
class _Known:
    """One ledger row, as the session plan needs it."""

    pk: int
    message_id: int | None
    downloaded_at: datetime
    deleted_on_server: bool


@dataclass
class _Plan:
    download: list[pop3.MaildropEntry] = field(default_factory=list)
    delete: dict[int, str] = field(default_factory=dict)  # number → unique id
    over_limit: int = 0


def options_for(account: MailAccount) -> Pop3Options:
    options, _ = Pop3Options.objects.get_or_create(account=account)
    return options


def fetch_account(account: MailAccount) -> FetchResult | None:
    """Download what is new, delete what the options say; None when nothing ran
    (another worker is on this account, a refused password, not a POP3 account)."""
    if account.protocol != "pop3" or not account.can_sync:
        return None
    try:
        with exclusive(f"pop3-fetch:{account.pk}", LOCK_SECONDS):
            return _fetch_recorded(account)
    except Busy:
        logger.info("POP3 account %s is being fetched by another worker", account.pk)
        return None


def _fetch_recorded(account: MailAccount) -> FetchResult | None:
    """Run one session and record how it went, as the IMAP sync does: a refused
    password stops the workers until the person fixes it; other failures are
    recorded and raised, so that the task retries."""
    options = options_for(account)
    now = timezone.now()
    Pop3Options.objects.filter(pk=options.pk).update(last_attempt_at=now, retry_after=None)
    try:
        result = _fetch(account, options, now)
    except AuthError as error:
        record_status(account, AccountStatus.AUTH_FAILED, error.code)
        return None
    except (TemporaryError, ConnectError) as error:
        Pop3Options.objects.filter(pk=options.pk).update(retry_after=now + TEMPORARY_PAUSE)
        record_status(account, AccountStatus.ERROR, error.code)
        raise
    except MailError as error:
        record_status(account, AccountStatus.ERROR, error.code)
        raise
    except LocalStorageError:
        record_status(account, AccountStatus.ERROR, LOCAL_STORAGE_FAILED)
        raise
    if result.over_limit:
        record_status(account, AccountStatus.ERROR, STORAGE_FULL)
    else:
        record_status(account, AccountStatus.OK)
    return result


def _fetch(account: MailAccount, options: Pop3Options, now: datetime) -> FetchResult:
    folders = local.ensure_local_folders(account)
    target = _target_folder(options, folders)
    known = _ledger(account)
    room = local.storage_limit() - local.storage_used(account.user)
    result = FetchResult()
    with pop3.open_pop3(account.incoming_settings()) as client:
        capabilities = pop3.capabilities_of(client)
        window = pop3.pipeline_window(capabilities)
        maildrop = pop3.list_maildrop(client, capabilities)
        plan = _plan(maildrop, known, options, now, room)
        download = _Download(account, target, now)
        download.run(client, plan.download, window)
        if options.should_delete_new(now):
            plan.delete |= download.stored
        pop3.delete_messages(client, sorted(plan.delete), window=window)
    thread_pending(target)  # rows an interrupted run left unthreaded
    # QUIT succeeded: the deletions are committed on the server.
    result.deleted = _record_server_state(account, known, maildrop, plan.delete.values(), now)
    result.downloaded, result.duplicates = download.created, download.duplicates
    result.over_limit = plan.over_limit
    _sort_and_answer(target)
    return result


def _sort_and_answer(target: Folder) -> None:
    """New mail in the Inbox, once its rows are committed: filters, then the
    vacation reply on what they left there. Neither may fail the download."""
    arrivals = None
    try:
        arrivals = filters.claim_arrivals(target)
        filters.filter_arrivals(target, arrivals)
    except Exception:
        logger.exception("filters of folder %s failed", target.pk)
    try:
        vacation.reply_to_arrivals(target, arrivals, vacation.stored_headers(target))
    except Exception:
        logger.exception("vacation reply of folder %s failed", target.pk)


def _target_folder(options: Pop3Options, folders: dict[str, Folder]) -> Folder:
    chosen = options.target_folder
    if chosen is not None and chosen.account_id == options.account_id:
        return chosen
    return folders[SpecialUse.INBOX]


def _ledger(account: MailAccount) -> dict[str, _Known]:
    rows = DownloadedMessage.objects.filter(account=account).values_list(
        "pk", "uidl", "message_id", "downloaded_at", "deleted_on_server_at"
    )
    return {
        uidl: _Known(pk, message_id, downloaded_at, deleted is not None)
        for pk, uidl, message_id, downloaded_at, deleted in rows.iterator(5000)
    }


def _plan(
    maildrop: list[pop3.MaildropEntry],
    known: dict[str, _Known],
    options: Pop3Options,
    now: datetime,
    room: int,
) -> _Plan:
    plan = _Plan()
    seen = set()
    for entry in maildrop:
        if entry.unique_id in seen:
            continue  # a broken server listing one id twice: the first one counts
        seen.add(entry.unique_id)
        stored = known.get(entry.unique_id)
        if stored is not None:
            if options.should_delete(stored.downloaded_at, stored.message_id is not None, now):
                plan.delete[entry.number] = entry.unique_id
        elif entry.size <= room:
            plan.download.append(entry)
            room -= entry.size
        else:
            plan.over_limit += 1
    return plan


def _record_server_state(
    account: MailAccount,
    known: dict[str, _Known],
    maildrop: list[pop3.MaildropEntry],
    deleted_ids,
    now: datetime,
) -> int:
    """After QUIT: what was deleted, and what disappeared from the server otherwise
    (another client, or an earlier QUIT whose answer was lost)."""
    deleted_ids = set(deleted_ids)
    listed = {entry.unique_id for entry in maildrop} - deleted_ids
    gone, back = [], []
    for uidl, row in known.items():
        if (uidl in listed) == row.deleted_on_server:
            (back if row.deleted_on_server else gone).append(row.pk)
    ledger = DownloadedMessage.objects.filter(account=account)
    for start in range(0, max(len(gone), len(back)), 5000):
        ledger.filter(pk__in=gone[start : start + 5000]).update(deleted_on_server_at=now)
        ledger.filter(pk__in=back[start : start + 5000]).update(deleted_on_server_at=None)
    # Messages stored in this very session are not in ``known``.
    fresh = [uidl for uidl in deleted_ids if uidl not in known]
    for start in range(0, len(fresh), 5000):
        ledger.filter(uidl__in=fresh[start : start + 5000]).update(deleted_on_server_at=now)
    return len(deleted_ids)


@dataclass
class _Fetched:
    entry: pop3.MaildropEntry
    digest: str
    size: int
    row: dict | None  # a new Message row's values; None for bytes already stored


class _Download:
    """Retrieves messages and hands them over in batches. A batch's files are written
    and synced by ``RawBatch`` in the background, then its rows committed by a
    committer thread (its own database connection), in order; this thread only reads
    the network and parses, so the disk, the database and the server work at once.
    After a failed commit no later batch is committed: each batch may rely on the
    rows of the ones before it (the same bytes under two unique ids).

    Inside a caller's transaction the rows are committed by this thread instead:
    another connection could not see the folders that transaction created."""

    def __init__(self, account: MailAccount, folder: Folder, now: datetime) -> None:
        self.account, self.folder, self.now = account, folder, now
        self.stored: dict[int, str] = {}  # number → unique id, once committed
        self.created = self.duplicates = 0
        self._pending: list[_Fetched] = []
        self._pending_bytes = 0
        self._files = RawBatch()
        self._committer = (
            None
            if connection.in_atomic_block
            else ThreadPoolExecutor(1, thread_name_prefix="pop3-commit")
        )
        self._commits: deque[Future] = deque()
        self._failed = False
        # Bytes already stored for this account: a new unique id for the same bytes
        # (a server that renumbered, a TOP digest that changed) is not a new message.
        self._by_digest: dict[str, int | None] = {}
        ledger = DownloadedMessage.objects.filter(account=account)
        for digest, message_id in ledger.values_list("raw_sha256", "message_id").iterator(5000):
            if self._by_digest.get(digest) is None:
                self._by_digest[digest] = message_id

    def run(self, client, entries: list[pop3.MaildropEntry], window: int) -> None:
        by_number = {entry.number: entry for entry in entries}
        try:
            for number, raw in pop3.retrieve_messages(client, list(by_number), window=window):
                self._add(by_number[number], raw)
        except MailError:
            # Whatever arrived whole is worth keeping: the next session then only
            # has to delete it. The connection is lost, so nothing is deleted now.
            self._finish()
            raise
        except BaseException:
            self._failed = True
            self._finish()
            raise
        self._finish()

    def _add(self, entry: pop3.MaildropEntry, raw: bytes) -> None:
        digest = self._files.add(raw)
        row = None
        if digest not in self._by_digest:
            row = local.message_row(
                self.folder, describe(raw), digest=digest, size=len(raw), now=self.now
            )
            self._by_digest[digest] = None  # claimed by this row; its id comes at commit
        self._pending.append(_Fetched(entry, digest, len(raw), row))
        self._pending_bytes += len(raw)
        if len(self._pending) >= BATCH_MESSAGES or self._pending_bytes >= BATCH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        self._files.start()
        batch, files = self._pending, self._files
        self._pending, self._pending_bytes, self._files = [], 0, RawBatch()
        if self._committer is None:
            self._commit(batch, files)
            return
        self._commits.append(self._committer.submit(self._commit, batch, files))
        # Bounded memory: at most this many batches wait for their commit.
        while len(self._commits) > BATCHES_IN_FLIGHT:
            self._commits.popleft().result()

    def _finish(self) -> None:
        """Commit what is pending and wait for every commit (raising the first failure)."""
        try:
            self._flush()
            while self._commits:
                self._commits.popleft().result()
        finally:
            if self._committer is not None:
                self._committer.submit(_close_connection).result()
                self._committer.shutdown()

    def _commit(self, batch: list[_Fetched], files: RawBatch) -> None:
        if self._failed:
            return
        try:
            files.durable()
            self._insert(batch)
        except BaseException:
            self._failed = True
            raise
        self.stored.update((fetched.entry.number, fetched.entry.unique_id) for fetched in batch)
        local.refresh_counts(self.folder, self.account.user_id)

    def _insert(self, batch: list[_Fetched]) -> None:
        rows = [fetched.row for fetched in batch if fetched.row is not None]
        with transaction.atomic():
            ids = local.insert_rows(self.folder, rows) if rows else []
            for row, pk in zip(rows, ids, strict=True):
                self._by_digest[row["raw_sha256"]] = pk
            _insert_ledger(
                {
                    "account_id": self.account.pk,
                    "uidl": fetched.entry.unique_id,
                    "message_id": self._by_digest.get(fetched.digest),
                    "raw_sha256": fetched.digest,
                    "size": fetched.size,
                    "downloaded_at": self.now,
                }
                for fetched in batch
            )
        self.created += len(rows)
        self.duplicates += len(batch) - len(rows)


def _close_connection() -> None:
    connection.close()


def _insert_ledger(rows) -> None:
    rows = list(rows)
    if bulk_copy.available():
        bulk_copy.copy_rows(DownloadedMessage, rows)
    else:
        DownloadedMessage.objects.bulk_create([DownloadedMessage(**row) for row in rows])


def index_local_bodies(account: MailAccount, limit: int) -> int:
    """Text for search of up to ``limit`` downloaded messages, newest first, read from
    the store (no server involved); returns how many are still pending."""
    pending = Message.objects.filter(account=account, body_state=BodyState.PENDING)
    pending.filter(size__gt=settings.BODY_INDEX_MAX_BYTES).update(body_state=BodyState.TOO_LARGE)
    rows = pending.order_by("-internal_date", "-id").values_list("pk", "raw_sha256")[:limit]
    indexed, unreadable = [], []
    for pk, digest in rows:
        try:
            raw = read_raw(digest)
        except OSError:
            unreadable.append(pk)
            continue
        indexed.append((pk, extract_text(raw), BodyState.INDEXED.value))
    Message.objects.filter(pk__in=unreadable).update(body_state=BodyState.FAILED)
    if copy_rows.available():
        # The store keeps the message: rows lost in a crash are pending, indexed again.
        copy_rows.update_by_pk(Message, ["id", "body_text", "body_state"], indexed, durable=False)
    else:
        Message.objects.bulk_update(
            [Message(pk=pk, body_text=text, body_state=state) for pk, text, state in indexed],
            ["body_text", "body_state"],
            batch_size=500,
        )
    return pending.count()
