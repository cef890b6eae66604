from django.contrib import admin

from webmail.pop3.models import DownloadedMessage, Pop3Options


@admin.register(Pop3Options)
class Pop3OptionsAdmin(admin.ModelAdmin):
    list_display = ["account", "leave_on_server", "delete_after_days", "last_attempt_at"]
    list_select_related = ["account"]
    raw_id_fields = ["account", "target_folder"]


@admin.register(DownloadedMessage)
class DownloadedMessageAdmin(admin.ModelAdmin):
    """The ledger is the engine's: shown to diagnose, never edited by hand."""

    list_display = ["uidl", "account", "downloaded_at", "deleted_on_server_at"]
    list_select_related = ["account"]
    search_fields = ["uidl", "raw_sha256", "account__email"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
