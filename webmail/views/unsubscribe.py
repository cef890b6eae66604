"""Leaving a mailing list from one of its messages: a page that says what will
happen, then a POST that does it (webmail.services.unsubscribe)."""

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from webmail.mail.mime import parse_headers
from webmail.services.unsubscribe import (
    Offer,
    UnsubscribeFailed,
    offer_from,
    unsubscribe_by_mail,
    unsubscribe_one_click,
)
from webmail.views.message import get_message_for_user, raw_or_404, unavailable_as_503


@login_required
@require_http_methods(["GET", "POST"])
@unavailable_as_503
def unsubscribe(request, pk: int):
    message = get_message_for_user(request, pk)
    # Read again from the stored message on every request: the browser only chooses how.
    offer = offer_from(message, parse_headers(raw_or_404(message)))
    if offer is None:
        raise Http404("This message offers no way to unsubscribe.")
    context = {"message": message, "offer": offer, "ways": offer.ways()}
    if request.method == "POST":
        method = request.POST.get("method", "")
        try:
            done = act(method, message, offer)
        except UnsubscribeFailed as failure:
            failed = method if method in ("one_click", "mail") else ""
            context.update(failure=str(failure), ways=offer.ways(failed=failed))
        else:
            flash.success(request, done)
            return redirect("webmail:message", pk=message.pk)
    return render(request, "webmail/unsubscribe.html", context)


def act(method: str, message, offer: Offer) -> str:
    """Do what the person chose; what to tell them once it is done."""
    if method == "one_click" and offer.methods.one_click:
        unsubscribe_one_click(offer)
        return _("You are unsubscribed from %(list)s.") % {"list": offer.list_name}
    if method == "mail" and offer.methods.mail:
        unsubscribe_by_mail(message, offer)
        return _(
            "Your request to leave %(list)s is being sent to %(address)s. You will find it in Sent."
        ) % {"list": offer.list_name, "address": offer.methods.mail.address}
    raise UnsubscribeFailed(_("This list does not offer that way to unsubscribe."))
