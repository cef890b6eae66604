"""Create, rename and delete folders: the index changes at once; for IMAP accounts
a task then makes the same change on the server (engine/folder_admin.py).

POP3 accounts' folders live only here, so the change is all there is."""

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from webmail import tasks
from webmail.mailbox_state import bump_changes, forget_folder_counts
from webmail.models import Folder, MailAccount, Message

MAX_NAME_LENGTH = 200
DEFAULT_DELIMITER = "/"


class FolderNameError(ValueError):
    """A name that cannot be used; the text says why, for the person."""


def delimiter_of(account: MailAccount) -> str:
    """The hierarchy separator the server uses (every folder of an account shares one)."""
    found = account.folders.exclude(delimiter="").values_list("delimiter", flat=True).first()
    return found or DEFAULT_DELIMITER


def subtree(folder: Folder) -> list[Folder]:
    """The folder and every folder nested under it."""
    prefix = folder.name + (folder.delimiter or delimiter_of(folder.account))
    return list(
        folder.account.folders.filter(Q(pk=folder.pk) | Q(name__startswith=prefix)).order_by("name")
    )


def is_protected(folder: Folder) -> bool:
    """Special folders (Inbox, Sent, Trash…) cannot be renamed or deleted by accident."""
    return bool(folder.special_use) or folder.name.upper() == "INBOX"


def full_name(account: MailAccount, leaf: str, parent: Folder | None) -> str:
    leaf = leaf.strip()
    delimiter = parent.delimiter if parent and parent.delimiter else delimiter_of(account)
    if not leaf:
        raise FolderNameError(_("Give the folder a name."))
    if len(leaf) > MAX_NAME_LENGTH:
        raise FolderNameError(_("This name is too long."))
    if any(ord(character) < 0x20 or ord(character) == 0x7F for character in leaf):
        raise FolderNameError(_("A folder name cannot contain control characters."))
    if delimiter in leaf:
        raise FolderNameError(
            _("A folder name cannot contain “%(delimiter)s” on this account.")
            % {"delimiter": delimiter}
        )
    name = f"{parent.name}{delimiter}{leaf}" if parent else leaf
    if name.upper() == "INBOX" or account.folders.filter(name=name).exists():
        raise FolderNameError(_("A folder with this name already exists."))
    return name


def changed(account: MailAccount, *folders: Folder) -> None:
    for folder in folders:
        forget_folder_counts(folder.pk)
    bump_changes(account.user_id)


@transaction.atomic
def create_folder(account: MailAccount, leaf: str, parent: Folder | None = None) -> Folder:
    name = full_name(account, leaf, parent)
    folder = Folder.objects.create(
        account=account,
        name=name,
        delimiter=parent.delimiter if parent else delimiter_of(account),
        # A local folder is complete as it is; an IMAP one waits for its first sync.
        complete=account.protocol == "pop3",
    )
    if account.protocol == "imap":
        tasks.create_folder.delay_on_commit(account.pk, name)
    changed(account, folder)
    return folder


@transaction.atomic
def rename_folder(folder: Folder, leaf: str) -> Folder:
    """Rename in place (the folder keeps its parent); nested folders follow."""
    if is_protected(folder):
        raise FolderNameError(_("Special folders cannot be renamed."))
    account, delimiter = folder.account, folder.delimiter or delimiter_of(folder.account)
    parent_name, _sep, _leaf = folder.name.rpartition(delimiter)
    parent = account.folders.filter(name=parent_name).first() if parent_name else None
    new_name = full_name(account, leaf, parent)
    old_name = folder.name
    for member in subtree(folder):
        member.name = new_name + member.name[len(old_name) :]
        member.save(update_fields=["name"])
    if account.protocol == "imap":
        tasks.rename_folder.delay_on_commit(account.pk, old_name, new_name)
    folder.refresh_from_db()
    changed(account, folder)
    return folder


def message_count(folder: Folder) -> int:
    return Message.objects.filter(folder__in=subtree(folder)).count()


@transaction.atomic
def delete_folder(folder: Folder) -> None:
    """Delete the folder, its nested folders and every message in them."""
    if is_protected(folder):
        raise FolderNameError(_("Special folders cannot be deleted."))
    members = subtree(folder)
    names = [member.name for member in members]
    account = folder.account
    Folder.objects.filter(pk__in=[member.pk for member in members]).delete()
    if account.protocol == "imap":
        tasks.delete_folders.delay_on_commit(account.pk, names)
    changed(account, *members)
