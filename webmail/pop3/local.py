"""Courriel's own store for POP3 accounts: local folders, local UIDs, rows made from
raw messages, and the per-person storage limit."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Max, Q, Sum

from webmail.engine import threads
from webmail.engine.copy_rows import reserve_ids
from webmail.mail.threading import ThreadInput
from webmail.mailbox_state import bump_changes, store_folder_counts
from webmail.models import Folder, MailAccount, Message, SpecialUse
from webmail.models.messages import BodyState
from webmail.pop3 import bulk_copy
from webmail.pop3.headers import MessageFields
from webmail.sitesettings import site_settings

LOCAL_FOLDERS = [
    ("INBOX", SpecialUse.INBOX),
    ("Sent", SpecialUse.SENT),
    ("Drafts", SpecialUse.DRAFTS),
    ("Archive", SpecialUse.ARCHIVE),
    ("Junk", SpecialUse.JUNK),
    ("Trash", SpecialUse.TRASH),
]
LOCAL_DELIMITER = "/"
# A Received date further ahead than this is a broken clock, not a delivery time.
CLOCK_SKEW = timedelta(days=1)


def ensure_local_folders(account: MailAccount) -> dict[str, Folder]:
    """The account's special folders by special use, created the first time (running
    it again, or twice at once, creates nothing more)."""
    folders = {folder.special_use: folder for folder in account.folders.exclude(special_use="")}
    missing = [
        Folder(
            account=account,
            name=name,
            delimiter=LOCAL_DELIMITER,
            special_use=use,
            complete=True,  # nothing to sync: the folder is whatever is stored here
        )
        for name, use in LOCAL_FOLDERS
        if use not in folders
    ]
    if missing:
        Folder.objects.bulk_create(missing, ignore_conflicts=True)
        folders = {f.special_use: f for f in account.folders.exclude(special_use="")}
    return folders


def allocate_uids(folder: Folder, count: int) -> int:
    """The first of ``count`` new local UIDs of ``folder`` (increasing, never reused).
    Call inside the transaction that inserts the rows: the folder row stays locked
    until it commits, so concurrent movers get distinct UIDs."""
    locked = Folder.objects.select_for_update().only("uidnext").get(pk=folder.pk)
    # Rows may have been numbered without the counter (a move taking the highest + 1).
    highest = Message.objects.filter(folder=folder).aggregate(top=Max("uid"))["top"] or 0
    first = max(locked.uidnext or 1, highest + 1)
    Folder.objects.filter(pk=folder.pk).update(uidnext=first + count)
    return first


def message_row(
    folder: Folder, fields: MessageFields, *, digest: str, size: int, now: datetime
) -> dict:
    """The values of a new Message row (by attribute name) for a raw message stored
    here; its search text comes later (``engine.index_local_bodies``)."""
    received = fields.received if fields.received and fields.received <= now + CLOCK_SKEW else None
    return {
        "account_id": folder.account_id,
        "folder_id": folder.pk,
        "message_id": fields.message_id,
        "in_reply_to": fields.in_reply_to,
        "references": fields.references,
        "subject": fields.subject,
        "from_name": fields.from_name,
        "from_email": fields.from_email,
        "to": fields.to,
        "cc": fields.cc,
        "reply_to": fields.reply_to,
        "date": fields.date,
        "internal_date": received or now,
        "size": size,
        "has_attachments": fields.has_attachments,
        "preview": fields.preview,
        "raw_sha256": digest,
        "body_state": BodyState.PENDING,
    }


def refresh_counts(folder: Folder, user_id: int) -> None:
    """Counts to Redis and a change to the live views, after a commit."""
    counts = Message.objects.filter(folder=folder).aggregate(
        total=Count("id"), unread=Count("id", filter=Q(is_seen=False))
    )
    store_folder_counts(folder.pk, counts["total"], counts["unread"])
    bump_changes(user_id, folder.pk)


def storage_limit() -> int:
    """Octets each person may keep here: the admin's site settings decide."""
    return site_settings().storage_limit_bytes


def storage_used(user) -> int:
    """Octets of mail a person keeps in Courriel's own store (their POP3 accounts);
    IMAP mail lives on its server and does not count."""
    used = Message.objects.filter(account__user=user, account__protocol="pop3").aggregate(
        total=Sum("size")
    )["total"]
    return used or 0


@transaction.atomic
def insert_rows(folder: Folder, rows: list[dict]) -> list[int]:
    """Insert Message rows (values by attribute name, see ``message_row``) with the
    next local UIDs of ``folder``, each in its conversation on PostgreSQL (elsewhere
    ``threads.thread_pending`` threads them later); returns their ids, in order."""
    first = allocate_uids(folder, len(rows))
    for offset, row in enumerate(rows):
        row["uid"] = first + offset
    if not bulk_copy.available():
        return [message.pk for message in Message.objects.bulk_create([Message(**r) for r in rows])]
    with transaction.atomic():
        ids = reserve_ids(Message, len(rows))
        plan = threads.plan_conversations(
            folder.account_id,
            [
                ThreadInput(pk, *(row[name] for name in threads.FIELDS[1:]))
                for pk, row in zip(ids, rows, strict=True)
            ],
        )
        for pk, row in zip(ids, rows, strict=True):
            row["thread_id"] = plan.thread_of[pk]
        bulk_copy.copy_rows(Message, rows, ids=ids)
    return ids
