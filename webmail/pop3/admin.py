from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from webmail.pop3.models import DownloadedMessage, Pop3Options


class Pop3OptionsAdminForm(forms.ModelForm):
    class Meta:
        model = Pop3Options
        fields = ["leave_on_server", "delete_after_days", "delete_when_deleted_here"]
        fields += ["target_folder"]

    def clean_target_folder(self):
        folder = self.cleaned_data["target_folder"]
        if folder and folder.account_id != self.instance.account_id:
            raise forms.ValidationError(_("Choose a folder of this account."))
        return folder


@admin.register(Pop3Options)
class Pop3OptionsAdmin(admin.ModelAdmin):
    form = Pop3OptionsAdminForm
    list_display = ["account", "leave_on_server", "delete_after_days", "last_attempt_at"]
    list_select_related = ["account"]
    search_fields = ["account__email", "account__user__email"]
    raw_id_fields = ["target_folder"]
    readonly_fields = ["account", "retry_after", "last_attempt_at"]

    def has_add_permission(self, request):
        # Created with the account, by its owner.
        return False


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
