"""What a person does to messages: the index changes at once, the server follows."""

from collections import defaultdict

from django.db import transaction

from webmail import tasks
from webmail.mailbox_state import bump_changes, forget_folder_counts
from webmail.models import Folder, Message, SpecialUse
from webmail.pop3.local import allocate_uids
from webmail.services import undo
from webmail.services.filters import remember_moves
from webmail.services.reading import set_flags

FLAG_ACTIONS = {
    "read": {"seen": True},
    "unread": {"seen": False},
    "flag": {"flagged": True},
    "unflag": {"flagged": False},
}
MOVE_TARGETS = {
    "archive": SpecialUse.ARCHIVE,
    "spam": SpecialUse.JUNK,
    "not_spam": SpecialUse.INBOX,
    "delete": SpecialUse.TRASH,
}
ACTIONS = {*FLAG_ACTIONS, *MOVE_TARGETS, "move"}


class NoSuchFolder(Exception):
    """The account has no folder for this action (e.g. no Archive)."""


def owned_messages(user, ids) -> list[Message]:
    return list(
        Message.objects.select_related("folder__account").filter(pk__in=ids, account__user=user)
    )


def act_on_messages(
    user,
    ids,
    action: str,
    destination_id: int | None = None,
    undo_token: str | None = None,
    *,
    add_flags: list[str] | None = None,
) -> int:
    """Apply ``action`` to the person's messages among ``ids``; returns how many.
    With ``undo_token``, the moves it makes can be undone by it (services.undo);
    ``add_flags`` (IMAP) are stored on the server just before it moves them."""
    messages = owned_messages(user, ids)
    if not messages:
        return 0
    if action in FLAG_ACTIONS:
        set_flags(messages, **FLAG_ACTIONS[action])
        return len(messages)
    by_folder = defaultdict(list)
    for message in messages:
        by_folder[message.folder].append(message)
    for folder, group in by_folder.items():
        destination = destination_for(folder, action, destination_id)
        if destination is None:
            remove(folder, group)
        elif destination != folder:
            move(folder, group, destination, undo_token, add_flags=add_flags)
    bump_changes(user.pk)
    return len(messages)


def destination_for(folder: Folder, action: str, destination_id: int | None) -> Folder | None:
    """None means "delete for good": deleting what is already in the Trash."""
    if action == "move":
        return Folder.objects.get(pk=destination_id, account=folder.account)
    if action == "delete" and folder.special_use == SpecialUse.TRASH:
        return None
    target = folder.account.folders.filter(special_use=MOVE_TARGETS[action]).first()
    if target is None:
        raise NoSuchFolder(MOVE_TARGETS[action])
    return target


def expect_divergence(folder: Folder) -> None:
    """The index runs ahead of the server until the task lands: the next sync of
    this folder must compare everything, not trust HIGHESTMODSEQ (which a refused
    change leaves untouched)."""
    Folder.objects.filter(pk=folder.pk).update(complete=False)


@transaction.atomic
def move(
    folder: Folder,
    messages: list[Message],
    destination: Folder,
    undo_token: str | None = None,
    *,
    add_flags: list[str] | None = None,
) -> None:
    forget_folder_counts(folder.pk)
    forget_folder_counts(destination.pk)
    remember_moves(folder, destination, messages)
    if undo_token:
        pks = [message.pk for message in messages]
        undo.remember_move(undo_token, folder.account.user_id, folder, destination, pks)
    if folder.account.protocol == "pop3":
        return move_locally(messages, destination)
    # The new UIDs are the server's to give: the rows leave now, and the sync
    # of the destination that follows the MOVE brings them back there.
    uids = [message.uid for message in messages]
    expect_divergence(folder)
    Message.objects.filter(pk__in=[m.pk for m in messages]).only("pk").delete()
    tasks.move_messages.delay_on_commit(
        folder.pk, uids, folder.uidvalidity, destination.pk, undo_token, add_flags
    )


def move_locally(messages: list[Message], destination: Folder) -> None:
    """POP3 local folders: Courriel numbers the messages itself, under a lock."""
    first = allocate_uids(destination, len(messages))
    for offset, message in enumerate(messages):
        message.folder, message.uid = destination, first + offset
    Message.objects.bulk_update(messages, ["folder", "uid"])


def remove(folder: Folder, messages: list[Message]) -> None:
    remove_rows(folder, [m.pk for m in messages], [m.uid for m in messages])


@transaction.atomic
def remove_rows(folder: Folder, pks: list[int], uids: list[int]) -> None:
    """Delete for good: the rows now, the server's copies (by UID) in a task."""
    forget_folder_counts(folder.pk)
    expect_divergence(folder)
    # Only the ids: Django loads every row it deletes (two SET_NULL relations point
    # here), and a Trash of 20,000 bodies took 260 MB that way.
    Message.objects.filter(pk__in=pks).only("pk").delete()
    if folder.account.protocol == "imap":
        tasks.delete_messages.delay_on_commit(folder.pk, uids, folder.uidvalidity)
