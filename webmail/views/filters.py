"""Settings → Filters: a person's message filters, per account, in order."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from webmail.forms.filters import FilterForm
from webmail.models import MailAccount, MessageFilter
from webmail.services import filters
from webmail.services.filter_settings import save_filter, shift_filter
from webmail.views.settings_page import render_section


def get_filter_for_user(request, pk: int) -> MessageFilter:
    return get_object_or_404(
        MessageFilter.objects.select_related("account__user", "move_to"),
        pk=pk,
        account__user=request.user,
    )


@login_required
def filter_list(request):
    accounts = MailAccount.objects.filter(user=request.user).prefetch_related("filters__move_to")
    return render_section(request, "filters", {"accounts": accounts})


@login_required
def filter_add(request):
    accounts = MailAccount.objects.filter(user=request.user)
    asked = request.GET.get("account", "")
    chosen = accounts.filter(pk=int(asked)).first() if asked.isdigit() else None
    form = FilterForm(request.POST or None, initial={"account": chosen}, user=request.user)
    if request.method == "POST" and form.is_valid():
        save_filter(form)
        messages.success(request, _("Filter added. It sorts new mail from now on."))
        return redirect("webmail:settings_filters")
    return render_section(request, "filter_edit", {"form": form, "has_accounts": accounts.exists()})


@login_required
def filter_edit(request, pk: int):
    message_filter = get_filter_for_user(request, pk)
    form = FilterForm(request.POST or None, instance=message_filter, user=request.user)
    if request.method == "POST" and form.is_valid():
        save_filter(form)
        messages.success(request, _("Filter saved."))
        return redirect("webmail:settings_filters")
    context = {"form": form, "message_filter": message_filter, "has_accounts": True}
    return render_section(request, "filter_edit", context)


@login_required
@require_POST
def filter_delete(request, pk: int):
    get_filter_for_user(request, pk).delete()
    messages.success(request, _("Filter deleted."))
    return redirect("webmail:settings_filters")


@login_required
@require_POST
def filter_toggle(request, pk: int):
    message_filter = get_filter_for_user(request, pk)
    message_filter.enabled = not message_filter.enabled
    message_filter.save(update_fields=["enabled"])
    filters.start_marks(message_filter.account)
    if message_filter.enabled:
        messages.success(request, _("“%(name)s” is on.") % {"name": message_filter.name})
    else:
        messages.success(request, _("“%(name)s” is off.") % {"name": message_filter.name})
    return redirect("webmail:settings_filters")


@login_required
@require_POST
def filter_shift(request, pk: int):
    step = -1 if request.POST.get("direction") == "up" else 1
    shift_filter(get_filter_for_user(request, pk), step)
    return redirect("webmail:settings_filters")


@login_required
@require_POST
def filter_run(request, pk: int):
    message_filter = get_filter_for_user(request, pk)
    count = filters.run_now(message_filter)
    text = ngettext(
        "“%(name)s” applied to %(count)s message in the Inbox.",
        "“%(name)s” applied to %(count)s messages in the Inbox.",
        count,
    )
    messages.success(request, text % {"name": message_filter.name, "count": count})
    return redirect("webmail:settings_filters")
