"""Mail accounts in the admin: list, replace passwords, sync now, rebuild, disable."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.urls import path
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from webmail import tasks
from webmail.admin import sync_health
from webmail.admin.display import breakable
from webmail.error_messages import describe
from webmail.forms.accounts import validate_host
from webmail.models import AccountStatus, MailAccount
from webmail.pop3 import tasks as pop3_tasks
from webmail.sitesettings import site_settings

SERVER_FIELDS = ["incoming_host", "incoming_port", "incoming_security", "incoming_username"]
SMTP_FIELDS = ["smtp_host", "smtp_port", "smtp_security", "smtp_username"]


class MailAccountForm(forms.ModelForm):
    """Passwords are write-only: never shown, not even encrypted; blank keeps them."""

    new_incoming_password = forms.CharField(
        label=_("New incoming password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current password."),
    )
    new_smtp_password = forms.CharField(
        label=_("New SMTP password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to keep the current one (empty: the incoming password is used)."),
    )

    class Meta:
        model = MailAccount
        fields = ["email", "display_name", *SERVER_FIELDS, *SMTP_FIELDS]
        fields += ["sync_interval", "is_active"]

    # The site's rules on mail servers hold for administrators too, for what they change.
    def clean_incoming_host(self):
        return self._checked_host("incoming_host")

    def clean_smtp_host(self):
        return self._checked_host("smtp_host")

    def _checked_host(self, name: str) -> str:
        host = self.cleaned_data[name]
        return validate_host(host) if name in self.changed_data else host

    def clean(self):
        data = super().clean()
        changed = {"incoming_security", "smtp_security"} & set(self.changed_data)
        plain = any(data.get(name) == "plain" for name in changed)
        if plain and not site_settings().allow_insecure_connections:
            raise forms.ValidationError(describe("insecure_forbidden"))
        return data

    def clean_email(self):
        # The owner is not a field of this form, so Django leaves the one-address-per-
        # person constraint unchecked: check it here rather than fail on saving.
        email = self.cleaned_data["email"]
        others = MailAccount.objects.filter(user_id=self.instance.user_id, email=email)
        if others.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This person already has an account with this address."))
        return email

    def save(self, commit=True):
        account = super().save(commit=False)
        if self.cleaned_data.get("new_incoming_password"):
            account.set_incoming_password(self.cleaned_data["new_incoming_password"])
            if account.status == AccountStatus.AUTH_FAILED:
                # The refused password is gone: let the workers try the new one.
                account.status, account.last_error = AccountStatus.NEW, ""
        if self.cleaned_data.get("new_smtp_password"):
            account.set_smtp_password(self.cleaned_data["new_smtp_password"])
        if commit:
            account.save()
        return account


@admin.register(MailAccount)
class MailAccountAdmin(admin.ModelAdmin):
    form = MailAccountForm
    list_display = [
        "address",
        "owner",
        "protocol",
        "server",
        "state",
        "last_synced_at",
        "error",
    ]
    list_filter = ["protocol", "status", "is_active", "incoming_security"]
    search_fields = ["email", "user__email", "incoming_host", "smtp_host", "incoming_username"]
    list_select_related = ["user"]
    readonly_fields = ["user", "protocol", "status", "error", "last_synced_at", "created_at"]
    fieldsets = [
        (None, {"fields": ["user", "email", "display_name", "protocol", "is_active"]}),
        (_("Incoming server"), {"fields": [*SERVER_FIELDS, "new_incoming_password"]}),
        (_("Outgoing server"), {"fields": [*SMTP_FIELDS, "new_smtp_password"]}),
        (_("Sync"), {"fields": ["sync_interval", "status", "error", "last_synced_at"]}),
        (_("Dates"), {"fields": ["created_at"]}),
    ]
    actions = ["sync_now", "rebuild_cache", "disable", "enable"]

    def has_add_permission(self, request):
        # An account is added by its owner, whose logins are checked on the way.
        return False

    def get_urls(self):
        health = self.admin_site.admin_view(sync_health.view_for(self))
        return [
            path("health/", health, name="webmail_mailaccount_health"),
            *super().get_urls(),
        ]

    @admin.display(description=_("e-mail address"), ordering="email")
    def address(self, account: MailAccount) -> str:
        return breakable(account.email)

    @admin.display(description=_("user"), ordering="user__email")
    def owner(self, account: MailAccount) -> str:
        return breakable(account.user.email)

    @admin.display(description=_("server"), ordering="incoming_host")
    def server(self, account: MailAccount) -> str:
        return breakable(f"{account.incoming_host}:{account.incoming_port}")

    @admin.display(description=_("status"), ordering="status")
    def state(self, account: MailAccount) -> str:
        return account.get_status_display() if account.is_active else gettext("Disabled")

    @admin.display(description=_("last error"))
    def error(self, account: MailAccount) -> str:
        return describe(account.last_error) if account.last_error else ""

    # -- actions -------------------------------------------------------------------------

    @admin.action(description=_("Sync now"), permissions=["change"])
    def sync_now(self, request, queryset):
        self._queue_for_each(request, queryset, self._queue_sync, gettext("Sync now"))

    @admin.action(description=_("Rebuild cache (read everything again)"), permissions=["change"])
    def rebuild_cache(self, request, queryset):
        self._queue_for_each(request, queryset, self._queue_rebuild, gettext("Rebuild cache"))

    @admin.action(description=_("Disable"), permissions=["change"])
    def disable(self, request, queryset):
        self._set_active(request, queryset, False)

    @admin.action(description=_("Enable"), permissions=["change"])
    def enable(self, request, queryset):
        self._set_active(request, queryset, True)

    def _queue_for_each(self, request, queryset, queue, log_text: str) -> None:
        queued = 0
        for account in queryset:
            refusal = self._why_not_sync(account) or queue(account)
            if refusal:
                self.message_user(request, f"{account.email}: {refusal}", messages.WARNING)
                continue
            self.log_change(request, account, log_text)
            queued += 1
        if queued:
            text = ngettext("%d account queued.", "%d accounts queued.", queued) % queued
            self.message_user(request, text, messages.SUCCESS)

    def _why_not_sync(self, account: MailAccount) -> str:
        if not account.is_active:
            return gettext("it is disabled; enable it first.")
        if account.status == AccountStatus.AUTH_FAILED:
            return gettext("its password was refused; replace it first.")
        return ""

    def _queue_sync(self, account: MailAccount) -> str:
        task = tasks.sync_account if account.protocol == "imap" else pop3_tasks.fetch_pop3_account
        return queue_task(task, account.pk)

    def _queue_rebuild(self, account: MailAccount) -> str:
        if account.protocol != "imap":
            return gettext(
                "POP3 mail is kept only here, not on the server: there is nothing to "
                "rebuild it from."
            )
        return queue_task(tasks.sync_account_from_scratch, account.pk)

    def _set_active(self, request, queryset, active: bool) -> None:
        changed = 0
        with transaction.atomic():
            for account in queryset.select_for_update().filter(is_active=not active):
                account.is_active = active
                account.save(update_fields=["is_active"])
                self.log_change(
                    request, account, gettext("Enabled") if active else gettext("Disabled")
                )
                changed += 1
        if active:
            text = ngettext("%d account enabled.", "%d accounts enabled.", changed)
        else:
            text = ngettext("%d account disabled.", "%d accounts disabled.", changed)
        self.message_user(request, text % changed, messages.SUCCESS)


def queue_task(task, account_id: int) -> str:
    """Queue now (not on commit): a broker that is down is reported, not hidden."""
    try:
        task.delay(account_id)
    except Exception:
        return gettext("the task queue cannot be reached; try again in a moment.")
    return ""
