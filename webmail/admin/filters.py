"""People's message filters in the admin: shown to help someone, never edited here
(a filter acts on its owner's mail; its owner changes it in Settings)."""

from django.contrib import admin

from webmail.models import MessageFilter


@admin.register(MessageFilter)
class MessageFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "account", "position", "enabled", "match_all", "move_to"]
    list_filter = ["enabled"]
    list_select_related = ["account", "move_to"]
    search_fields = ["name", "account__email", "account__user__email"]
    fields = [*list_display, "conditions", "mark_read", "flag", "trash", "stop"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
