"""The "Undo" beside the notice of a move."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webmail.services import undo
from webmail.views.folders import safe_next


@login_required
@require_POST
def undo_move(request):
    if undo.undo(request.user, request.POST.get("token", "")):
        flash.success(request, _("Undone: the messages are going back where they were."))
    else:
        flash.error(request, _("There is nothing left to undo."))
    request.session.pop("undo_token", None)
    return redirect(safe_next(request))
