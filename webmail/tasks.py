"""Celery tasks: thin wrappers that take ids, reload, and call one engine function.

Retries are declared; the engine is idempotent, so a retried or duplicated task
does no harm."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.utils import timezone

from webmail import raw_gc
from webmail.engine import account_sync, actions, folder_admin
from webmail.mail.errors import ConnectError, MailError, ProtocolError, TemporaryError
from webmail.mailbox_state import Busy, exclusive, notify
from webmail.models import AccountStatus, Folder, MailAccount, MailImport
from webmail.pop3.raw_files import LocalStorageError
from webmail.services import mail_import, undo
from webmail.sitesettings import site_settings

HEARTBEAT_CACHE_KEY = "beat:last-heartbeat"
RETRYABLE = (ConnectError, TemporaryError, ProtocolError)
BODIES_PER_TASK = 500
SYNC_RETRIES = {
    "autoretry_for": RETRYABLE,
    "retry_backoff": 30,
    "retry_backoff_max": 900,
    "max_retries": 5,
    "soft_time_limit": 30 * 60,
    "time_limit": 31 * 60,
}


@shared_task
def health_check() -> dict:
    """Answer from inside a worker, so callers know the broker and a worker are alive."""
    return {"status": "ok", "at": timezone.now().isoformat()}


@shared_task
def heartbeat() -> None:
    """Run by beat every minute; the health page reports how old the last beat is."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=None)


def queued_key(account_id: int) -> str:
    return f"sync:queued:{account_id}"


@shared_task(**SYNC_RETRIES)
def sync_account(account_id: int) -> None:
    cache.delete(queued_key(account_id))
    account = MailAccount.objects.filter(pk=account_id, protocol="imap").first()
    if account:
        account_sync.sync_account(account)
        index_bodies.delay(account_id)


@shared_task(**{**SYNC_RETRIES, "autoretry_for": (*RETRYABLE, Busy)})
def sync_account_from_scratch(account_id: int) -> None:
    """The admin's "rebuild cache" (waits, by retrying, for a running sync to end).
    Named sync_* so that it goes to the sync queue with the other syncs."""
    account = MailAccount.objects.filter(pk=account_id, protocol="imap").first()
    if account:
        account_sync.rebuild_account(account)
        index_bodies.delay(account_id)


@shared_task(**SYNC_RETRIES)
def index_bodies(account_id: int) -> None:
    """Background body indexing in slices, so header syncs and actions interleave."""
    account = MailAccount.objects.filter(pk=account_id, protocol="imap").first()
    if account and account_sync.index_account_bodies(account, BODIES_PER_TASK):
        index_bodies.delay(account_id)


@shared_task(**SYNC_RETRIES)
def sync_folder(folder_id: int) -> None:
    folder = Folder.objects.select_related("account").filter(pk=folder_id).first()
    if folder and folder.account.protocol == "imap":
        account_sync.sync_one_folder(folder)


def accounts_due(now=None) -> list[int]:
    now = now or timezone.now()
    site = site_settings()  # the admin's minimum interval beats any shorter one chosen
    candidates = MailAccount.objects.filter(
        is_active=True, user__is_active=True, protocol="imap"
    ).exclude(status=AccountStatus.AUTH_FAILED)
    return [
        pk
        for pk, last, interval in candidates.values_list("pk", "last_synced_at", "sync_interval")
        if last is None or (now - last).total_seconds() >= site.sync_interval_for(interval)
    ]


@shared_task
def dispatch_due_syncs() -> int:
    """Run by beat: queue a sync for every account whose interval has passed, once."""
    queued = 0
    for account_id in accounts_due():
        if cache.add(queued_key(account_id), 1, timeout=15 * 60):
            sync_account.delay(account_id)
            queued += 1
    return queued


ACTION_RETRIES = {
    "autoretry_for": (ConnectError, TemporaryError),
    "retry_backoff": 5,
    "max_retries": 5,
    "soft_time_limit": 100,
    "time_limit": 120,
}


def on_server(folder_id: int, change, *resync_ids: int) -> None:
    """Apply a person's change on the server. If the server refuses, resyncs put
    the index back as the server has it, and the person is told."""
    folder = Folder.objects.select_related("account").filter(pk=folder_id).first()
    if not folder:
        return
    try:
        change(folder)
    except actions.StaleEpoch:
        pass
    except (ConnectError, TemporaryError):
        raise
    except MailError as error:
        notify(folder.account.user_id, error.code)
    for pk in {folder_id, *resync_ids}:
        sync_folder.delay(pk)


@shared_task(**ACTION_RETRIES)
def apply_flags(folder_id: int, uids: list[int], uidvalidity: int, add: list, remove: list):
    on_server(
        folder_id,
        lambda folder: actions.store_flags(folder, uids, uidvalidity, add=add, remove=remove),
    )


@shared_task(**ACTION_RETRIES)
def move_messages(
    folder_id: int,
    uids: list[int],
    uidvalidity: int,
    destination_id: int,
    undo_token: str | None = None,
    add_flags: list[str] | None = None,
):
    if undo_token and not undo.claim(undo_token, folder_id, undo.APPLY):
        sync_folder.delay(folder_id)  # undone before it ran: show the rows again
        return
    destination = Folder.objects.get(pk=destination_id)
    moved: dict[int, int] = {}

    def change(folder):
        moved.update(actions.move_messages(folder, uids, uidvalidity, destination, add_flags or ()))

    on_server(folder_id, change, destination_id)  # raises only to be retried
    if undo_token:  # an empty list (refused, no COPYUID) tells an undo to give up
        new_uids = [moved[uid] for uid in uids if uid in moved]
        undo.remember_new_uids(undo_token, folder_id, destination.uidvalidity, new_uids)


class NotMovedYet(Exception):
    """The move being undone is still running."""


@shared_task(**{**ACTION_RETRIES, "autoretry_for": (ConnectError, TemporaryError, NotMovedYet),
                "retry_backoff": 1, "retry_backoff_max": 5, "max_retries": 30})  # fmt: skip
def move_back(undo_token: str, source_id: int, destination_id: int):
    """Undo of a move the server already made: by the UIDs it gave the messages."""
    moved = undo.new_uids(undo_token, source_id)
    if moved is None:
        raise NotMovedYet(undo_token)
    source = Folder.objects.select_related("account").get(pk=source_id)
    if not moved["uids"] or moved["uidvalidity"] is None:
        # Refused (the person was told then), or a server without COPYUID.
        notify(source.account.user_id, "undo_unavailable")
        return
    on_server(
        destination_id,
        lambda destination: actions.move_messages(
            destination, moved["uids"], moved["uidvalidity"], source
        ),
        source_id,
    )


@shared_task(**ACTION_RETRIES)
def delete_messages(folder_id: int, uids: list[int], uidvalidity: int):
    on_server(folder_id, lambda folder: actions.delete_messages(folder, uids, uidvalidity))


def on_account_folders(account_id: int, change) -> None:
    account = MailAccount.objects.filter(pk=account_id).first()
    if account and account.protocol == "imap":
        folder_admin.apply_on_server(account, change)
        sync_account.delay(account_id)


@shared_task(**ACTION_RETRIES)
def create_folder(account_id: int, name: str):
    on_account_folders(account_id, lambda session: folder_admin.create(session, name))


@shared_task(**ACTION_RETRIES)
def rename_folder(account_id: int, old: str, new: str):
    on_account_folders(account_id, lambda session: folder_admin.rename(session, old, new))


@shared_task(**ACTION_RETRIES)
def delete_folders(account_id: int, names: list[str]):
    on_account_folders(account_id, lambda session: folder_admin.delete(session, names))


@shared_task
def collect_raw_garbage() -> int:
    """Run by beat: raw files nothing refers to, and the uploads of dead imports."""
    mail_import.abandon_stale_imports()
    return raw_gc.collect()


IMPORT_RETRIES = {"max_retries": 5, "soft_time_limit": 3600, "time_limit": 3660}


def stop_code(error: Exception) -> str:
    if isinstance(error, LocalStorageError):
        return "local_storage"
    return getattr(error, "code", "temporary")  # Busy: another worker on it all along


@shared_task(bind=True, **IMPORT_RETRIES)
def import_mail(self, import_id: int) -> None:
    """Read uploaded .eml / .mbox files into a folder; a retry goes on from where
    the last attempt got (the import records its progress)."""
    job = MailImport.objects.select_related("folder__account").filter(pk=import_id).first()
    if not job:
        return
    try:
        with exclusive(f"mail-import:{import_id}", seconds=3700):
            mail_import.run_import(job)
    except SoftTimeLimitExceeded as error:
        raise self.retry(exc=error, countdown=1, max_retries=24) from error  # goes on
    except (ConnectError, TemporaryError, LocalStorageError, Busy) as error:
        if self.request.retries >= self.max_retries:
            mail_import.finish(job, MailImport.State.STOPPED, stop_code(error))
            return
        raise self.retry(exc=error, countdown=30) from error
