"""Writing a message: the compose page, autosave, attachments, send, undo."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from webmail.compose import limits, services, starting
from webmail.compose.addresses import suggest_addresses
from webmail.compose.building import recipients_of
from webmail.compose.forms import ComposeForm
from webmail.compose.models import Draft, DraftState
from webmail.compose.senders import draft_sender, senders_for
from webmail.mail.errors import MailError
from webmail.mail.written_html import clean_written_html
from webmail.models import MailAccount, Message
from webmail.outbox.forms import ScheduleForm
from webmail.services.reading import MessageGone


def get_draft_for_user(request, pk: int) -> Draft:
    """Strangers get a 404 whatever id they type."""
    return get_object_or_404(Draft.objects.select_related("account"), pk=pk, user=request.user)


@login_required
def compose_new(request):
    services.settle_drafts(request.user)
    accounts = MailAccount.objects.filter(user=request.user)
    account = accounts.filter(pk=request.GET.get("account") or 0).first() or accounts.first()
    if account is None:
        messages.info(request, _("Connect a mail account first, then write from it."))
        return redirect("webmail:account_add")
    draft = starting.new_draft(request.user, account, to=request.GET.get("to", "")[:2000])
    return redirect("compose:edit", pk=draft.pk)


STARTS = {
    "reply": lambda user, message: starting.reply_draft(user, message, reply_all=False),
    "reply_all": lambda user, message: starting.reply_draft(user, message, reply_all=True),
    "forward": lambda user, message: starting.forward_draft(user, message, as_attachment=False),
    "forward_attached": lambda u, m: starting.forward_draft(u, m, as_attachment=True),
    "edit_as_new": lambda user, message: starting.reopened_draft(user, message, as_new=True),
    "continue": lambda user, message: starting.reopened_draft(user, message, as_new=False),
}


@login_required
def compose_from_message(request, pk: int, how: str):
    if how not in STARTS:
        raise Http404
    message = get_object_or_404(
        Message.objects.select_related("folder", "account"), pk=pk, account__user=request.user
    )
    try:
        draft = STARTS[how](request.user, message)
    except (MessageGone, MailError):
        messages.error(request, _("The original message could not be read from the server."))
        return redirect("webmail:message", pk=pk)
    return redirect("compose:edit", pk=draft.pk)


@login_required
def compose_edit(request, pk: int):
    draft = get_draft_for_user(request, pk)
    if draft.state != DraftState.EDITING:
        return redirect("compose:sent", pk=draft.pk)
    senders = senders_for(request.user)
    if request.method == "POST":
        form = ComposeForm(request.POST, senders=senders)
        if form.is_valid():
            services.save_draft(draft, **form.draft_fields(draft))
            return act(request, draft)
    else:
        form = ComposeForm(initial=ComposeForm.initial_for(draft, draft_sender(draft).key),
                           senders=senders)  # fmt: skip
    return render_compose(request, draft, form, ScheduleForm(user=request.user))


def render_compose(request, draft, form, schedule_form):
    learn_smtp_size(draft.account_id)
    context = {
        "draft": draft,
        "form": form,
        "editor_html": clean_written_html(form["body_html"].value() or ""),
        "schedule_form": schedule_form,
        "attachments": draft.attachments.defer("content"),
        "attachment_limit": limits.attachments_limit_for(draft.account_id),
        "attachments_used": sum(draft.attachments.values_list("size", flat=True)),
        "signatures": {
            sender.key: starting.signature_block(sender.signature, sender.signature_html)
            for sender in senders_for(request.user)
        },
    }
    return render(request, "compose/compose.html", context)


def learn_smtp_size(account_id: int) -> None:
    if not limits.smtp_size_is_known(account_id):
        from webmail.compose.tasks import learn_smtp_size as task

        services.enqueue_quietly(task.delay, account_id)


def act(request, draft: Draft):
    action = request.POST.get("action", "save")
    if action == "attach":
        return attach(request, draft)
    if action.startswith("remove-") and action[7:].isdigit():
        services.remove_attachment(draft, int(action[7:]))
        return redirect("compose:edit", pk=draft.pk)
    if action == "send":
        return send(request, draft, send_at=None)
    if action == "schedule":
        return schedule(request, draft)
    messages.success(request, _("Draft saved."))
    return redirect("compose:edit", pk=draft.pk)


def attach(request, draft: Draft):
    result = services.attach_files(draft, request.FILES.getlist("files"))
    for sentence in result.refused:
        messages.error(request, sentence)
    page = reverse("compose:edit", args=[draft.pk]) + "#attachments"
    if request.headers.get("X-Upload") == "progress":  # the page's script follows itself
        return JsonResponse({"next": page})
    return redirect(page)


def send(request, draft: Draft, send_at):
    try:
        services.send_draft(draft, send_at=send_at)
    except services.SendRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("compose:edit", pk=draft.pk)
    if send_at:
        messages.success(request, _("The message is scheduled. You can change or cancel it "
                                    "in the outbox."))  # fmt: skip
        return redirect("outbox:list")
    return redirect("compose:sent", pk=draft.pk)


def schedule(request, draft: Draft):
    schedule_form = ScheduleForm(request.POST, user=request.user)
    if not schedule_form.is_valid():
        for error in schedule_form.errors.get("send_at", []):
            messages.error(request, error)
        return redirect("compose:edit", pk=draft.pk)
    return send(request, draft, send_at=schedule_form.cleaned_data["send_at"])


@login_required
@require_POST
def compose_autosave(request, pk: int):
    draft = get_draft_for_user(request, pk)
    if draft.state != DraftState.EDITING:
        return JsonResponse({"saved": False, "reason": _("This message is in the outbox.")},
                            status=409)  # fmt: skip
    form = ComposeForm(request.POST, senders=senders_for(request.user))
    if not form.is_valid():
        return JsonResponse({"saved": False, "errors": form.errors}, status=400)
    services.save_draft(draft, **form.draft_fields(draft))
    recipients = recipients_of(draft)
    return JsonResponse({
        "saved": True,
        "version": draft.version,
        "saved_at": timezone.localtime().strftime("%H:%M:%S"),
        "invalid": recipients.invalid,
    })  # fmt: skip


@login_required
def compose_sent(request, pk: int):
    draft = get_draft_for_user(request, pk)
    if draft.state == DraftState.EDITING:
        return redirect("compose:edit", pk=draft.pk)
    outbox = draft.outbox
    seconds_left = max((outbox.send_after - timezone.now()).total_seconds(), 0) if outbox else 0
    context = {"draft": draft, "outbox": outbox, "seconds_left": int(seconds_left + 0.999)}
    return render(request, "compose/sent.html", context)


@login_required
@require_POST
def compose_undo(request, pk: int):
    draft = get_draft_for_user(request, pk)
    if services.undo_send(draft):
        messages.success(request, _("Sending cancelled: the message is back in the editor."))
        return redirect("compose:edit", pk=draft.pk)
    messages.error(request, _("Too late: the message has already gone."))
    return redirect("compose:sent", pk=draft.pk)


@login_required
@require_POST
def compose_discard(request, pk: int):
    draft = get_draft_for_user(request, pk)
    if draft.state != DraftState.EDITING:
        raise Http404
    services.discard_draft(draft)
    messages.success(request, _("Draft deleted."))
    return redirect("compose:drafts")


@login_required
@require_POST
def edit_outbox_message(request, outbox_pk: int):
    """ "Edit" on a waiting message of the outbox page: back to its draft."""
    draft = get_object_or_404(Draft, outbox_id=outbox_pk, user=request.user)
    return compose_undo(request, draft.pk)


@login_required
def drafts(request):
    services.settle_drafts(request.user)
    rows = Draft.objects.filter(user=request.user, state=DraftState.EDITING).select_related(
        "account"
    )
    return render(request, "compose/drafts.html", {"drafts": rows})


@login_required
@require_GET
def address_suggestions(request):
    """JSON for the To/Cc/Bcc fields: only this person's own index is searched."""
    found = suggest_addresses(request.user, request.GET.get("q", "")[:200])
    return JsonResponse({"addresses": found})
