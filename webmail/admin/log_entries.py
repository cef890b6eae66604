"""Django's admin log, readable in the admin itself: who changed what, and when.

Read-only for everyone, superusers included: a log that can be edited proves nothing."""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ["action_time", "user", "content_type", "object_repr", "action_flag", "change"]
    list_filter = ["action_flag", "content_type"]
    search_fields = ["object_repr", "change_message", "user__email"]
    date_hierarchy = "action_time"
    list_select_related = ["user", "content_type"]
    fields = [*list_display[:-1], "object_id", "change"]
    readonly_fields = fields

    @admin.display(description=_("change"))
    def change(self, entry: LogEntry) -> str:
        return entry.get_change_message()

    def get_queryset(self, request):
        entries = super().get_queryset(request)
        if request.user.is_superuser:
            return entries
        return entries.filter(content_type__in=viewable_content_types(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def viewable_content_types(user) -> list[int]:
    """The models this staff member may see: the log of others stays hidden."""
    return [
        content_type.pk
        for content_type in ContentType.objects.all()
        if user.has_perm(f"{content_type.app_label}.view_{content_type.model}")
        or user.has_perm(f"{content_type.app_label}.change_{content_type.model}")
    ]
