"""The person's outbox: what waits, what is scheduled, what failed or maybe went."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webmail.outbox import services
from webmail.outbox.forms import ScheduleForm
from webmail.outbox.models import OutboxMessage, RecipientStatus, State
from webmail.outbox.reasons import message_reason, recipient_reason

RECENT_DAYS = 7


def get_outbox_message_for_user(request, pk: int) -> OutboxMessage:
    """Strangers get a 404, never a hint that the message exists."""
    return get_object_or_404(OutboxMessage.objects.defer("raw"), pk=pk, user=request.user)


@login_required
def outbox_list(request):
    return render(request, "outbox/list.html", {"sections": sections_for(request.user)})


def sections_for(user) -> list[tuple[str, str, list[OutboxMessage]]]:
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    rows = (
        OutboxMessage.objects.filter(user=user, dismissed_at__isnull=True, created_at__gte=since)
        .exclude(state=State.CANCELLED)
        .defer("raw")
        .select_related("account")
        .order_by("send_after", "pk")
    )
    groups: dict[str, list[OutboxMessage]] = {
        "maybe_sent": [], "failed": [], "partly_sent": [], "scheduled": [], "queued": []
    }  # fmt: skip
    for row in rows:
        if (group := group_of(row)) is not None:
            groups[group].append(describe(row))
    titles = {
        "maybe_sent": _("Maybe sent"),
        "failed": _("Not sent"),
        "partly_sent": _("Sent, but not to everyone"),
        "scheduled": _("Scheduled"),
        "queued": _("Waiting to be sent"),
    }
    return [(name, titles[name], items) for name, items in groups.items() if items]


def group_of(row: OutboxMessage) -> str | None:
    if row.state in (State.MAYBE_SENT, State.FAILED):
        return row.state
    if row.state == State.SENT:
        refused = any(r.status == RecipientStatus.REFUSED for r in row.recipient_results)
        return "partly_sent" if refused else None
    return "scheduled" if row.is_scheduled else "queued"


def describe(row: OutboxMessage) -> OutboxMessage:
    row.reason = message_reason(row.error_code) if row.error_code else ""
    row.recipient_lines = [
        (r.address, RecipientStatus(r.status).label, recipient_reason(r.code, r.reply))
        for r in row.recipient_results
    ]
    return row


@login_required
@require_POST
def outbox_resend(request, pk: int):
    return act(request, pk, services.resend, _("The message is queued again."))


@login_required
@require_POST
def outbox_dismiss(request, pk: int):
    return act(request, pk, services.dismiss, _("The message will not be sent again."))


@login_required
@require_POST
def outbox_cancel(request, pk: int):
    return act(request, pk, services.cancel_scheduled, _("The message will not be sent."))


@login_required
@require_POST
def outbox_reschedule(request, pk: int):
    get_outbox_message_for_user(request, pk)  # strangers: 404 before anything else
    form = ScheduleForm(request.POST, user=request.user)
    if not form.is_valid():
        for error in form.errors.get("send_at", []):
            messages.error(request, error)
        return redirect("outbox:list")
    when = form.cleaned_data["send_at"]
    return act(request, pk, lambda pk: services.reschedule(pk, when),
               _("The message will be sent at the new time."))  # fmt: skip


def act(request, pk: int, service, done: str):
    message = get_outbox_message_for_user(request, pk)
    try:
        service(message.pk)
    except services.TransitionRefused:
        messages.error(request, _("This message has moved on meanwhile; nothing was changed."))
    else:
        messages.success(request, done)
    return redirect("outbox:list")
