from allauth.mfa.models import Authenticator
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, Exists, OuterRef, Sum
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from webmail.models import MailAccount, Message
from webmail.pop3.local import storage_used

# Passkeys and authenticator apps count; recovery codes alone are no second factor.
SECOND_FACTORS = {
    Authenticator.Type.TOTP: _("Authenticator app"),
    Authenticator.Type.WEBAUTHN: _("Passkey or security key"),
}


def with_two_factor(users):
    second_factor = Authenticator.objects.filter(user=OuterRef("pk"), type__in=list(SECOND_FACTORS))
    return users.annotate(has_two_factor=Exists(second_factor))


class TwoFactorFilter(admin.SimpleListFilter):
    title = _("two-factor authentication")
    parameter_name = "two_factor"

    def lookups(self, request, model_admin):
        return [("yes", _("Set up")), ("no", _("Not set up"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(has_two_factor=self.value() == "yes")
        return queryset


class MailAccountInline(admin.TabularInline):
    """A person's mail accounts, read-only here: each links to its own admin page."""

    model = MailAccount
    fields = ["email", "protocol", "incoming_host", "status", "last_synced_at", "is_active"]
    readonly_fields = fields
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = [
        "email",
        "display_name",
        "is_active",
        "is_staff",
        "two_factor",
        "last_login",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "must_use_2fa", TwoFactorFilter]
    search_fields = ["email", "display_name"]
    readonly_fields = ["last_login", "date_joined", "two_factor_methods", "storage"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Profile"), {"fields": ["display_name"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Two-factor authentication"), {"fields": ["must_use_2fa", "two_factor_methods"]}),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    mail_fieldsets = [(_("Mail storage"), {"fields": ["storage"]})]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]}),
    ]
    inlines = [MailAccountInline]
    actions = ["deactivate"]

    def get_queryset(self, request):
        return with_two_factor(super().get_queryset(request))

    def get_inlines(self, request, obj=None):
        return self.inlines if obj is not None else []  # a new person has no accounts

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.has_perm("webmail.view_mailaccount"):
            return fieldsets  # storage describes mail accounts: their viewers only
        return [*fieldsets, *self.mail_fieldsets]

    @admin.display(description=_("2FA"), boolean=True, ordering="has_two_factor")
    def two_factor(self, user: User) -> bool:
        return user.has_two_factor

    @admin.display(description=_("methods"))
    def two_factor_methods(self, user: User) -> str:
        kinds = Authenticator.objects.filter(user=user, type__in=list(SECOND_FACTORS))
        names = sorted({str(SECOND_FACTORS[kind]) for kind in kinds.values_list("type", flat=True)})
        return ", ".join(names) or gettext("None")

    @admin.display(description=_("storage"))
    def storage(self, user: User) -> str:
        cached = Message.objects.filter(account__user=user, account__protocol="imap").aggregate(
            count=Count("id"), size=Sum("size")
        )
        local = storage_used(user)
        return gettext(
            "Kept here (POP3): %(local)s. Cached from IMAP servers: %(count)d messages, %(size)s."
        ) % {
            "local": filesizeformat(local),
            "count": cached["count"],
            "size": filesizeformat(cached["size"] or 0),
        }

    @admin.action(description=_("Deactivate (they can no longer sign in)"), permissions=["change"])
    def deactivate(self, request, queryset):
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(
                request, gettext("You cannot deactivate yourself: left active."), messages.WARNING
            )
        changed = 0
        for user in queryset.exclude(pk=request.user.pk).filter(is_active=True):
            user.is_active = False
            user.save(update_fields=["is_active"])
            self.log_change(request, user, gettext("Deactivated"))
            changed += 1
        text = ngettext("%d person deactivated.", "%d people deactivated.", changed)
        self.message_user(request, text % changed, messages.SUCCESS)
