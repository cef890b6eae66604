"""A message, or a whole conversation, laid out for paper: headers, the safe
body inline (an iframe does not break across pages), attachment names."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from webmail.models import Message
from webmail.services.conversations import conversation_messages
from webmail.services.rendering import body_document, shows_images
from webmail.views.message import BODY_CSP, get_message_for_user, raw_or_404, unavailable_as_503

# The body's policy: still no script at all. The message page prints this
# document from a hidden frame, which needs it same-origin and allowed to print.
PRINT_CSP = BODY_CSP | {
    "sandbox": [
        "allow-same-origin",
        "allow-modals",
        "allow-popups",
        "allow-popups-to-escape-sandbox",
    ]
}


def printed(message: Message, images: bool) -> dict:
    parsed, body = body_document(message, raw_or_404(message), images=images)
    return {"message": message, "parsed": parsed, "body": body.html}


def print_response(request, title: str, entries: list[dict]):
    context = {"title": title, "printed": entries, "heading_level": 1 if len(entries) == 1 else 2}
    response = render(request, "webmail/message_print.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@xframe_options_sameorigin
@csp_override(PRINT_CSP)
@unavailable_as_503
def message_print(request, pk: int):
    message = get_message_for_user(request, pk)
    entry = printed(message, shows_images(message, request.GET.get("images") == "1"))
    title = entry["parsed"].subject or message.subject or _("(no subject)")
    return print_response(request, title, [entry])


@login_required
@xframe_options_sameorigin
@csp_override(PRINT_CSP)
@unavailable_as_503
def conversation_print(request, thread_id: int):
    """Every message of the conversation, oldest first; remote images only where
    the sender is trusted (nobody asked to show them here)."""
    messages = conversation_messages(request.user, thread_id)
    if not messages:
        raise Http404
    entries = []
    for message in messages:
        try:
            entries.append(printed(message, shows_images(message, False)))
        except Http404:
            continue  # moved or deleted elsewhere meanwhile: print the others
    title = messages[0].subject or messages[-1].subject or _("(no subject)")
    return print_response(request, title, entries)
