"""What views and other apps do with POP3 accounts: options, fetching, storage used,
and moving mail between a POP3 account's local folders and an IMAP account."""

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from webmail.mail.imap import ImapSession, open_imap
from webmail.mail.imap_types import ANSWERED, DRAFT, FLAGGED, SEEN
from webmail.mail.text import extract_text
from webmail.mailbox_state import bump_changes
from webmail.models import Folder, MailAccount, Message, SpecialUse
from webmail.models.messages import BodyState
from webmail.pop3 import local, tasks
from webmail.pop3.engine import options_for
from webmail.pop3.headers import describe
from webmail.pop3.models import Pop3Options
from webmail.pop3.raw_files import RawBatch
from webmail.raw_store import read_raw
from webmail.services.filters import remember_moves

__all__ = [
    "StorageFull",
    "WrongAccount",
    "account_options",
    "keep_sent_copies",
    "keep_sent_copy",
    "move_from_imap",
    "move_to_imap",
    "options_for",
    "queue_fetch",
    "save_options",
    "storage_limit",
    "storage_used",
    "store_locally",
]

storage_used = local.storage_used
storage_limit = local.storage_limit
FLAG_FIELDS = [(SEEN, "is_seen"), (FLAGGED, "is_flagged"), (ANSWERED, "is_answered")]
FLAG_FIELDS += [(DRAFT, "is_draft")]


class StorageFull(Exception):
    """Keeping these messages here would exceed the person's storage limit."""


class WrongAccount(ValueError):
    """A move between accounts of different people, or of the wrong kinds."""


def queue_fetch(account: MailAccount) -> None:
    """Fetch this account soon (after the current transaction commits)."""
    tasks.fetch_pop3_account.delay_on_commit(account.pk)


def account_options(account: MailAccount) -> Pop3Options:
    """The options of a POP3 account, with its local folders in place to choose from."""
    local.ensure_local_folders(account)
    return options_for(account)


@transaction.atomic
def save_options(options: Pop3Options, *, fetch_interval_seconds: int) -> Pop3Options:
    """Save the options and the account's fetch interval together."""
    options.save()
    account = options.account
    account.sync_interval = fetch_interval_seconds
    account.save(update_fields=["sync_interval"])
    return options


def keep_sent_copy(account: MailAccount, raw: bytes) -> Message:
    """Keep a message sent from a POP3 account in its local Sent folder (what APPEND
    to Sent does for an IMAP account): stored durably, indexed, marked read."""
    [pk] = keep_sent_copies(account, [raw])
    return Message.objects.get(pk=pk)


def keep_sent_copies(account: MailAccount, raws: list[bytes]) -> list[int]:
    """Several at once: one durable write of the batch, one insert."""
    if not raws:
        return []
    sent = local.ensure_local_folders(account)[SpecialUse.SENT]
    files = RawBatch()
    digests = [files.add(raw) for raw in raws]
    files.durable()
    now = timezone.now()
    rows = []
    for raw, digest in zip(raws, digests, strict=True):
        row = local.message_row(sent, describe(raw), digest=digest, size=len(raw), now=now)
        row |= {"is_seen": True, "body_text": extract_text(raw), "body_state": BodyState.INDEXED}
        rows.append(row)
    ids = local.insert_rows(sent, rows)
    local.refresh_counts(sent, account.user_id)
    return ids


def move_to_imap(messages: list[Message], destination: Folder) -> int:
    """Move messages from POP3 local folders into an IMAP folder of another account
    of the same person: APPEND each stored raw message, then drop its local row.

    A message leaves here only once the server has it, so a failure midway leaves
    each message in one place or (at worst, a crash between the two) in both.
    Raises MailError when the server fails; returns how many moved."""
    _require_same_owner(messages, destination, source_protocol="pop3", target_protocol="imap")
    remember_moves_by_folder(messages, destination)
    moved: list[tuple[Message, int | None]] = []
    try:
        with open_imap(destination.account.incoming_settings()) as session:
            for message in messages:
                raw = read_raw(message.raw_sha256)
                flags = [flag for flag, name in FLAG_FIELDS if getattr(message, name)]
                uid = session.append(destination.name, raw, flags, message.internal_date)
                moved.append((message, uid))
    finally:
        _replace_local_rows(moved, destination)
    return len(moved)


def move_from_imap(messages: list[Message], destination: Folder) -> int:
    """Move messages from an IMAP folder into a POP3 account's local folder of the
    same person: fetch each raw message, store it durably and index it here, then
    remove it on the server (into its Trash; from the Trash, \\Deleted and UID
    EXPUNGE of exactly these UIDs). Returns how many moved."""
    _require_same_owner(messages, destination, source_protocol="imap", target_protocol="pop3")
    by_folder: dict[Folder, list[Message]] = defaultdict(list)
    for message in messages:
        by_folder[message.folder].append(message)
    if storage_used(destination.account.user) + sum(m.size for m in messages) > storage_limit():
        raise StorageFull
    remember_moves_by_folder(messages, destination)
    moved = 0
    for folder, group in by_folder.items():
        moved += _move_folder_from_imap(folder, group, destination)
    return moved


def remember_moves_by_folder(messages: list[Message], destination: Folder) -> None:
    """Filters leave the moved messages alone in an Inbox (services.filters)."""
    by_folder: dict[Folder, list[Message]] = defaultdict(list)
    for message in messages:
        by_folder[message.folder].append(message)
    for folder, group in by_folder.items():
        remember_moves(folder, destination, group)


def _move_folder_from_imap(folder: Folder, group: list[Message], destination: Folder) -> int:
    with open_imap(folder.account.incoming_settings()) as session:
        selected = session.select(folder.name, readonly=False)
        if selected.uidvalidity != folder.uidvalidity:
            return 0  # another epoch: these UIDs name other messages now
        raws = session.fetch_messages([message.uid for message in group])
        found = [message for message in group if message.uid in raws]
        _store_locally(found, raws, destination)
        _remove_on_server(session, folder, [message.uid for message in found])
    Message.objects.filter(pk__in=[message.pk for message in found]).delete()
    local.refresh_counts(folder, folder.account.user_id)
    return len(found)


def _store_locally(messages: list[Message], raws: dict[int, bytes], destination: Folder) -> None:
    items = []
    for message in messages:
        row = {"internal_date": message.internal_date}
        row |= {name: getattr(message, name) for _flag, name in FLAG_FIELDS}
        if message.body_state == BodyState.INDEXED:
            row |= {"body_text": message.body_text, "body_state": BodyState.INDEXED}
        items.append((raws[message.uid], row))
    # Durable and committed here before anything is removed on the server.
    store_locally(destination, items)


def store_locally(destination: Folder, items: list[tuple[bytes, dict]], *, along=None) -> list[int]:
    """Keep raw messages in a local folder: stored durably, then their rows inserted
    (in their conversations), each row with the values given beside its message
    (``internal_date``, flags …). ``along()`` runs in the insert's transaction (a
    record of progress commits with the rows, or neither does). Returns the ids."""
    files = RawBatch()
    rows = []
    now = timezone.now()
    for raw, values in items:
        digest = files.add(raw)
        when = values.get("internal_date") or now
        row = local.message_row(destination, describe(raw), digest=digest, size=len(raw), now=when)
        rows.append(row | values)
    files.durable()
    with transaction.atomic():
        ids = local.insert_rows(destination, rows)
        if along is not None:
            along()
    local.refresh_counts(destination, destination.account.user_id)
    return ids


def _remove_on_server(session: ImapSession, folder: Folder, uids: list[int]) -> None:
    if not uids:
        return
    trash = folder.account.folders.filter(special_use=SpecialUse.TRASH).first()
    if trash is not None and trash.pk != folder.pk:
        session.move(uids, trash.name)
    else:
        session.delete_permanently(uids)


def _replace_local_rows(moved: list[tuple[Message, int | None]], destination: Folder) -> None:
    """Drop the moved rows here; show them at once in the IMAP folder when the server
    told their UIDs (the next sync of that folder confirms them)."""
    if not moved:
        return
    rows = []
    if destination.uidvalidity is not None:
        for message, uid in moved:
            if uid is not None:
                rows.append(_imap_row(message, destination, uid))
    sources = {message.folder for message, _uid in moved}
    with transaction.atomic():
        Message.objects.filter(pk__in=[message.pk for message, _uid in moved]).delete()
        Message.objects.bulk_create(rows, ignore_conflicts=True)
    for folder in [*sources, destination]:
        local.refresh_counts(folder, destination.account.user_id)
    bump_changes(destination.account.user_id)


def _imap_row(message: Message, destination: Folder, uid: int) -> Message:
    copied = {
        field.attname: getattr(message, field.attname)
        for field in Message._meta.concrete_fields
        if not field.primary_key
    }
    copied |= {"account_id": destination.account_id, "folder_id": destination.pk}
    return Message(**copied | {"uid": uid, "modseq": None})


def _require_same_owner(messages, destination: Folder, *, source_protocol, target_protocol):
    owner = destination.account.user_id
    if destination.account.protocol != target_protocol:
        raise WrongAccount(f"the destination is not a {target_protocol} folder")
    for message in messages:
        if message.account.user_id != owner or message.account.protocol != source_protocol:
            raise WrongAccount(f"message {message.pk} cannot move there")
