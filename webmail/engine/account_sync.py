"""One account's sync: its folder list, then every folder, under per-folder locks."""

import logging

from django.utils import timezone

from webmail.engine.bodies import index_bodies
from webmail.engine.imap_sync import discard_index, sync_folder, sync_folder_list, sync_order
from webmail.engine.quota import record_quota
from webmail.mail.errors import AuthError, MailError, ProtocolError
from webmail.mail.imap import ImapSession, open_imap
from webmail.mailbox_state import Busy, bump_changes, exclusive, store_account_status
from webmail.models import AccountStatus, Folder, MailAccount, Message
from webmail.models.messages import BodyState
from webmail.sync_health import record_sync_outcome

logger = logging.getLogger(__name__)


def record_status(account: MailAccount, status: str, error: str = "") -> None:
    account.status, account.last_error = status, error
    fields = ["status", "last_error"]
    if status == AccountStatus.OK:
        account.last_synced_at = timezone.now()
        fields.append("last_synced_at")
    account.save(update_fields=fields)
    store_account_status(account.pk, status, error)
    record_sync_outcome(account.pk, succeeded=status == AccountStatus.OK)


def sync_folder_locked(folder: Folder, session: ImapSession) -> bool:
    """Sync unless another worker is on this folder right now; True if anything changed.

    New mail in the Inbox is then filtered, as a person's actions would sort it: the
    UIDs are claimed under the lock (a sync running alongside could leave a gap below
    the newest stored one), the filters act after it, on the index and through tasks;
    then the vacation reply answers what is still in the Inbox."""
    from webmail.services import filters, vacation  # they queue tasks, which import this

    try:
        with exclusive(f"sync-folder:{folder.pk}"):
            changed = sync_folder(folder, session).changed
            unmarked = folder.filtered_uid is None  # new, rebuilt, or older than filters
            arrivals = filters.claim_arrivals(folder) if changed or unmarked else None
    except Busy:
        logger.info("folder %s is being synced by another worker", folder.pk)
        return False
    if changed:
        bump_changes(folder.account.user_id, folder.pk)
    try:
        filters.filter_arrivals(folder, arrivals)
    except Exception:  # a filter that fails must not stop the account's sync
        logger.exception("filters of folder %s failed", folder.pk)
    try:
        vacation.reply_to_arrivals(folder, arrivals, header_reader(folder, session))
    except Exception:  # nor a reply that cannot be written or read for
        logger.exception("vacation reply of folder %s failed", folder.pk)
    return changed


def header_reader(folder: Folder, session: ImapSession):
    """The vacation reply reads only the header fields it screens, from the server."""
    from webmail.mail.auto_reply import SCREENED_FIELDS

    def read(uids: list[int]) -> dict[int, bytes]:
        if session.selected != folder.name:
            session.select(folder.name)
        return session.fetch_header_fields(uids, SCREENED_FIELDS)

    return read


def run_guarded(account: MailAccount, work, *, record_success: bool = True) -> None:
    """Run ``work(session)`` on an open IMAP session and record how it went.

    A refused password marks the account and stops further attempts until the
    person fixes it; other mail errors are recorded and re-raised for a retry."""
    if not account.can_sync:
        return
    try:
        with open_imap(account.incoming_settings()) as session:
            work(session)
    except AuthError as error:
        record_status(account, AccountStatus.AUTH_FAILED, error.code)
        return
    except MailError as error:
        record_status(account, AccountStatus.ERROR, error.code)
        raise
    if record_success:
        record_status(account, AccountStatus.OK)


def sync_account(account: MailAccount) -> None:
    """Mirror the folder list, then each folder, INBOX first. A sync of this
    account already running elsewhere makes this one a no-op."""

    def work(session: ImapSession) -> None:
        for folder in sync_folder_list(account, session):
            if folder.selectable:
                sync_folder_locked(folder, session)
        record_quota(account.pk, session)

    try:
        with exclusive(f"sync-account:{account.pk}"):
            run_guarded(account, work)
    except Busy:
        logger.info("account %s is being synced by another worker", account.pk)


def rebuild_account(account: MailAccount) -> None:
    """The admin's "rebuild cache": forget every indexed message of the account and
    read it all again from the server, folder by folder, as a new UIDVALIDITY would.

    Only once the server has accepted the login (a server that is down leaves the
    cache as it was). Sync only reads the server, so nothing there changes.
    Raises Busy while a sync of this account runs elsewhere (the task retries)."""

    def work(session: ImapSession) -> None:
        for folder in sync_folder_list(account, session):
            if folder.selectable:
                with exclusive(f"sync-folder:{folder.pk}"):
                    discard_index(folder)
                    sync_folder(folder, session)
                bump_changes(account.user_id, folder.pk)

    with exclusive(f"sync-account:{account.pk}"):
        run_guarded(account, work)


def index_account_bodies(account: MailAccount, limit: int) -> int:
    """Index up to ``limit`` pending bodies, INBOX and special folders first;
    returns how many are still pending afterwards."""
    remaining = limit

    def work(session: ImapSession) -> None:
        nonlocal remaining
        for folder in sorted(account.folders.filter(selectable=True), key=sync_order):
            if remaining <= 0:
                return
            remaining -= index_bodies(folder, session, limit=remaining)

    run_guarded(account, work, record_success=False)
    return Message.objects.filter(account=account, body_state=BodyState.PENDING).count()


def sync_one_folder(folder: Folder) -> None:
    """What push (IDLE) triggers: just this folder. One deleted (or renamed) on the
    server since is not retried for minutes: the folder list is read again."""

    def work(session: ImapSession) -> None:
        try:
            sync_folder_locked(folder, session)
        except ProtocolError:
            if any(info.name == folder.name for info in session.list_folders()):
                raise
            sync_folder_list(folder.account, session)

    run_guarded(folder.account, work)
