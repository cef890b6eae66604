from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webmail.outbox import services
from webmail.outbox.models import OutboxMessage
from webmail.outbox.reasons import message_reason


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "account",
        "state",
        "attempts",
        "error",
        "next_attempt_at",
        "copy_state",
        "created_at",
    ]
    list_filter = ["state", "copy_state"]
    search_fields = ["subject", "message_id", "account__email", "user__email"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"
    actions = ["retry_now", "cancel"]
    exclude = ["raw"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields if field.name != "raw"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("raw")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Rows change only through the state machine (the actions below).
        return False

    @admin.display(description=_("last error"))
    def error(self, message: OutboxMessage) -> str:
        if not message.error_code:
            return ""
        return message_reason(message.error_code)

    @admin.action(description=_("Retry now"))
    def retry_now(self, request, queryset):
        self._apply(request, queryset, services.retry_now)

    @admin.action(description=_("Cancel"))
    def cancel(self, request, queryset):
        self._apply(request, queryset, services.cancel_scheduled)

    def _apply(self, request, queryset, service) -> None:
        done = refused = 0
        for pk in queryset.values_list("pk", flat=True):
            try:
                service(pk)
                done += 1
            except services.TransitionRefused:
                refused += 1
        if done:
            self.message_user(
                request, ngettext("%d message done.", "%d messages done.", done) % done
            )
        if refused:
            text = ngettext(
                "%d message was left as it is: its state does not allow it.",
                "%d messages were left as they are: their state does not allow it.",
                refused,
            )
            self.message_user(request, text % refused, messages.WARNING)
