"""Settings → Vacation reply: each account's automatic answer while its owner is away."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from webmail.forms.vacation import VacationForm
from webmail.models import MailAccount, VacationReply
from webmail.services.vacation import switched
from webmail.views.settings_page import render_section


def get_account_for_user(request, pk: int) -> MailAccount:
    return get_object_or_404(MailAccount, pk=pk, user=request.user)


@login_required
def vacation_list(request):
    accounts = MailAccount.objects.filter(user=request.user).select_related("vacation_reply")
    return render_section(request, "vacation", {"accounts": accounts})


@login_required
def vacation_edit(request, pk: int):
    account = get_account_for_user(request, pk)
    vacation = VacationReply.objects.filter(account=account).first() or VacationReply(
        account=account
    )
    was_enabled = vacation.enabled
    form = VacationForm(request.POST or None, instance=vacation)
    if request.method == "POST" and form.is_valid():
        switched(form.save(commit=False), was_enabled)
        if vacation.enabled:
            messages.success(
                request, _("Your vacation reply is on for %(email)s.") % {"email": account.email}
            )
        else:
            messages.success(
                request, _("Your vacation reply is off for %(email)s.") % {"email": account.email}
            )
        return redirect("webmail:settings_vacation")
    return render_section(request, "vacation_edit", {"form": form, "account": account})
