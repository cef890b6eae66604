"""What a person reads when a message or one of its recipients did not go through.

The row keeps a stable code (and the server's own words); the sentence is made
when the page is drawn, in the reader's language.
"""

import re

from django.utils.translation import gettext_lazy as _

from webmail.error_messages import MESSAGES as CONNECTION_MESSAGES
from webmail.error_messages import describe

MESSAGE_REASONS = {
    "sender_refused": _("The server refused to send from this address."),
    "recipients_refused": _("The server refused every recipient."),
    "message_refused": _("The server refused the message."),
    "message_too_large": _("The message is larger than the server accepts."),
    "gave_up": _("The server kept refusing for too long; Courriel stopped trying."),
    "lost_after_data": _(
        "The connection was lost just as the message was handed over: it may have been "
        "sent. Check with a recipient before sending it again."
    ),
    "worker_lost_after_data": _(
        "Courriel stopped while handing the message over: it may have been sent. "
        "Check with a recipient before sending it again."
    ),
}

# RFC 3463 enhanced status codes, as they appear at the start of the server's text.
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")
_RECIPIENT_REASONS = {
    "1.1": _("This address does not exist."),
    "1.2": _("This domain does not exist or does not receive mail."),
    "1.3": _("This address is not written correctly."),
    "2.1": _("This mailbox is disabled."),
    "2.2": _("This mailbox is full."),
    "3.4": _("The message is too large for this recipient."),
    "5.3": _("The server accepts fewer recipients per message; Courriel sends the rest later."),
}


def message_reason(code: str) -> str:
    """The plain-words reason for a message-level ``code`` (outbox or connection)."""
    if code in MESSAGE_REASONS:
        return str(MESSAGE_REASONS[code])
    if code in CONNECTION_MESSAGES:
        return describe(code)
    return str(_("The mail server reported an error."))


def recipient_reason(code: int | None, reply: str) -> str:
    """Why a recipient was refused, or is still waiting, from the SMTP reply."""
    if code is None or 200 <= code < 300:
        return ""
    enhanced = _ENHANCED.match(reply or "")
    if enhanced and f"{enhanced[2]}.{enhanced[3]}" in _RECIPIENT_REASONS:
        return str(_RECIPIENT_REASONS[f"{enhanced[2]}.{enhanced[3]}"])
    if code == 452:
        return str(_RECIPIENT_REASONS["5.3"])
    if 400 <= code < 500:
        return str(_("The server asked to try again later; Courriel will."))
    if enhanced and enhanced[2] == "7":
        return str(_("The server refused this recipient (a policy or security rule)."))
    return str(_("The server refused this address."))


def message_code_for_refusal(step: str, reply_code: int | None, reply: str) -> str:
    """The code recorded when the server refused the whole message at ``step``."""
    enhanced = _ENHANCED.match(reply or "")
    if reply_code == 552 or (enhanced and enhanced[2] == "3" and enhanced[3] == "4"):
        return "message_too_large"
    return {"mail": "sender_refused", "rcpt": "recipients_refused"}.get(step, "message_refused")
