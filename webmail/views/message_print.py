"""A message laid out for paper: its headers, its safe body inline (an iframe
does not break across pages), the names of its attachments."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

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


@login_required
@xframe_options_sameorigin
@csp_override(PRINT_CSP)
@unavailable_as_503
def message_print(request, pk: int):
    message = get_message_for_user(request, pk)
    images = shows_images(message, request.GET.get("images") == "1")
    parsed, body = body_document(message, raw_or_404(message), images=images)
    context = {"message": message, "parsed": parsed, "body": body.html}
    response = render(request, "webmail/message_print.html", context)
    response["Referrer-Policy"] = "no-referrer"
    return response
