"""Changes a person makes, applied on the IMAP server after the index shows them.

Each carries the UIDs and the UIDVALIDITY it was made against: if the folder's
epoch changed meanwhile, the UIDs mean other messages now, and nothing is done."""

import logging

from webmail.mail.imap import open_imap
from webmail.models import Folder

logger = logging.getLogger(__name__)


class StaleEpoch(Exception):
    """The folder was rebuilt on the server since the action was made."""


def store_flags(folder: Folder, uids: list[int], uidvalidity: int, *, add=(), remove=()) -> None:
    with open_imap(folder.account.incoming_settings()) as session:
        selected = session.select(folder.name, readonly=False)
        if selected.uidvalidity != uidvalidity:
            raise StaleEpoch(folder.pk)
        session.store_flags(uids, add=add, remove=remove)


def move_messages(
    folder: Folder, uids: list[int], uidvalidity: int, destination: Folder, add_flags=()
) -> dict[int, int]:
    """Returns {UID here: UID there} as the server reports it (COPYUID).
    ``add_flags`` are stored first, in the same session: a flag change queued
    alongside could otherwise run after the move, on UIDs gone from here."""
    with open_imap(folder.account.incoming_settings()) as session:
        selected = session.select(folder.name, readonly=False)
        if selected.uidvalidity != uidvalidity:
            raise StaleEpoch(folder.pk)
        if add_flags:
            session.store_flags(uids, add=add_flags)
        return session.move(uids, destination.name)


def delete_messages(folder: Folder, uids: list[int], uidvalidity: int) -> None:
    with open_imap(folder.account.incoming_settings()) as session:
        selected = session.select(folder.name, readonly=False)
        if selected.uidvalidity != uidvalidity:
            raise StaleEpoch(folder.pk)
        session.delete_permanently(uids)
