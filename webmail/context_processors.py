from django.utils.translation import gettext as _

from webmail.error_messages import describe
from webmail.mailbox_state import take_notices


def notices(request):
    """Refusals from the mail server that happened in the background."""
    if not request.user.is_authenticated:
        return {}
    codes = take_notices(request.user.pk)
    texts = [_("The server refused a change: %(reason)s") % {"reason": describe(c)} for c in codes]
    return {"server_notices": texts}


def undo_offer(request):
    """The token of the person's last move, for the "Undo" beside its notice."""
    session = getattr(request, "session", None)
    return {"undo_token": session.get("undo_token", "") if session is not None else ""}
