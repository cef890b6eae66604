"""Message lists: one folder, or a unified view across every account."""

from datetime import datetime

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Q
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localdate, localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from webmail.models import Folder, MailAccount, Message, SpecialUse, preferences_for
from webmail.models.preferences import ListMode
from webmail.services import undo
from webmail.services.actions import ACTIONS, NoSuchFolder, act_on_messages
from webmail.services.conversations import (
    BINS,
    messages_of_conversations,
    newest_of_each_conversation,
    summarize,
)
from webmail.services.list_actions import newest_message_id
from webmail.services.search import search_messages
from webmail.views.mailbox import folders_with_counts

PAGE_SIZE = 50
PLACEHOLDER_ID = 987654321
SEARCH_WINDOW = 2000
UNIFIED = {  # title, which folders, which of their messages
    "inbox": (_("All inboxes"), Q(special_use="inbox"), Q()),
    "unread": (_("Unread"), ~Q(special_use__in=["trash", "junk"]), Q(is_seen=False)),
    "flagged": (_("Flagged"), Q(), Q(is_flagged=True)),
}
LIST_FIELDS = [
    "subject", "from_name", "from_email", "preview", "internal_date", "is_seen",
    "is_flagged", "has_attachments", "folder_id", "account_id", "thread_id",
]  # fmt: skip


def page_of(messages, before: str | None, *, among=None, size: int = PAGE_SIZE):
    """Keyset pagination (date, id), cheap on any page of a 100,000-message folder.

    ``among`` (what ``messages`` were picked from) narrows a search to the newest
    ``SEARCH_WINDOW`` of them first: a common word matches half the mailbox, and
    sorting every match by date took 300 ms. A full page there is the right page
    (any other match is older); otherwise everything is searched."""
    messages = older_than(messages.only(*LIST_FIELDS).order_by("-internal_date", "-id"), before)
    rows = None
    if among is not None:
        window = older_than(among.order_by("-internal_date", "-id"), before)
        cutoff = window.values_list("internal_date", flat=True)[SEARCH_WINDOW - 1 : SEARCH_WINDOW]
        if cutoff:
            rows = list(messages.filter(internal_date__gte=cutoff[0])[: size + 1])
    if rows is None or len(rows) <= size:
        rows = list(messages[: size + 1])
    older = rows[size - 1] if len(rows) > size else None
    cursor = f"{older.internal_date.isoformat()}_{older.id}" if older else None
    return rows[:size], cursor


def older_than(messages, before: str | None):
    if not before:
        return messages
    try:
        stamp, _sep, last_id = before.rpartition("_")
        when = datetime.fromisoformat(stamp)
        return messages.filter(
            Q(internal_date__lt=when) | Q(internal_date=when, id__lt=int(last_id))
        )
    except ValueError:
        raise Http404 from None


def url_pattern(name: str) -> str:
    """A URL with a ``{}`` for the id: 50 rows, one reverse()."""
    return reverse(name, args=[PLACEHOLDER_ID]).replace(str(PLACEHOLDER_ID), "{}")


def label_rows(rows) -> None:
    """What each row shows of its date and where it links, computed here once per
    row rather than by a dozen template filters (the list's main cost)."""
    today = localdate()
    message_url, conversation_url = (
        url_pattern("webmail:message"),
        url_pattern("webmail:conversation"),
    )
    for row in rows:
        when = localtime(row.internal_date)
        row.when_iso = when.isoformat()
        if when.date() == today:
            row.when_label = formats.time_format(when, "TIME_FORMAT")
        else:
            row.when_label = formats.date_format(when, "SHORT_DATE_FORMAT")
        row.message_url = message_url.format(row.pk)
        if getattr(row, "thread_id", None):
            row.conversation_url = conversation_url.format(row.thread_id)


def render_list(request, title: str, messages, *, scope: str = "", among=None, **context):
    """A page of ``messages``; one row per conversation in that mode (lists with a
    ``scope``, which bulk actions on a conversation stay within)."""
    by_conversation = (
        bool(scope) and preferences_for(request.user).list_mode == ListMode.CONVERSATIONS
    )
    listed = newest_of_each_conversation(messages) if by_conversation else messages
    size = preferences_for(request.user).messages_per_page
    rows, cursor = page_of(listed, request.GET.get("before"), among=among, size=size)
    if by_conversation:
        folder = context.get("folder")
        summarize(request.user, rows, in_bin=bool(folder and folder.special_use in BINS))
    label_rows(rows)
    context |= {"title": title, "messages_list": rows, "older_cursor": cursor}
    context |= {"by_conversation": by_conversation, "scope": scope}
    # Live updates need a streaming (ASGI) server: see views/events.py.
    context["live_updates"] = isinstance(request, ASGIRequest)
    context["accounts"] = accounts = folders_with_counts(request.user)
    context["unread_total"] = sum(
        folder.unread
        for account in accounts
        for folder in account.folder_list
        if folder.special_use == "inbox"
    )
    if scope and rows:
        context["has_unread"] = list_has_unread(messages, rows, context)
        context["list_through"] = newest_message_id()
        folder = context.get("folder")
        context["can_empty"] = folder is not None and folder.special_use in BINS
    return render(request, "webmail/folder.html", context)


def list_has_unread(messages, rows, context) -> bool:
    """Whether "Mark all as read" has anything to do: from the folder counts the
    page already has where they tell, so a read folder costs no scan."""
    if folder := context.get("folder"):
        shown = (f for account in context["accounts"] for f in account.folder_list)
        return any(f.unread for f in shown if f.pk == folder.pk)
    if context.get("unified") == "inbox":
        return context["unread_total"] > 0
    if context.get("unified") == "unread":
        return True  # the page has rows, all unread
    return messages.filter(is_seen=False).exists()


@login_required
def folder_view(request, pk: int):
    folder = get_object_or_404(Folder, pk=pk, account__user=request.user)
    title = folder.get_special_use_display() if folder.special_use else folder.name
    return render_list(
        request, title, folder.messages.all(), folder=folder, scope=f"folder:{folder.pk}"
    )


@login_required
def unified_view(request, kind: str):
    if kind not in UNIFIED:
        raise Http404
    messages, title = unified_messages(request.user, kind), str(UNIFIED[kind][0])
    return render_list(request, title, messages, unified=kind, scope=f"unified:{kind}")


def unified_messages(user, kind: str):
    """The person's messages of a unified view. Their folders are looked up first:
    the planner then walks the (account, date) index, where a join to every
    message's folder made it read and sort the whole mailbox (bench/reading.py)."""
    _title, which_folders, condition = UNIFIED[kind]
    folders = Folder.objects.filter(which_folders, account__user=user)
    pairs = list(folders.values_list("pk", "account_id"))
    folder_ids = {pk for pk, _account in pairs}
    accounts = {account for _pk, account in pairs}
    return Message.objects.filter(condition, account_id__in=accounts, folder_id__in=folder_ids)


@login_required
def home(request):
    """All inboxes once an account is connected; a welcome page before."""
    if MailAccount.objects.filter(user=request.user).exists():
        return unified_view(request, "inbox")
    return render(request, "webmail/home.html")


@login_required
@require_POST
def act(request):
    """One form for the list's bulk actions and the message page's buttons."""
    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return HttpResponseBadRequest("unknown action")
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
    threads = [int(pk) for pk in request.POST.getlist("threads") if pk.isdigit()]
    if threads:
        within = scope_messages(request.user, request.POST.get("scope", ""))
        ids += messages_of_conversations(request.user, threads, within)
    if action == "delete" and request.POST.get("confirm") != "yes":
        in_trash = Message.objects.filter(
            pk__in=ids, account__user=request.user, folder__special_use=SpecialUse.TRASH
        ).count()
        if in_trash:  # deleting from the Trash is for good: ask first
            context = {"ids": ids, "count": in_trash, "next": safe_next(request)}
            return render(request, "webmail/confirm_delete_forever.html", context)
    destination = request.POST.get("destination")
    token = undo.new_token()
    try:
        count = act_on_messages(
            request.user, ids, action, int(destination) if destination else None, token
        )
    except (NoSuchFolder, Folder.DoesNotExist):
        flash.error(request, _("This account has no folder for that."))
    else:
        if undo.can_undo(token):
            request.session["undo_token"] = token
            flash.success(request, moved_notice(action, count), extra_tags="undo")
    return redirect(safe_next(request))


def moved_notice(action: str, count: int) -> str:
    texts = {
        "archive": ngettext("%(count)d message archived.", "%(count)d messages archived.", count),
        "delete": ngettext(
            "%(count)d message moved to the Trash.", "%(count)d messages moved to the Trash.", count
        ),
        "spam": ngettext(
            "%(count)d message marked as spam.", "%(count)d messages marked as spam.", count
        ),
        "not_spam": ngettext(
            "%(count)d message moved to the Inbox.", "%(count)d messages moved to the Inbox.", count
        ),
    }
    moved = ngettext("%(count)d message moved.", "%(count)d messages moved.", count)
    return texts.get(action, moved) % {"count": count}


def scope_messages(user, scope: str):
    """The list a conversation row was chosen in (None: the whole conversation)."""
    kind, _sep, value = scope.partition(":")
    if kind == "folder" and value.isdigit():
        return Message.objects.filter(folder_id=int(value), account__user=user)
    if kind == "unified" and value in UNIFIED:
        return unified_messages(user, value)
    return None


@login_required
@require_POST
def set_list_mode(request):
    """The list's switch between conversations and single messages (saved)."""
    mode = request.POST.get("mode", "")
    if mode not in ListMode.values:
        return HttpResponseBadRequest("unknown list mode")
    preferences = preferences_for(request.user)
    preferences.list_mode = mode
    preferences.save()
    return redirect(safe_next(request))


def safe_next(request) -> str:
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return "/"
    return next_url


@login_required
def search(request):
    text = request.GET.get("q", "").strip()
    folder = None
    if request.GET.get("folder", "").isdigit():
        folder = get_object_or_404(Folder, pk=request.GET["folder"], account__user=request.user)
    results = search_messages(request.user, text, folder=folder)
    accounts = MailAccount.objects.filter(user=request.user).values_list("pk", flat=True)
    searched = Message.objects.filter(account_id__in=list(accounts))
    searched = searched.filter(folder=folder) if folder else searched
    title = _("Search results") if text else _("Search")
    return render_list(
        request, str(title), results, query=text, search_folder=folder, among=searched
    )
