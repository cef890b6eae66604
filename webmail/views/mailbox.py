from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render

from webmail.engine.imap_sync import sync_order
from webmail.mailbox_state import folder_counts, store_folder_counts
from webmail.models import Folder, MailAccount, Message

LIST_SIZE = 50


def folders_with_counts(user) -> list[MailAccount]:
    """Each account with its folders in display order and their counts: from
    Redis, rebuilt from the database for any folder Redis does not know."""
    accounts = MailAccount.objects.filter(user=user).prefetch_related(
        Prefetch("folders", queryset=Folder.objects.all(), to_attr="folder_list")
    )
    for account in accounts:
        account.folder_list.sort(key=sync_order)
        attach_counts(account.folder_list)
    return list(accounts)


def attach_counts(folders: list[Folder]) -> None:
    missing = []
    for folder in folders:
        counts = folder_counts(folder.pk)
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


def newest_in_inboxes(user) -> list[Message]:
    """The "All inboxes" view: newest first across every account, from the index."""
    return list(
        Message.objects.filter(account__user=user, folder__special_use="inbox")
        .select_related("account")
        .only(
            "subject", "from_name", "from_email", "preview", "internal_date", "is_seen",
            "is_flagged", "has_attachments", "account__email",
        )
        .order_by("-internal_date", "-id")[:LIST_SIZE]
    )  # fmt: skip


@login_required
def home(request):
    context = {
        "accounts": folders_with_counts(request.user),
        "messages_list": newest_in_inboxes(request.user),
    }
    return render(request, "webmail/home.html", context)
