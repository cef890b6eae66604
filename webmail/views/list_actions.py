"""The list's own actions: mark all read, empty the Trash or the Junk folder."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from webmail.models import Folder
from webmail.services.conversations import BINS
from webmail.services.list_actions import (
    empty_folder,
    mark_all_read,
    messages_to_empty,
    newest_message_id,
)
from webmail.views.folders import safe_next, scope_messages


def posted_through(request) -> int | None:
    through = request.POST.get("through", "")
    return int(through) if through.isdigit() else None


@login_required
@require_POST
def mark_list_read(request):
    messages = scope_messages(request.user, request.POST.get("scope", ""))
    through = posted_through(request)
    if messages is None or through is None:
        return HttpResponseBadRequest("unknown list")
    count = mark_all_read(request.user, messages, through)
    flash.success(
        request,
        ngettext("%(count)d message marked as read.", "%(count)d messages marked as read.", count)
        % {"count": count},
    )
    return redirect(safe_next(request))


@login_required
def empty_bin(request, pk: int):
    """Asks first (GET), then deletes for good what the question counted (POST)."""
    folder = get_object_or_404(
        Folder.objects.select_related("account"),
        pk=pk,
        account__user=request.user,
        special_use__in=BINS,
    )
    if request.method == "POST":
        through = posted_through(request)
        if through is None:
            return HttpResponseBadRequest("missing through")
        count = empty_folder(folder, through)
        flash.success(
            request,
            ngettext(
                "%(count)d message deleted for good.", "%(count)d messages deleted for good.", count
            )
            % {"count": count},
        )
        return redirect("webmail:folder", folder.pk)
    through = newest_message_id()
    count = messages_to_empty(folder, through).count()
    context = {"folder": folder, "count": count, "through": through}
    return render(request, "webmail/confirm_empty_folder.html", context)
