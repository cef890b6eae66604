"""A person's settings: profile, mail accounts, privacy, storage (security is in
settings_security.py). Each section is a page of its own under /settings/."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from webmail.engine.quota import WARN_FROM_PERCENT, stored_quota
from webmail.error_messages import describe
from webmail.forms.settings import PrivacyForm, ProfileForm, SyncIntervalForm
from webmail.models import MailAccount, TrustedSender
from webmail.models.preferences import Preferences
from webmail.pop3 import services as pop3_services


def editable_preferences(user) -> Preferences:
    """A copy of its own: a refused form must not change what this page applies."""
    return Preferences.objects.filter(user=user).first() or Preferences(user=user)


def render_section(request, section: str, context: dict):
    return render(request, f"webmail/settings/{section}.html", {"section": section, **context})


@login_required
def profile(request):
    preferences = editable_preferences(request.user)
    form = ProfileForm(request.POST or None, instance=preferences, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("webmail:settings")
    return render_section(request, "profile", {"form": form})


def set_language(request):
    """The language switcher: a signed-in person's choice is also saved, so it
    follows them to every browser they sign in from."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    known = language in dict(settings.LANGUAGES)
    if request.method == "POST" and request.user.is_authenticated and known:
        Preferences.objects.update_or_create(user=request.user, defaults={"language": language})
    return response


def account_rows(user) -> list[dict]:
    rows = []
    for account in MailAccount.objects.filter(user=user):
        form = SyncIntervalForm(instance=account, prefix=f"account-{account.pk}")
        error = describe(account.last_error) if account.last_error else ""
        rows.append({"account": account, "interval_form": form, "error": error})
    return rows


@login_required
def accounts(request):
    return render_section(request, "accounts", {"rows": account_rows(request.user)})


@login_required
@require_POST
def sync_interval(request, pk: int):
    account = get_object_or_404(MailAccount, pk=pk, user=request.user)
    form = SyncIntervalForm(request.POST, instance=account, prefix=f"account-{account.pk}")
    if form.is_valid():
        form.save()
        messages.success(request, _("%(email)s: saved.") % {"email": account.email})
    else:
        messages.error(request, _("Choose one of the intervals offered."))
    return redirect("webmail:settings_accounts")


@login_required
def privacy(request):
    preferences = editable_preferences(request.user)
    form = PrivacyForm(request.POST or None, instance=preferences, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your settings are saved."))
        return redirect("webmail:settings_privacy")
    senders = TrustedSender.objects.filter(user=request.user).order_by("email")
    return render_section(request, "privacy", {"form": form, "trusted_senders": senders})


@login_required
@require_POST
def remove_trusted_sender(request, pk: int):
    sender = get_object_or_404(TrustedSender, pk=pk, user=request.user)
    sender.delete()
    messages.success(
        request, _("Images from %(sender)s will no longer be shown.") % {"sender": sender.email}
    )
    return redirect("webmail:settings_privacy")


@login_required
def storage(request):
    imap = [
        {"account": account, "quota": stored_quota(account.pk)}
        for account in MailAccount.objects.filter(user=request.user, protocol="imap")
    ]
    has_pop3 = MailAccount.objects.filter(user=request.user, protocol="pop3").exists()
    used, limit = pop3_services.storage_used(request.user), pop3_services.storage_limit()
    context = {
        "imap_rows": imap,
        "has_pop3": has_pop3,
        "local_used": used,
        "local_limit": limit,
        "local_nearly_full": used * 100 >= limit * WARN_FROM_PERCENT,
    }
    return render_section(request, "storage", context)
