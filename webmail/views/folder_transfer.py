"""A folder out as an .mbox file; .eml and .mbox files into a folder."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from webmail.error_messages import describe
from webmail.forms.folders import MailImportForm, too_big_message
from webmail.mail.errors import MailError
from webmail.mail.mime import safe_filename
from webmail.models import Folder
from webmail.services import mail_export, mail_import
from webmail.views.accounts import get_account_for_user
from webmail.views.folder_admin import get_folder_for_user, render_manage

# Room for the form's other fields and the multipart framing around the files.
UPLOAD_OVERHEAD_BYTES = 1024 * 1024


@login_required
@require_safe
def export_folder(request, pk: int):
    folder = get_folder_for_user(request, pk)
    try:
        session = mail_export.open_session_for(folder)
    except MailError as error:
        context = {"folder": folder, "reason": describe(error)}
        return render(request, "webmail/folders/unavailable.html", context, status=503)
    chunks = mail_export.MboxStream(folder, session)
    response = StreamingHttpResponse(streamed(request, chunks), content_type="application/mbox")
    name = safe_filename(folder.name, "folder") + ".mbox"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def streamed(request, chunks):
    """Under ASGI, Django would gather a plain iterator into one list before
    sending it: each chunk is made in the sync thread instead, as it is sent."""
    return in_sync_thread(chunks) if isinstance(request, ASGIRequest) else chunks


async def in_sync_thread(chunks):
    step = sync_to_async(lambda: next(chunks, None))
    try:
        while (chunk := await step()) is not None:
            yield chunk
    finally:
        await sync_to_async(chunks.close)()  # logs out of the server, if open


@csrf_exempt  # checked below, once the upload's size is known to be acceptable
@login_required
@require_POST
def import_mail(request, pk: int):
    """Too big an upload is refused from its announced size, before it is read."""
    account = get_account_for_user(request, pk)
    announced = request.META.get("CONTENT_LENGTH", "")
    if (
        announced.isdigit()
        and int(announced) > settings.MAIL_IMPORT_MAX_BYTES + UPLOAD_OVERHEAD_BYTES
    ):
        messages.error(request, too_big_message())
        return redirect("webmail:manage_folders", pk=account.pk)
    return start_import(request, account)


@csrf_protect
def start_import(request, account):
    chosen = request.POST.get("folder", "")
    if chosen.isdigit() and not Folder.objects.filter(pk=chosen, account=account).exists():
        get_folder_for_user(request, int(chosen))  # a stranger's folder: 404
        raise Http404  # another account's of the same person: not this form's
    form = MailImportForm(request.POST, request.FILES, account=account)
    if not form.is_valid():
        return render_manage(request, account, import_form=form, status=400)
    folder = form.cleaned_data["folder"]
    mail_import.start_import(folder, form.cleaned_data["files"])
    messages.success(
        request,
        _("Import into “%(name)s” started: the folder fills as messages are read.")
        % {"name": folder.name},
    )
    return redirect("webmail:manage_folders", pk=account.pk)
