"""What desktop notifications say: the unread mail that reached the inboxes
since the page last asked (static/courriel/notify.js asks on each live update)."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail.views.folders import unified_messages

SHOWN = 3  # a notification names at most this many messages


@login_required
def new_mail(request):
    """``?after=<id>``: the inboxes' unread messages with a higher id (ids only
    grow), summed up in one notification. Without it: only where to start."""
    inboxes = unified_messages(request.user, "inbox")
    newest = inboxes.order_by("-pk").values_list("pk", flat=True).first() or 0
    after = request.GET.get("after", "")
    if not after.isdigit():
        return JsonResponse({"newest": newest, "count": 0})
    arrived = inboxes.filter(pk__gt=int(after), is_seen=False).order_by("-pk")
    count = arrived.count()
    if not count:
        return JsonResponse({"newest": newest, "count": 0})
    shown = list(arrived.values("pk", "from_name", "from_email", "subject")[:SHOWN])
    return JsonResponse({"newest": newest, "count": count} | summary(shown, count))


def summary(shown: list[dict], count: int) -> dict:
    def sender(row):
        return row["from_name"] or row["from_email"] or _("(unknown sender)")

    def subject(row):
        return row["subject"] or _("(no subject)")

    if count == 1:
        only = shown[0]
        url = reverse("webmail:message", args=[only["pk"]])
        return {"title": sender(only), "body": subject(only), "url": url}
    lines = [f"{sender(row)}: {subject(row)}" for row in shown]
    if count > len(shown):
        more = count - len(shown)
        lines.append(ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more})
    title = ngettext("%(count)d new message", "%(count)d new messages", count) % {"count": count}
    return {
        "title": title,
        "body": "\n".join(lines),
        "url": reverse("webmail:unified", args=["inbox"]),
    }
