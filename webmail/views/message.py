"""Reading one message: the page, its body in a sandboxed iframe, its parts."""

import functools

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.csp import CSP
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from webmail.error_messages import describe
from webmail.mail.archive import zip_of
from webmail.mail.errors import MailError
from webmail.mail.mime import parse_for_display, part_payloads, safe_filename
from webmail.models import Message, TrustedSender, preferences_for
from webmail.services.inline_images import (
    INLINE_IMAGES,
    inline_image_of,
    parse_for_page,
    part_of,
    remembered_inline_image,
    remembered_part,
)
from webmail.services.reading import MessageGone, load_raw, set_flags
from webmail.services.rendering import (
    body_document,
    safe_body,
    shows_images,
    unsign_inline_part,
)
from webmail.services.unsubscribe import offer_from
from webmail.sitesettings import site_settings

PREVIEWABLE = {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"}
# The body document: no script at all, styles from the (sanitized) mail, images
# only from us (parts, proxy); sandboxed even when opened outside its iframe.
# Same-origin (as its iframe's sandbox attribute) only so that the message page
# can measure its height; never with allow-scripts, which would lift the sandbox.
BODY_CSP = {
    "default-src": [CSP.NONE],
    "img-src": [CSP.SELF, "data:"],
    "style-src": [CSP.UNSAFE_INLINE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": ["allow-same-origin", "allow-popups", "allow-popups-to-escape-sandbox"],
}
FILE_CSP = {"default-src": [CSP.NONE], "sandbox": [""]}
# Chromium refuses to show a PDF in a sandboxed document: its preview drops the
# sandbox, but still loads nothing and cannot be framed (PDF scripts never reach
# the page's DOM; nosniff keeps it a PDF).
PDF_PREVIEW_CSP = {"default-src": [CSP.NONE], "frame-ancestors": [CSP.NONE]}


def get_message_for_user(request, pk: int) -> Message:
    """Strangers get a 404 whatever id they type."""
    return get_object_or_404(
        Message.objects.select_related("folder", "account"), pk=pk, account__user=request.user
    )


class Unavailable(Exception):
    """The server cannot give the message now (down, password changed)."""

    def __init__(self, message: Message, error: MailError):
        super().__init__(message.pk)
        self.message, self.error = message, error


def raw_or_404(message: Message) -> bytes:
    try:
        return load_raw(message)
    except MessageGone:
        raise Http404("This message is no longer on the server.") from None
    except MailError as error:
        raise Unavailable(message, error) from error


def unavailable_as_503(view):
    """A page that says why, as the message page does, rather than a server error."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Unavailable as unavailable:
            context = {"message": unavailable.message, "reason": describe(unavailable.error)}
            return render(request, "webmail/message_unavailable.html", context, status=503)

    return wrapper


def reading_context(request, message: Message) -> tuple[dict, int]:
    """What the message's page (and each message of a conversation) shows, and
    the HTTP status: a message the server lost or cannot give now has a reason."""
    try:
        raw = load_raw(message)
    except (MessageGone, MailError) as error:
        reason = describe(error) if isinstance(error, MailError) else _("It was moved or deleted.")
        return {"message": message, "reason": reason}, (
            404 if isinstance(error, MessageGone) else 503
        )
    parsed = parse_for_page(message.pk, raw)
    images = shows_images(message, request.GET.get("images") == "1")
    body = safe_body(message, parsed, images=images)
    preferences = preferences_for(request.user)
    context = {
        "message": message,
        "parsed": parsed,
        "previewable": PREVIEWABLE,
        "previewable_images": INLINE_IMAGES,
        "move_targets": message.account.folders.filter(selectable=True).exclude(
            pk=message.folder_id
        ),
        # "Never" means no offer to show them either.
        "blocked_remote": body.blocked_remote and preferences.remote_content != "never",
        "images": images,
        "images_allowed": site_settings().image_proxy_enabled,
        "unsubscribe": offer_from(message, parsed),
    }
    return context, 200


@login_required
def message_view(request, pk: int):
    message = get_message_for_user(request, pk)
    context, status = reading_context(request, message)
    if request.htmx:  # a collapsed message of a conversation, expanded there
        reads = preferences_for(request.user).mark_read_on_open
        if status == 200 and not message.is_seen and reads:
            set_flags([message], seen=True)
        context["in_conversation"] = True
        return render(request, "webmail/message.html#article", context)
    if status != 200:
        return render(request, "webmail/message_unavailable.html", context, status=status)
    if not message.is_seen and preferences_for(request.user).mark_read_on_open:
        set_flags([message], seen=True)
    return render(request, "webmail/message.html", context)


@login_required
@xframe_options_sameorigin
@csp_override(BODY_CSP)
@unavailable_as_503
def message_body(request, pk: int):
    message = get_message_for_user(request, pk)
    images = shows_images(message, request.GET.get("images") == "1")
    parsed, body = body_document(message, raw_or_404(message), images=images)
    response = render(request, "webmail/message_body.html", {"body": body.html, "parsed": parsed})
    response["Referrer-Policy"] = "no-referrer"
    return response


def file_response(data: bytes, content_type: str, filename: str, *, inline: bool) -> HttpResponse:
    """Never echo a MIME parameter unchecked: an allowlisted type or octet-stream."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@unavailable_as_503
def message_part(request, pk: int, index: int):
    message = get_message_for_user(request, pk)
    found = remembered_part(message.pk, index) or part_of(message.pk, raw_or_404(message), index)
    if found is None:
        raise Http404
    part, data = found
    preview = request.GET.get("preview") == "1" and part.content_type in PREVIEWABLE
    content_type = part.content_type if preview else "application/octet-stream"
    response = file_response(data, content_type, part.filename or f"part-{index}", inline=preview)
    pdf = preview and content_type == "application/pdf"
    response._csp_config = PDF_PREVIEW_CSP if pdf else FILE_CSP  # what csp_override sets
    return response


@login_required
@csp_override(FILE_CSP)
@unavailable_as_503
def message_attachments_zip(request, pk: int):
    message = get_message_for_user(request, pk)
    raw = raw_or_404(message)
    attachments = parse_for_display(raw).attachments
    found = part_payloads(raw, [part.index for part in attachments])
    files = [
        (part.filename or f"attachment-{part.index}", found[part.index][1])
        for part in attachments
        if part.index in found
    ]
    if not files:
        raise Http404
    name = safe_filename(message.subject, "attachments")[:80] + ".zip"
    return file_response(zip_of(files), "application/zip", name, inline=False)


@csp_override(FILE_CSP)
def message_cid(request, token: str):
    """An inline image of the body iframe (no session there: see rendering.py)."""
    try:
        pk, content_id = unsign_inline_part(token)
    except signing.BadSignature:
        raise Http404 from None
    # The row first, even when the image is cached: deleted, its images are gone.
    message = get_object_or_404(Message.objects.select_related("folder", "account"), pk=pk)
    found = remembered_inline_image(message.pk, content_id)
    if found is None:
        try:
            found = inline_image_of(message.pk, raw_or_404(message), content_id)
        except Unavailable:
            return HttpResponse(status=503)  # for an <img>, and no session: no page, no reason
    if found is None or found[0].content_type not in INLINE_IMAGES:
        raise Http404
    part, data = found
    return file_response(data, part.content_type, part.filename or "image", inline=True)


@login_required
@csp_override(FILE_CSP)
@unavailable_as_503
def message_raw(request, pk: int):
    message = get_message_for_user(request, pk)
    name = safe_filename(message.subject, "message")[:80] + ".eml"
    return file_response(raw_or_404(message), "message/rfc822", name, inline=False)


@login_required
@csp_override(FILE_CSP)
@unavailable_as_503
def message_source(request, pk: int):
    message = get_message_for_user(request, pk)
    text = raw_or_404(message).decode("utf-8", "replace")
    return file_response(text.encode(), "text/plain; charset=utf-8", "source.txt", inline=True)


@login_required
@require_POST
def trust_sender(request, pk: int):
    message = get_message_for_user(request, pk)
    if message.from_email:
        TrustedSender.objects.get_or_create(user=request.user, email=message.from_email.lower())
        flash.success(
            request,
            _("Images from %(sender)s will always be shown.") % {"sender": message.from_email},
        )
    return redirect("webmail:message", pk=pk)


@login_required
@require_POST
def toggle_flag(request, pk: int):
    message = get_message_for_user(request, pk)
    set_flags([message], flagged=not message.is_flagged)
    return redirect("webmail:message", pk=pk)
