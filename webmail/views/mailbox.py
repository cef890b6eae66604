from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render

from webmail.engine.imap_sync import sync_order
from webmail.models import Folder, MailAccount, Message

LIST_SIZE = 50


def folders_with_counts(user) -> list[MailAccount]:
    """Each account with its folders in display order and their unread counts."""
    folders = Folder.objects.annotate(
        unread=Count("messages", filter=Q(messages__is_seen=False)), total=Count("messages")
    )
    accounts = MailAccount.objects.filter(user=user).prefetch_related(
        Prefetch("folders", queryset=folders, to_attr="folder_list")
    )
    for account in accounts:
        account.folder_list.sort(key=sync_order)
    return list(accounts)


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
