"""Identities: more From addresses per account, each with a name, Reply-To and signature."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webmail.compose.forms import IdentityForm
from webmail.compose.models import Identity


def get_identity_for_user(request, pk: int) -> Identity:
    return get_object_or_404(
        Identity.objects.select_related("account"), pk=pk, account__user=request.user
    )


@login_required
def identity_list(request):
    form = IdentityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        save_identity(form)
        messages.success(request, _("Identity added."))
        return redirect("compose:identities")
    identities = Identity.objects.filter(account__user=request.user).select_related("account")
    return render(request, "compose/identities.html", {"identities": identities, "form": form})


@login_required
def identity_edit(request, pk: int):
    identity = get_identity_for_user(request, pk)
    form = IdentityForm(request.POST or None, instance=identity, user=request.user)
    if request.method == "POST" and form.is_valid():
        save_identity(form)
        messages.success(request, _("Identity saved."))
        return redirect("compose:identities")
    return render(request, "compose/identity_edit.html", {"identity": identity, "form": form})


@login_required
@require_POST
def identity_delete(request, pk: int):
    identity = get_identity_for_user(request, pk)
    identity.delete()
    messages.success(request, _("Identity removed."))
    return redirect("compose:identities")


@transaction.atomic
def save_identity(form: IdentityForm) -> Identity:
    identity = form.save()
    if identity.is_default:  # one default per account
        others = Identity.objects.filter(account=identity.account).exclude(pk=identity.pk)
        others.update(is_default=False)
    return identity
