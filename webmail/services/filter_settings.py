"""Keeping a person's filters: saved in order, moved up and down within an account."""

from django.db import transaction
from django.db.models import Max

from webmail.models import MessageFilter
from webmail.services.filters import start_marks


@transaction.atomic
def save_filter(form) -> MessageFilter:
    """A new filter (or one given another account) goes last in its account's list.
    Mail already in the Inbox is left alone: only "Run now" sorts it."""
    message_filter = form.save(commit=False)
    if message_filter.pk is None or "account" in form.changed_data:
        siblings = MessageFilter.objects.filter(account=message_filter.account)
        last = siblings.exclude(pk=message_filter.pk).aggregate(top=Max("position"))["top"]
        message_filter.position = 0 if last is None else last + 1
    message_filter.save()
    start_marks(message_filter.account)
    return message_filter


@transaction.atomic
def shift_filter(message_filter: MessageFilter, step: int) -> None:
    """Swap with the previous (``step`` -1) or next (+1) filter of the account."""
    siblings = list(
        MessageFilter.objects.select_for_update().filter(account_id=message_filter.account_id)
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == message_filter.pk)
    other = index + step
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    MessageFilter.objects.bulk_update(siblings, ["position"])
