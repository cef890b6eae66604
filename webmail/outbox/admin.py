from django.contrib import admin, messages
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from webmail.outbox import services
from webmail.outbox.models import OutboxMessage, RecipientStatus, State
from webmail.outbox.reasons import message_reason

# Only the envelope and the state: the message itself (``raw``) is never shown.
SHOWN_FIELDS = [
    field.name for field in OutboxMessage._meta.fields if field.name not in ("raw", "recipients")
]


class ScheduledFilter(admin.SimpleListFilter):
    title = _("scheduled")
    parameter_name = "scheduled"

    def lookups(self, request, model_admin):
        return [("yes", _("Scheduled for later")), ("no", _("Not scheduled"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(state=State.QUEUED, send_at__isnull=False, attempts=0)
        if self.value() == "no":
            return queryset.exclude(state=State.QUEUED, send_at__isnull=False, attempts=0)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "account",
        "state",
        "recipient_list",
        "attempts",
        "next_attempt_at",
        "error",
        "copy_state",
        "created_at",
    ]
    list_filter = ["state", ScheduledFilter, "copy_state"]
    search_fields = ["subject", "message_id", "account__email", "user__email"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    actions = ["retry_now", "cancel"]
    fields = [*SHOWN_FIELDS[:6], "recipient_results_text", *SHOWN_FIELDS[6:], "error"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Rows change only through the state machine (the actions below), and the
        # form stays read-only.
        return False

    def has_outbox_action_permission(self, request) -> bool:
        return request.user.has_perm("outbox.change_outboxmessage")

    @admin.display(description=_("last error"))
    def error(self, message: OutboxMessage) -> str:
        if not message.error_code:
            return ""
        return message_reason(message.error_code)

    @admin.display(description=_("recipients"))
    def recipient_list(self, message: OutboxMessage) -> str:
        return ", ".join(item["address"] for item in message.recipients)

    @admin.display(description=_("recipients"))
    def recipient_results_text(self, message: OutboxMessage) -> str:
        lines = []
        for result in message.recipient_results:
            line = f"{result.address}: {RecipientStatus(result.status).label}"
            if result.code:
                line += f" ({result.code} {result.reply})"
            lines.append(line)
        return "\n".join(lines)

    @admin.action(description=_("Retry now"), permissions=["outbox_action"])
    def retry_now(self, request, queryset):
        self._apply(request, queryset, services.retry_now, gettext("Retry now"))

    @admin.action(description=_("Cancel"), permissions=["outbox_action"])
    def cancel(self, request, queryset):
        self._apply(request, queryset, services.cancel_scheduled, gettext("Cancelled"))

    def _apply(self, request, queryset, service, log_text: str) -> None:
        done = 0
        for message in queryset:
            try:
                service(message.pk)
            except services.TransitionRefused:
                message.refresh_from_db(fields=["state", "recipients"])
                text = gettext("“%(subject)s” was left as it is: %(reason)s")
                reason = refusal_reason(message)
                self.message_user(
                    request, text % {"subject": message, "reason": reason}, messages.WARNING
                )
                continue
            self.log_change(request, message, log_text)
            done += 1
        if done:
            text = ngettext("%d message done.", "%d messages done.", done) % done
            self.message_user(request, text, messages.SUCCESS)


def refusal_reason(message: OutboxMessage) -> str:
    if message.state == State.MAYBE_SENT:
        return gettext("it may have been sent; only its author may decide to send it again.")
    if message.state == State.QUEUED and message.anything_delivered:
        return gettext("some recipients already received it.")
    return gettext("its state (%(state)s) does not allow it.") % {
        "state": State(message.state).label
    }
