"""Site settings and provider presets in the Django admin. Saves go through
ModelAdmin, so each one is written to the admin log (LogEntry)."""

from django.contrib import admin
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from webmail.sitesettings.access import field_values
from webmail.sitesettings.models import SINGLETON_ID, ProviderPreset, SiteSettings


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """One record: the list opens it (or the form to create it, filled with the
    environment's values); it can be neither added twice nor deleted."""

    fieldsets = [
        (_("People"), {"fields": ["signup_open", "require_two_factor"]}),
        (
            _("Mail servers"),
            {
                "fields": [
                    "allow_insecure_connections",
                    "mail_hosts_allowed",
                    "mail_hosts_blocked",
                    "locked_preset",
                ]
            },
        ),
        (_("Checking for mail"), {"fields": ["default_sync_interval", "minimum_sync_interval"]}),
        (
            _("Limits"),
            {"fields": ["attachment_max_bytes", "storage_limit_bytes", "limits_in_words"]},
        ),
        (_("Sending and reading"), {"fields": ["undo_send_seconds", "image_proxy_enabled"]}),
    ]
    readonly_fields = ["limits_in_words"]

    @admin.display(description=_("limits, in words"))
    def limits_in_words(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return _("attachments up to %(attachment)s, %(storage)s of mail kept per person") % {
            "attachment": filesizeformat(obj.attachment_max_bytes),
            "storage": filesizeformat(obj.storage_limit_bytes),
        }

    def has_add_permission(self, request):
        exists = SiteSettings.objects.filter(pk=SINGLETON_ID).exists()
        return not exists and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            return super().changelist_view(request, extra_context)
        if SiteSettings.objects.filter(pk=SINGLETON_ID).exists():
            return redirect(reverse("admin:sitesettings_sitesettings_change", args=[SINGLETON_ID]))
        return redirect(reverse("admin:sitesettings_sitesettings_add"))

    def get_changeform_initial_data(self, request):
        values = field_values(SiteSettings.from_environment())
        values.pop("id")
        values["locked_preset"] = values.pop("locked_preset_id")
        return values


@admin.register(ProviderPreset)
class ProviderPresetAdmin(admin.ModelAdmin):
    list_display = ["name", "domains_in_short", "imap_host", "pop3_host", "smtp_host"]
    search_fields = ["name", "domains", "imap_host", "pop3_host", "smtp_host"]
    fieldsets = [
        (None, {"fields": ["name", "domains", "mx_patterns", "username_format"]}),
        (_("IMAP"), {"fields": ["imap_host", "imap_port", "imap_security"]}),
        (_("POP3"), {"fields": ["pop3_host", "pop3_port", "pop3_security"]}),
        (_("SMTP"), {"fields": ["smtp_host", "smtp_port", "smtp_security"]}),
    ]

    @admin.display(description=_("e-mail domains"))
    def domains_in_short(self, obj):
        return ", ".join(obj.domain_list())
