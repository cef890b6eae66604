"""Folders renamed on the server by another client, told from deleted + created.

IMAP announces no renames: the next LIST simply lacks the old name and has a new
one. RENAME keeps the mailbox's UIDVALIDITY (RFC 9051 section 6.3.6: its UIDs stay
valid), so a vanished folder and a new one with the same UIDVALIDITY are the same
folder under another name, and its index can follow it instead of being downloaded
again. Only unambiguous pairs count: some servers give folders made in the same
second the same UIDVALIDITY.
"""

import logging
from collections import defaultdict

from webmail.mail.errors import MailError
from webmail.mail.imap import ImapSession
from webmail.mail.imap_types import FolderInfo
from webmail.models import Folder

logger = logging.getLogger(__name__)


def find_renames(
    session: ImapSession, gone: list[Folder], appeared: list[FolderInfo]
) -> dict[str, str]:
    """Old name → new name for each folder of ``gone`` found again in ``appeared``.
    Asks the server for the STATUS of new folders only when an indexed folder
    vanished in the same listing."""
    gone_by_validity = defaultdict(list)
    for folder in gone:
        if folder.uidvalidity is not None:
            gone_by_validity[folder.uidvalidity].append(folder)
    if not gone_by_validity:
        return {}
    appeared_by_validity = defaultdict(list)
    for info in appeared:
        if info.selectable and (validity := _uidvalidity(session, info.name)) is not None:
            appeared_by_validity[validity].append(info)
    renames = {}
    for validity, folders in gone_by_validity.items():
        candidates = appeared_by_validity.get(validity, [])
        if len(folders) == 1 and len(candidates) == 1:
            renames[folders[0].name] = candidates[0].name
    return renames


def _uidvalidity(session: ImapSession, name: str) -> int | None:
    try:
        return session.folder_status(name).uidvalidity
    except MailError as error:  # gone again, or not readable: not a rename target
        logger.info("no STATUS for a new folder: %s", error)
        return None
