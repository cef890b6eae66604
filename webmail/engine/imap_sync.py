"""Keeps the local index of an IMAP account equal to the server.

Sync never changes the server: it only reads (EXAMINE, SEARCH, FETCH).
Every step is idempotent, so an interrupted sync is completed by the next one:
- a folder is ``complete`` only once every message the server listed is indexed;
- HIGHESTMODSEQ and UIDNEXT are saved only after the changes they cover are applied;
- a new UIDVALIDITY discards that folder's index before anything else happens.
"""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from webmail.engine.message_rows import apply_flag_updates, upsert_summaries
from webmail.engine.pipeline import Committer
from webmail.engine.previews import fill_previews, wanting_preview
from webmail.engine.renames import find_renames
from webmail.engine.threads import thread_pending
from webmail.mail.imap import ImapSession
from webmail.mail.imap_types import FolderInfo, MessageSummary, SelectedFolder
from webmail.mailbox_state import bump_changes, folder_counts, store_folder_counts
from webmail.models import Folder, MailAccount, Message, SpecialUse

logger = logging.getLogger(__name__)

FIRST_BATCH_SIZE = 200  # the newest messages, shown as soon as they are in
BATCH_SIZE = 1000  # then fewer round trips and statements; a short last commit after the fetch
SPECIAL_USE_BY_FLAG = {
    "\\Drafts": SpecialUse.DRAFTS,
    "\\Sent": SpecialUse.SENT,
    "\\Archive": SpecialUse.ARCHIVE,
    "\\Junk": SpecialUse.JUNK,
    "\\Trash": SpecialUse.TRASH,
}


@dataclass
class FolderSyncResult:
    added: int = 0
    removed: int = 0
    flags_changed: int = 0
    rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.flags_changed or self.rebuilt)


def special_use_of(info: FolderInfo) -> str:
    if info.name.upper() == "INBOX":
        return SpecialUse.INBOX
    return SPECIAL_USE_BY_FLAG.get(info.special_use or "", SpecialUse.NONE)


def sync_folder_list(account: MailAccount, session: ImapSession) -> list[Folder]:
    """Mirror the server's folders: a folder renamed elsewhere keeps its index, one
    gone from the server goes with its index."""
    infos = {info.name: info for info in session.list_folders()}
    known = {folder.name: folder for folder in account.folders.all()}
    gone = [known[name] for name in known.keys() - infos.keys()]
    appeared = [infos[name] for name in infos.keys() - known.keys()]
    listing_changed = bool(gone or appeared)
    for old, new in find_renames(session, gone, appeared).items():
        logger.info("folder %s of account %s renamed on the server", known[old].pk, account.pk)
        known[new] = known.pop(old)
        known[new].name = new
    for name in known.keys() - infos.keys():
        known.pop(name).delete()
    for name, info in infos.items():
        folder = known.get(name) or Folder(account=account, name=name)
        folder.delimiter = info.delimiter or ""
        folder.special_use = special_use_of(info)
        folder.selectable = info.selectable
        if folder.pk is None:
            folder.watch = folder.special_use == SpecialUse.INBOX
            folder.save()
        else:  # only the listing's fields: a folder's sync state has its own writers
            folder.save(update_fields=["name", "delimiter", "special_use", "selectable"])
        known[name] = folder
    if listing_changed:
        bump_changes(account.user_id)  # open pages redraw their folder list
    return sorted(known.values(), key=sync_order)


def sync_order(folder: Folder) -> tuple[int, str]:
    """INBOX first, then the special folders, then the rest by name."""
    order = [SpecialUse.INBOX, SpecialUse.SENT, SpecialUse.DRAFTS, SpecialUse.ARCHIVE]
    rank = order.index(folder.special_use) if folder.special_use in order else len(order)
    return rank, folder.name.casefold()


def can_resync_cheaply(folder: Folder, selected: SelectedFolder, session: ImapSession) -> bool:
    return (
        folder.complete
        and session.condstore
        and selected.highestmodseq is not None
        and selected.highestmodseq == folder.highestmodseq
        and selected.uidnext == folder.uidnext
    )


def sync_folder(folder: Folder, session: ImapSession) -> FolderSyncResult:
    """Bring one folder's index in step with the server."""
    result = FolderSyncResult()
    asked = qresync_state(folder, session)
    selected = session.select(folder.name, readonly=True, qresync=asked)
    if folder.uidvalidity is not None and selected.uidvalidity != folder.uidvalidity:
        discard_index(folder)
        result.rebuilt, asked = True, None
    folder.uidvalidity = selected.uidvalidity
    if can_resync_cheaply(folder, selected, session):
        finish(folder, selected, recount=False)
        return result
    if asked and selected.qresync:
        removed, flag_updates = selected.vanished, selected.changed
        arrived = selected.uidnext != folder.uidnext
        new_uids = session.uids_since(folder.uidnext - 1) if arrived else []
    else:
        removed, new_uids, flag_updates = compare_with_server(folder, session)
    result.removed = remove_uids(folder, removed)
    result.flags_changed = apply_flag_updates(folder, flag_updates)
    result.added = fetch_new(folder, session, new_uids)
    thread_pending(folder)  # before finish: an interrupted pass is redone next time
    finish(folder, selected)
    return result


def qresync_state(folder: Folder, session: ImapSession) -> tuple[int, int] | None:
    """What to tell SELECT (QRESYNC) so the server sends only what changed."""
    if "QRESYNC" not in session.enabled or not folder.complete:
        return None
    if folder.uidvalidity is None or folder.highestmodseq is None:
        return None
    return folder.uidvalidity, folder.highestmodseq


def compare_with_server(folder: Folder, session: ImapSession):
    server_uids = set(session.all_uids())
    local_uids = set(Message.objects.filter(folder=folder).values_list("uid", flat=True))
    removed = local_uids - server_uids
    new_uids = server_uids - local_uids
    kept = sorted(local_uids & server_uids)
    if not kept:
        flag_updates = []
    elif session.condstore and folder.highestmodseq and folder.complete:
        flag_updates = session.fetch_flags(changed_since=folder.highestmodseq)
    else:
        flag_updates = session.fetch_flags(uids=kept)
    return removed, new_uids, flag_updates


def discard_index(folder: Folder) -> None:
    """A new UIDVALIDITY: nothing from the old epoch may be shown."""
    logger.info("UIDVALIDITY of folder %s changed: rebuilding its index", folder.pk)
    with transaction.atomic():
        Message.objects.filter(folder=folder).delete()
        folder.uidnext = folder.highestmodseq = folder.filtered_uid = None
        folder.complete = False
        folder.save(update_fields=["uidnext", "highestmodseq", "complete", "filtered_uid"])


def remove_uids(folder: Folder, uids) -> int:
    uids = list(uids)
    if not uids:
        return 0
    deleted, _ = Message.objects.filter(folder=folder, uid__in=uids).delete()
    return deleted


def fetch_new(folder: Folder, session: ImapSession, uids) -> int:
    """Newest first, one committed batch at a time: the latest mail shows at once
    and an interruption keeps every batch already stored."""
    newest_first = sorted(uids, reverse=True)
    if not newest_first:
        return 0
    if folder.complete:
        folder.complete = False
        folder.save(update_fields=["complete"])
    added = 0
    sections: dict[int, str] = {}  # what to preview, where the server gives no PREVIEW
    # While the server prepares the next batch and this thread parses one, the
    # previous one is written on the committer's thread: the waits overlap.
    with Committer(name="sync-commit") as committer:
        for summaries in session.fetch_summary_batches(batches(newest_first)):
            committer.submit(store_summaries, folder, summaries)
            added += len(summaries)
            sections |= wanting_preview(session, summaries)
    fill_previews(folder, session, sections)
    return added


def batches(uids: list[int]):
    yield uids[:FIRST_BATCH_SIZE]
    for start in range(FIRST_BATCH_SIZE, len(uids), BATCH_SIZE):
        yield uids[start : start + BATCH_SIZE]


def store_summaries(folder: Folder, summaries: list[MessageSummary]) -> None:
    """One batch of new messages into the index (on the committer's thread)."""
    upsert_summaries(folder, summaries)


def finish(folder: Folder, selected: SelectedFolder, *, recount: bool = True) -> None:
    folder.uidnext = selected.uidnext
    folder.highestmodseq = selected.highestmodseq
    folder.complete = True
    folder.last_synced_at = timezone.now()
    folder.save(
        update_fields=["uidvalidity", "uidnext", "highestmodseq", "complete", "last_synced_at"]
    )
    if not recount and folder_counts(folder.pk) is not None:
        return  # nothing changed: the counts in Redis still hold
    counts = Message.objects.filter(folder=folder).aggregate(
        total=Count("id"), unread=Count("id", filter=Q(is_seen=False))
    )
    store_folder_counts(folder.pk, counts["total"], counts["unread"])
