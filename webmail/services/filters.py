"""Filters: new mail in an Inbox sorted by the person's rules, in their order.

A filter acts as the person would (services.actions): the index changes at once and
the server follows through the usual tasks; sync itself still only reads.

Which mail is new: ``Folder.filtered_uid``, the highest UID the filters have looked
at. After the Inbox's new rows are committed (an IMAP folder sync, a POP3 download)
``claim_arrivals`` moves it up to the highest UID stored, with a compare-and-set, and
the UIDs in between are filtered once. UIDs only grow within an epoch, so a row the
sync stores again under its old UID (a move the server refused, an undo that came
first) is not new. A message moved into the Inbox, or moved out and back (by a
filter, the person, an undo or another client), gets a new UID: a FilterExemption
recorded at the move tells it apart (see ``remember_moves``).
"""

import json
import logging
from datetime import timedelta

from django.db import connection
from django.db.models import Exists, Max, OuterRef, Q, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from webmail.models import FilterExemption, Folder, Message, MessageFilter, SpecialUse
from webmail.models.filters import ConditionField, Operator

logger = logging.getLogger(__name__)

EXEMPTION_DAYS = 30
SEEN, FLAGGED = "\\Seen", "\\Flagged"
COLUMNS = {
    ConditionField.FROM: ["from_name", "from_email"],
    ConditionField.RECIPIENTS: ["to_text", "cc_text"],
    ConditionField.SUBJECT: ["subject"],
}


def condition_q(field: str, operator: str, value: str) -> Q:
    """One condition as SQL: any of the field's columns matches (case-insensitively);
    "does not contain" is true when none of them contains the value."""
    if field == ConditionField.RECIPIENTS:
        # The [[name, address], …] lists as JSON text: a quoted string is one
        # whole name or address, so "is" looks for the value with its quotes.
        quoted = json.dumps(value, ensure_ascii=connection.vendor != "postgresql")
        lookup, value = "icontains", quoted if operator == Operator.IS else quoted[1:-1]
    else:
        lookup = "iexact" if operator == Operator.IS else "icontains"
    matches = Q()
    for column in COLUMNS[field]:
        matches |= Q(**{f"{column}__{lookup}": value})
    return ~matches if operator == Operator.NOT_CONTAINS else matches


def filter_q(message_filter: MessageFilter) -> Q:
    combined = Q()
    for condition in message_filter.conditions:
        q = condition_q(condition["field"], condition["operator"], condition["value"])
        combined = (combined & q) if message_filter.match_all else (combined | q)
    return combined


def matching_ids(message_filter: MessageFilter, messages) -> list[int]:
    """The ids among ``messages`` (a queryset) that the filter's conditions match."""
    if not message_filter.conditions:
        return []  # no condition is not "every message"
    recipients = {
        "to_text": Cast("to", output_field=TextField()),
        "cc_text": Cast("cc", output_field=TextField()),
    }
    rows = messages.annotate(**recipients).filter(filter_q(message_filter))
    return list(rows.values_list("pk", flat=True))


def apply_actions(message_filter: MessageFilter, ids: list[int]) -> None:
    """Flags first: a move takes the rows out of the Inbox's index. The move
    carries them too, so that the server has them before it moves."""
    from webmail.services.actions import NoSuchFolder, act_on_messages  # it queues tasks

    user = message_filter.account.user
    flags = [SEEN] if message_filter.mark_read else []
    flags += [FLAGGED] if message_filter.flag else []
    if message_filter.mark_read:
        act_on_messages(user, ids, "read")
    if message_filter.flag:
        act_on_messages(user, ids, "flag")
    try:
        if message_filter.trash:
            act_on_messages(user, ids, "delete", add_flags=flags)
        elif message_filter.move_to_id:
            act_on_messages(user, ids, "move", message_filter.move_to_id, add_flags=flags)
    except (NoSuchFolder, Folder.DoesNotExist):
        logger.info("filter %s: its folder is gone", message_filter.pk)


def apply_filters(filters: list[MessageFilter], messages) -> int:
    """Each filter in turn on ``messages`` (a queryset); a filter that stops keeps
    later ones off what it matched. Returns how many messages were acted on."""
    stopped: set[int] = set()
    affected: set[int] = set()
    for message_filter in filters:
        ids = [pk for pk in matching_ids(message_filter, messages) if pk not in stopped]
        if ids:
            apply_actions(message_filter, ids)
            affected.update(ids)
        if message_filter.stop:
            stopped.update(ids)
    return len(affected)


def run_now(message_filter: MessageFilter) -> int:
    """The person's "Run now": this filter on everything in the account's Inbox."""
    inbox = message_filter.account.folders.filter(special_use=SpecialUse.INBOX).first()
    if inbox is None:
        return 0
    return apply_filters([message_filter], Message.objects.filter(folder=inbox))


def claim_arrivals(folder: Folder) -> tuple[int, int] | None:
    """The UIDs of ``folder`` new since the last pass, as (after, through], now
    claimed (a second caller gets None). The first pass only sets the mark."""
    if folder.special_use != SpecialUse.INBOX:
        return None
    current = Folder.objects.filter(pk=folder.pk).values_list("filtered_uid", flat=True).first()
    through = Message.objects.filter(folder=folder).aggregate(top=Max("uid"))["top"] or 0
    if current is not None and through <= current:
        return None
    claimed = Folder.objects.filter(pk=folder.pk, filtered_uid=current).update(filtered_uid=through)
    if claimed != 1 or current is None:
        return None
    return current, through


def filter_arrivals(folder: Folder, claimed: tuple[int, int] | None) -> int:
    """Apply the account's enabled filters to the claimed new messages of its Inbox;
    returns how many were acted on."""
    if claimed is None:
        return 0
    after, through = claimed
    old = timezone.now() - timedelta(days=EXEMPTION_DAYS)
    FilterExemption.objects.filter(folder=folder, created_at__lt=old).delete()
    enabled = MessageFilter.objects.filter(account_id=folder.account_id, enabled=True)
    filters = list(enabled.select_related("account__user"))
    if not filters:
        return 0
    exempt = FilterExemption.objects.filter(
        folder=folder,
        internal_date=OuterRef("internal_date"),
        size=OuterRef("size"),
        message_id=OuterRef("message_id"),
    )
    arrivals = Message.objects.filter(folder=folder, uid__gt=after, uid__lte=through)
    return apply_filters(filters, arrivals.exclude(Exists(exempt)))


def remember_moves(source: Folder, destination: Folder, messages: list[Message]) -> None:
    """A person (or a filter) moves ``messages``: should they come (back) into an
    Inbox, by this move, an undo or another client, filters leave them there."""
    inboxes = [f for f in (source, destination) if f.special_use == SpecialUse.INBOX]
    accounts = {inbox.account_id for inbox in inboxes}  # two, across accounts
    if not inboxes or not MessageFilter.objects.filter(account_id__in=accounts).exists():
        return
    FilterExemption.objects.bulk_create(
        FilterExemption(
            folder=inbox, message_id=m.message_id, internal_date=m.internal_date, size=m.size
        )
        for inbox in inboxes
        for m in messages
    )


def start_marks(account) -> None:
    """A first filter must not sort the mail already in the Inbox: an Inbox that
    no pass has marked yet is marked now, at its newest message."""
    for inbox in account.folders.filter(special_use=SpecialUse.INBOX, filtered_uid=None):
        claim_arrivals(inbox)
