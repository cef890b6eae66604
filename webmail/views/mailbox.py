from django.db.models import Count, Prefetch, Q

from webmail.engine.imap_sync import sync_order
from webmail.mailbox_state import many_folder_counts, store_folder_counts
from webmail.models import Folder, MailAccount


def folders_with_counts(user) -> list[MailAccount]:
    """Each account with its folders in display order and their counts: from
    Redis, rebuilt from the database for any folder Redis does not know."""
    accounts = MailAccount.objects.filter(user=user).prefetch_related(
        Prefetch("folders", queryset=Folder.objects.all(), to_attr="folder_list")
    )
    accounts = list(accounts)
    for account in accounts:
        account.folder_list.sort(key=sync_order)
    attach_counts([folder for account in accounts for folder in account.folder_list])
    return accounts


def attach_counts(folders: list[Folder]) -> None:
    missing = []
    known = many_folder_counts([folder.pk for folder in folders])
    for folder in folders:
        counts = known.get(folder.pk)
        if counts is None:
            missing.append(folder)
        else:
            folder.total, folder.unread = counts
    if not missing:
        return
    rows = Folder.objects.filter(pk__in=[f.pk for f in missing]).annotate(
        total=Count("messages"), unread=Count("messages", filter=Q(messages__is_seen=False))
    )
    by_pk = {row.pk: row for row in rows}
    for folder in missing:
        folder.total, folder.unread = by_pk[folder.pk].total, by_pk[folder.pk].unread
        store_folder_counts(folder.pk, folder.total, folder.unread)
