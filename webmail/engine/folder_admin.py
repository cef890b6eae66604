"""Folder changes a person makes, applied on the IMAP server.

The index shows the change at once (services/folder_admin.py); here the server
follows. Whatever the server answers, the folder list is mirrored again
afterwards, so a refused change is undone in the index by the truth."""

from webmail.engine.account_sync import run_guarded
from webmail.engine.imap_sync import sync_folder_list
from webmail.mail.errors import ConnectError, MailError, TemporaryError
from webmail.mail.imap import ImapSession
from webmail.mailbox_state import notify
from webmail.models import MailAccount

REFUSED = "folder_refused"


def create(session: ImapSession, name: str) -> None:
    session.create_folder(name)


def rename(session: ImapSession, old: str, new: str) -> None:
    session.rename_folder(old, new)


def delete(session: ImapSession, names: list[str]) -> None:
    """Deepest first: some servers refuse to delete a folder that has children."""
    for name in sorted(names, key=len, reverse=True):
        session.delete_folder(name)


def apply_on_server(account: MailAccount, change) -> None:
    """Run ``change(session)``; tell the person if the server refused, then mirror
    the server's folder list whatever happened."""

    def work(session: ImapSession) -> None:
        try:
            change(session)
        except (ConnectError, TemporaryError):
            raise
        except MailError:
            notify(account.user_id, REFUSED)
        sync_folder_list(account, session)

    run_guarded(account, work, record_success=False)
