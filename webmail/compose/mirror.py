"""The copy of a draft in the account's IMAP Drafts folder (run by tasks, never by views).

Each save APPENDs the new version, then deletes the ones before: by UID, and
by the Message-ID all versions share (servers without UIDPLUS, or a version a
cut connection left behind): the server never holds less than the latest
version. A lock per draft keeps two workers from appending the same version twice.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

from webmail import tasks
from webmail.compose.building import draft_copy
from webmail.compose.models import Draft
from webmail.mail.compose import MESSAGE_ID
from webmail.mail.errors import MailError
from webmail.mail.imap import ImapSession, open_imap
from webmail.mailbox_state import forget_folder_counts
from webmail.models import Folder, MailAccount, Message, SpecialUse

logger = logging.getLogger(__name__)

DRAFT_FLAGS = ["\\Draft", "\\Seen"]
DEFAULT_DRAFTS_FOLDER = "Drafts"
LOCK_SECONDS = 120


class DraftBusy(Exception):
    """Another worker is writing this draft to the server; try again shortly."""


@contextmanager
def draft_lock(draft_id: int) -> Iterator[None]:
    key = f"compose:draft-lock:{draft_id}"
    if not cache.add(key, 1, timeout=LOCK_SECONDS):
        raise DraftBusy(draft_id)
    try:
        yield
    finally:
        cache.delete(key)


def mirror_draft(draft_id: int) -> bool:
    """Bring the server's copy up to the draft's latest version. True if it wrote one."""
    draft = Draft.objects.select_related("account", "identity").filter(pk=draft_id).first()
    if draft is None or draft.account.protocol != "imap" or draft.state != "editing":
        return False
    if draft.version == draft.server_version or (draft.is_empty and draft.server_uid is None):
        return False
    with draft_lock(draft_id):
        draft.refresh_from_db()
        version = draft.version
        try:
            raw = draft_copy(draft)
        except ValueError as error:  # e.g. a line break forced into a header: never filed
            Draft.objects.filter(pk=draft_id).update(server_error=f"unbuildable: {error}")
            return False
        try:
            with open_imap(draft.account.incoming_settings()) as session:
                folder = drafts_folder(draft.account, session)
                uid = session.append(folder, raw, flags=DRAFT_FLAGS)
                uidvalidity = session.select(folder, readonly=False).uidvalidity
                _delete_previous(session, draft)
                uid = _keep_only_newest(session, folder, draft.message_id, uid)
        except MailError as error:
            Draft.objects.filter(pk=draft_id).update(server_error=f"{error.code}: {error.detail}")
            raise
        Draft.objects.filter(pk=draft_id).update(
            server_version=version,
            server_folder=folder,
            server_uidvalidity=uidvalidity,
            server_uid=uid,
            server_error="",
        )
    _forget_in_index(draft, folder)
    return True


def remove_server_copy(draft: Draft) -> None:
    """Delete the draft's copy on the server (after it was sent)."""
    if draft.server_uid is None or draft.account.protocol != "imap":
        return
    with draft_lock(draft.pk):
        draft.refresh_from_db()
        with open_imap(draft.account.incoming_settings()) as session:
            _delete_previous(session, draft)
        Draft.objects.filter(pk=draft.pk).update(server_uid=None, server_version=0)
    _forget_in_index(draft, draft.server_folder)


def delete_copy(account: MailAccount, folder: str, uidvalidity: int, uid: int) -> None:
    """Delete a copy whose draft is gone (discarded, or moved to another account)."""
    gone = Draft(account=account, server_folder=folder, server_uidvalidity=uidvalidity,
                 server_uid=uid)  # fmt: skip
    with open_imap(account.incoming_settings()) as session:
        _delete_previous(session, gone)
    _forget_in_index(gone, folder)


def _delete_previous(session: ImapSession, draft: Draft) -> None:
    if draft.server_uid is None:
        return
    selected = session.select(draft.server_folder, readonly=False)
    if selected.uidvalidity != draft.server_uidvalidity:
        return  # another epoch: that UID names some other message now
    session.delete_permanently([draft.server_uid])


def _keep_only_newest(session: ImapSession, folder: str, message_id: str, newest):
    """Delete other versions of the draft in ``folder``; returns the newest's UID
    (the APPENDUID, or else the highest UID with the draft's Message-ID)."""
    if not MESSAGE_ID.fullmatch(message_id or ""):
        return newest
    session.select(folder, readonly=False)
    found = session.uids_with_message_id(message_id)
    newest = newest or max(found, default=None)
    older = [uid for uid in found if uid != newest]
    if older:
        session.delete_permanently(older)
    return newest


def _forget_in_index(old: Draft, synced_folder: str) -> None:
    """The old version leaves the index now; a sync of Drafts brings the new one."""
    folders = Folder.objects.filter(account=old.account)
    previous = folders.filter(name=old.server_folder).first()
    if previous and old.server_uid is not None and old.server_uidvalidity == previous.uidvalidity:
        Message.objects.filter(folder=previous, uid=old.server_uid).delete()
        forget_folder_counts(previous.pk)
    if folder := folders.filter(name=synced_folder).first():
        tasks.sync_folder.delay(folder.pk)


def drafts_folder(account: MailAccount, session: ImapSession) -> str:
    known = Folder.objects.filter(account=account, special_use=SpecialUse.DRAFTS)
    if name := known.values_list("name", flat=True).first():
        return name
    listed = session.list_folders()
    name = next((f.name for f in listed if f.special_use == "\\Drafts"), None)
    if name is None:
        name = DEFAULT_DRAFTS_FOLDER
        if all(f.name != name for f in listed):
            session.create_folder(name)
    return name
