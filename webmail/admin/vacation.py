"""Vacation replies in the admin: shown to help someone, never edited here (a reply
speaks for its owner; its owner changes it in Settings)."""

from django.contrib import admin

from webmail.models import VacationReply


@admin.register(VacationReply)
class VacationReplyAdmin(admin.ModelAdmin):
    list_display = ["account", "enabled", "first_day", "last_day", "contacts_only", "days"]
    list_filter = ["enabled"]
    list_select_related = ["account"]
    search_fields = ["account__email", "account__user__email"]
    fields = [*list_display, "enabled_at", "subject", "text"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
