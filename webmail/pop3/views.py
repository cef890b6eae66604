"""The options page of a POP3 account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webmail.error_messages import describe
from webmail.models import AccountStatus, MailAccount
from webmail.pop3 import services
from webmail.pop3.engine import STORAGE_FULL
from webmail.pop3.forms import Pop3OptionsForm


def get_pop3_account_for_user(request, pk: int) -> MailAccount:
    """Strangers get a 404, never a hint that the account exists."""
    return get_object_or_404(MailAccount, pk=pk, user=request.user, protocol="pop3")


@login_required
def options(request, account_pk: int):
    account = get_pop3_account_for_user(request, account_pk)
    form = Pop3OptionsForm(
        request.POST or None, instance=services.account_options(account), account=account
    )
    if request.method == "POST" and form.is_valid():
        minutes = form.cleaned_data["fetch_interval_minutes"]
        services.save_options(form.save(commit=False), fetch_interval_seconds=minutes * 60)
        messages.success(request, _("The POP3 options are saved."))
        return redirect("pop3:options", account_pk=account.pk)
    context = {
        "account": account,
        "form": form,
        "error": status_error(account),
        "storage_used": services.storage_used(request.user),
        "storage_limit": services.storage_limit(),
    }
    return render(request, "pop3/options.html", context)


@login_required
@require_POST
def fetch_now(request, account_pk: int):
    account = get_pop3_account_for_user(request, account_pk)
    services.queue_fetch(account)
    messages.success(request, _("Courriel is checking for new mail."))
    return redirect("pop3:options", account_pk=account.pk)


def status_error(account: MailAccount) -> str:
    if account.status not in (AccountStatus.ERROR, AccountStatus.AUTH_FAILED):
        return ""
    if account.last_error == STORAGE_FULL:
        return _("Your storage space here is full: new mail stays on the server.")
    return describe(account.last_error)
