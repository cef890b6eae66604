"""Actions on a whole list rather than a selection: mark every message read
(Thunderbird's "Mark Folder Read"), empty the Trash or the Junk folder (Gmail's
"Empty Trash now").

Both act on what the person saw: messages indexed up to ``through``, the newest
message id when the page was drawn. Mail that arrives in between is neither
marked read nor deleted without having been shown.
"""

from collections import defaultdict

from django.db import transaction

from webmail.mailbox_state import bump_changes
from webmail.models import Folder, Message
from webmail.services.actions import remove_rows
from webmail.services.conversations import BINS
from webmail.services.reading import flags_to_server

SEEN = "\\Seen"


class NotABin(Exception):
    """Only the Trash and the Junk folder are emptied in one go."""


def newest_message_id() -> int:
    """The ``through`` of a page drawn now (message ids only grow)."""
    return Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def mark_all_read(user, messages, through: int) -> int:
    """Mark the person's unread ``messages`` (a folder's, a unified view's) read:
    the index at once, each folder's server by one task. Returns how many."""
    unread = messages.filter(account__user=user, is_seen=False, pk__lte=through)
    with transaction.atomic():
        uids_by_folder: dict[int, list[int]] = defaultdict(list)
        for folder_id, uid in unread.values_list("folder_id", "uid"):
            uids_by_folder[folder_id].append(uid)
        if not uids_by_folder:
            return 0
        count = unread.update(is_seen=True)
        folders = Folder.objects.select_related("account").in_bulk(list(uids_by_folder))
        for folder_id, uids in uids_by_folder.items():
            flags_to_server(folders[folder_id], uids, [SEEN], [])
    bump_changes(user.pk)
    return count


def messages_to_empty(folder: Folder, through: int):
    if folder.special_use not in BINS:
        raise NotABin(folder.pk)
    return folder.messages.filter(pk__lte=through)


def empty_folder(folder: Folder, through: int) -> int:
    """Delete for good every message of a Trash or Junk folder shown up to
    ``through``, here and on the server (by UID). Returns how many."""
    rows = list(messages_to_empty(folder, through).values_list("pk", "uid"))
    if not rows:
        return 0
    remove_rows(folder, [pk for pk, _uid in rows], [uid for _pk, uid in rows])
    bump_changes(folder.account.user_id)
    return len(rows)
