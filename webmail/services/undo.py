"""Undo for moves (archive, delete to the Trash, spam, move), as in Gmail: for
a while after the action, one click puts the messages back.

An IMAP move reaches the server by a task. Undone before the task runs, it is
cancelled: the server never moved anything, and a resync of the folder brings
its rows back. Undone after, a task moves the messages back by the UIDs the
server gave them (COPYUID). Whichever of the task and the undo comes first
claims the move in Redis, so the two never both act. POP3 folders are
Courriel's own: their rows simply go back.

With the cache down, moves go on as ever and no undo is offered.
"""

import secrets

from django.core.cache import cache
from django.db import transaction

from webmail.mailbox_state import bump_changes, forget_folder_counts, quietly
from webmail.models import Folder, Message

UNDO_SECONDS = 10 * 60
APPLY, CANCEL = "apply", "cancel"


def new_token() -> str:
    return secrets.token_urlsafe(16)


def _key(token: str, *parts) -> str:
    return ":".join(["undo", token, *map(str, parts)])


def remember_move(
    token: str, user_id: int, source: Folder, destination: Folder, pks: list[int]
) -> None:
    """What undoing ``token`` will have to do for one source folder."""
    move = {
        "source": source.pk,
        "destination": destination.pk,
        "local": source.account.protocol != "imap",
        "pks": pks,
    }

    def remember():
        entry = cache.get(_key(token)) or {"user": user_id, "moves": []}
        entry["moves"].append(move)
        cache.set(_key(token), entry, UNDO_SECONDS)

    quietly(remember)


def can_undo(token: str) -> bool:
    return quietly(lambda: cache.get(_key(token)) is not None, default=False)


def claim(token: str, source_id: int, how: str) -> bool:
    """True for the first of the move task (APPLY) and the undo (CANCEL), and
    again for it alone (a retried task). Without the cache, the move goes ahead."""
    key = _key(token, source_id, "claim")
    return quietly(
        lambda: cache.add(key, how, UNDO_SECONDS) or cache.get(key) == how,
        default=how == APPLY,
    )


def remember_new_uids(token: str, source_id: int, uidvalidity: int | None, uids: list[int]) -> None:
    """Written by the move task once the server answered (empty: nothing to move back)."""
    moved = {"uidvalidity": uidvalidity, "uids": uids}
    quietly(lambda: cache.set(_key(token, source_id, "moved"), moved, UNDO_SECONDS))


def new_uids(token: str, source_id: int) -> dict | None:
    return quietly(lambda: cache.get(_key(token, source_id, "moved")))


def undo(user, token: str) -> bool:
    """Put back what ``token`` moved; False when there is nothing (left) to undo."""
    from webmail import tasks  # tasks import this module

    entry = quietly(lambda: cache.get(_key(token)))
    if not entry or entry["user"] != user.pk or not quietly(lambda: cache.delete(_key(token))):
        return False  # unknown, someone else's, expired, undone already, or no cache
    for move in entry["moves"]:
        if move["local"]:
            move_rows_back(move)
        elif claim(token, move["source"], CANCEL):
            tasks.sync_folder.delay(move["source"])  # never moved: the resync shows them again
        else:
            tasks.move_back.delay(token, move["source"], move["destination"])
    bump_changes(user.pk)
    return True


@transaction.atomic
def move_rows_back(move: dict) -> None:
    from webmail.services.actions import move_locally

    source = Folder.objects.get(pk=move["source"])
    rows = list(Message.objects.filter(pk__in=move["pks"], folder_id=move["destination"]))
    forget_folder_counts(source.pk)
    forget_folder_counts(move["destination"])
    if rows:
        move_locally(rows, source)
