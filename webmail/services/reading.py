"""Opening messages: the raw message once from the server, then from storage."""

from django.db import transaction

from webmail import tasks
from webmail.mail.errors import ProtocolError
from webmail.mail.imap import open_imap
from webmail.mail.text import extract_text
from webmail.mailbox_state import bump_changes, forget_folder_counts
from webmail.models import Folder, Message
from webmail.models.messages import BodyState
from webmail.raw_store import read_raw, store_raw


class MessageGone(Exception):
    """The server no longer has this message (moved or deleted elsewhere)."""


def load_raw(message: Message) -> bytes:
    """The raw message: from storage if it was fetched before, else from the
    server once (BODY.PEEK: opening does not mark it read by itself)."""
    if message.raw_sha256:
        try:
            return read_raw(message.raw_sha256)
        except FileNotFoundError:
            if message.account.protocol != "imap":
                raise MessageGone(message.pk) from None  # POP3: ours was the only copy
            # IMAP: storage lost it, the server still has it
    raw = fetch_from_server(message)
    message.raw_sha256 = store_raw(raw, durable=False)  # the server keeps the original
    message.body_text = extract_text(raw)
    message.body_state = BodyState.INDEXED
    message.save(update_fields=["raw_sha256", "body_text", "body_state"])
    return raw


def fetch_from_server(message: Message) -> bytes:
    folder = message.folder
    with open_imap(folder.account.incoming_settings()) as session:
        selected = session.select(folder.name, readonly=True)
        if selected.uidvalidity != folder.uidvalidity:
            raise MessageGone(message.pk)
        try:
            return session.fetch_message(message.uid)
        except ProtocolError as error:
            if error.code == "nonexistent":
                raise MessageGone(message.pk) from error
            raise


def set_flags(messages: list[Message], *, seen: bool | None = None, flagged: bool | None = None):
    """Update the index at once; the server follows through a task per folder."""
    changes = {"is_seen": seen, "is_flagged": flagged}
    changes = {field: value for field, value in changes.items() if value is not None}
    add = [flag for flag, field in FLAG_FIELDS if changes.get(field) is True]
    remove = [flag for flag, field in FLAG_FIELDS if changes.get(field) is False]
    by_folder: dict[int, list[Message]] = {}
    for message in messages:
        by_folder.setdefault(message.folder_id, []).append(message)
        for name, value in changes.items():  # the page drawn next shows the new state
            setattr(message, name, value)
    with transaction.atomic():
        Message.objects.filter(pk__in=[m.pk for m in messages]).update(**changes)
        for group in by_folder.values():
            flags_to_server(group[0].folder, [m.uid for m in group], add, remove)
    if messages:
        bump_changes(messages[0].account.user_id)


def flags_to_server(folder: Folder, uids: list[int], add: list[str], remove: list[str]) -> None:
    """After the index changed the flags of ``uids``, in the same transaction."""
    forget_folder_counts(folder.pk)
    # Ahead of the server until the task lands: see actions.expect_divergence.
    Folder.objects.filter(pk=folder.pk).update(complete=False)
    if folder.account.protocol == "imap" and folder.uidvalidity is not None:
        tasks.apply_flags.delay_on_commit(folder.pk, uids, folder.uidvalidity, add, remove)


FLAG_FIELDS = [("\\Seen", "is_seen"), ("\\Flagged", "is_flagged")]
