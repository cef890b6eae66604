"""Leaving a mailing list from one of its messages: one-click (RFC 8058) through
netguard, or a request by mail through the outbox.

What is done is always read from the stored message, never from the browser.
"""

from dataclasses import dataclass
from email.errors import MessageError
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from webmail.mail.compose import Mailbox, build_message
from webmail.mail.errors import MailError, TLSError
from webmail.mail.mime import ParsedMessage
from webmail.mail.netguard import post_form
from webmail.mail.tls import web_context
from webmail.mail.unsubscribe import UnsubscribeMethods, list_name, unsubscribe_methods
from webmail.models import Message, SpecialUse
from webmail.outbox.models import OutboxMessage
from webmail.outbox.services import queue_message

ONE_CLICK_FORM = b"List-Unsubscribe=One-Click"
ONE_CLICK_TIMEOUT = 10.0
# Unsubscribing from spam tells its sender the address is read: Junk offers none.
# A draft's headers are the person's own.
NOT_OFFERED_IN = (SpecialUse.JUNK, SpecialUse.DRAFTS)


class UnsubscribeFailed(Exception):
    """The list did not take the request; ``str()`` says why, for the person."""


@dataclass(frozen=True)
class Offer:
    list_name: str
    methods: UnsubscribeMethods

    def ways(self, failed: str = "") -> list[str]:
        """The ways to offer, best first: one-click alone while it may work, else
        a request by mail (unless that just failed) and the list's page."""
        if self.methods.one_click and not failed:
            return ["one_click"]
        mail = self.methods.mail is not None and failed != "mail"
        return [way for way, usable in (("mail", mail), ("link", self.methods.link)) if usable]

    @property
    def one_click_host(self) -> str:
        return urlsplit(self.methods.one_click).hostname or ""

    @property
    def link_host(self) -> str:
        return urlsplit(self.methods.link).hostname or ""


def offer_from(message: Message, parsed: ParsedMessage) -> Offer | None:
    """What the message's page offers, from its parsed headers; None for nothing."""
    if message.folder.special_use in NOT_OFFERED_IN:
        return None
    methods = unsubscribe_methods(parsed.list_unsubscribe, parsed.list_unsubscribe_post)
    if not methods:
        return None
    name = list_name(parsed.list_id) or list_name(parsed.sender) or message.from_email
    return Offer(name, methods)


def unsubscribe_one_click(offer: Offer) -> None:
    """POST the one-click form once, through netguard; UnsubscribeFailed unless
    the list answers 2xx (a redirect is a refusal: RFC 8058 forbids it)."""
    host = offer.one_click_host
    try:
        status = post_form(
            offer.methods.one_click,
            ONE_CLICK_FORM,
            allow_private=settings.UNSUBSCRIBE_ALLOW_PRIVATE,
            timeout=ONE_CLICK_TIMEOUT,
            ssl_context=web_context(settings.MAIL_CA_FILE),
        )
    except MailError as error:
        raise UnsubscribeFailed(_failure_reason(error, host)) from error
    if not 200 <= status < 300:
        raise UnsubscribeFailed(
            _("%(host)s did not accept the request (it answered %(status)s).")
            % {"host": host, "status": status}
        )


def _failure_reason(error: MailError, host: str) -> str:
    if error.code == "blocked":
        return _("%(host)s is on a private network: Courriel does not connect to it.") % {
            "host": host
        }
    if error.code == "timeout":
        return _("%(host)s did not answer in time.") % {"host": host}
    if isinstance(error, TLSError):
        return _("A secure connection to %(host)s could not be made.") % {"host": host}
    return _("%(host)s could not be reached.") % {"host": host}


def unsubscribe_by_mail(message: Message, offer: Offer) -> OutboxMessage:
    """Queue the mailto: request, from the account that received the message; the
    outbox sends it and files it in Sent as any other message."""
    request, account = offer.methods.mail, message.account
    if request is None:
        raise UnsubscribeFailed(_("This list takes no requests by e-mail."))
    try:
        raw = build_message(
            sender=Mailbox(account.email, account.display_name),
            to=[Mailbox(request.address)],
            subject=request.subject,
            text=request.body,
        )
        return queue_message(account, raw, recipients=[request.address])
    except (ValueError, MessageError) as error:
        raise UnsubscribeFailed(
            _("The list's address %(address)s cannot be written to.") % {"address": request.address}
        ) from error
