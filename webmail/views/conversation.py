"""A conversation on one page: every message of it, across folders, oldest first."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from webmail.models import preferences_for
from webmail.services.conversations import conversation_messages
from webmail.services.reading import set_flags
from webmail.views.message import reading_context

MOST_EXPANDED_UNREAD = 10


@login_required
def conversation_view(request, thread_id: int):
    messages = conversation_messages(request.user, thread_id)
    if not messages:
        raise Http404  # no such conversation, or someone else's
    # Unread ones (the latest few) and the last are open; the rest wait, collapsed,
    # for a click: a long thread must not fetch every body to draw the page.
    unread = [m.pk for m in messages if not m.is_seen][-MOST_EXPANDED_UNREAD:]
    open_ones = {*unread, messages[-1].pk}
    items = []
    for message in messages:
        expanded = message.pk in open_ones
        context = reading_context(request, message)[0] if expanded else {"message": message}
        items.append(context | {"expanded": expanded})
    opened = [item["message"] for item in items if item["expanded"] and "parsed" in item]
    if preferences_for(request.user).mark_read_on_open:
        set_flags([message for message in opened if not message.is_seen], seen=True)
    received = [m for m in messages if m.folder.special_use not in ("sent", "drafts")]
    context = {
        "items": items,
        "subject": messages[0].subject or messages[-1].subject,
        "back_folder_id": (received or messages)[-1].folder_id,
        "thread_id": thread_id,
        "move_targets": messages[0].account.folders.filter(selectable=True),
    }
    return render(request, "webmail/conversation.html", context)
