"""Managing an account's folders: create (nested or not), rename, delete."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from webmail.forms.folders import FolderNameForm, MailImportForm, NewFolderForm
from webmail.models import Folder, MailImport
from webmail.services import folder_admin
from webmail.views.accounts import get_account_for_user
from webmail.views.import_summary import import_summary


def get_folder_for_user(request, pk: int) -> Folder:
    return get_object_or_404(
        Folder.objects.select_related("account"), pk=pk, account__user=request.user
    )


def render_manage(request, account, form=None, status=200, import_form=None):
    folders = sorted(account.folders.all(), key=lambda folder: folder.name.casefold())
    for folder in folders:
        folder.protected = folder_admin.is_protected(folder)
    imports = MailImport.objects.filter(folder__account=account).select_related("folder")
    context = {
        "account": account,
        "folders": folders,
        "form": form or NewFolderForm(account=account),
        "import_form": import_form or MailImportForm(account=account),
        "imports": [(job, import_summary(job)) for job in imports.order_by("-created_at")[:5]],
    }
    return render(request, "webmail/folders/manage.html", context, status=status)


@login_required
def manage_folders(request, pk: int):
    account = get_account_for_user(request, pk)
    if request.method != "POST":
        return render_manage(request, account)
    form = NewFolderForm(request.POST, account=account)
    if form.is_valid():
        try:
            folder = folder_admin.create_folder(
                account, form.cleaned_data["name"], form.cleaned_data["parent"]
            )
        except folder_admin.FolderNameError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Folder “%(name)s” created.") % {"name": folder.name})
            return redirect("webmail:manage_folders", pk=account.pk)
    return render_manage(request, account, form, status=400)


@login_required
@require_POST
def rename_folder(request, pk: int):
    folder = get_folder_for_user(request, pk)
    form = FolderNameForm(request.POST)
    try:
        if not form.is_valid():
            raise folder_admin.FolderNameError(_("Give the folder a name."))
        folder = folder_admin.rename_folder(folder, form.cleaned_data["name"])
    except folder_admin.FolderNameError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Folder renamed to “%(name)s”.") % {"name": folder.name})
    return redirect("webmail:manage_folders", pk=folder.account_id)


@login_required
def delete_folder(request, pk: int):
    """An empty folder goes at once; one holding mail asks first."""
    folder = get_folder_for_user(request, pk)
    if folder_admin.is_protected(folder):
        messages.error(request, _("Special folders cannot be deleted."))
        return redirect("webmail:manage_folders", pk=folder.account_id)
    count = folder_admin.message_count(folder)
    confirmed = request.method == "POST" and (count == 0 or request.POST.get("confirm") == "yes")
    if not confirmed:
        context = {"folder": folder, "count": count, "nested": folder_admin.subtree(folder)[1:]}
        return render(request, "webmail/folders/delete.html", context)
    folder_admin.delete_folder(folder)
    messages.success(request, _("Folder “%(name)s” deleted.") % {"name": folder.name})
    return redirect("webmail:manage_folders", pk=folder.account_id)


@login_required
@require_POST
def watch_folder(request, pk: int):
    """Push: the IDLE listener keeps a connection open on the folders watched (it
    reads the list again within a minute)."""
    folder = get_folder_for_user(request, pk)
    if folder.account.protocol == "imap" and folder.selectable:
        folder.watch = request.POST.get("watch") == "on"
        folder.save(update_fields=["watch"])
        if folder.watch:
            messages.success(
                request, _("New mail in “%(name)s” now shows at once.") % {"name": folder.name}
            )
        else:
            messages.success(
                request,
                _("“%(name)s” is checked at the account's interval.") % {"name": folder.name},
            )
    return redirect("webmail:manage_folders", pk=folder.account_id)
