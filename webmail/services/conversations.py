"""Conversations in the lists and on their own page, read from the index."""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet

from webmail.models import Message, SpecialUse

BINS = [SpecialUse.TRASH, SpecialUse.JUNK]
MAX_PARTICIPANTS = 3


def newest_of_each_conversation(messages: QuerySet) -> QuerySet:
    """One row per conversation among ``messages``: the newest of it there (a
    message not yet threaded stands alone). With the (thread_id, date) index the
    check is one short probe per row the keyset scan reads."""
    newer = messages.filter(thread_id=OuterRef("thread_id")).filter(
        Q(internal_date__gt=OuterRef("internal_date"))
        | Q(internal_date=OuterRef("internal_date"), id__gt=OuterRef("id"))
    )
    return messages.filter(~Exists(newer.values("id")))


@dataclass
class ConversationSummary:
    count: int = 0
    unread: bool = False
    flagged: bool = False
    has_attachments: bool = False
    participants: list[str] = field(default_factory=list)
    you_took_part: bool = False


def summarize(user, rows: list[Message], *, in_bin: bool = False) -> None:
    """Attach to each listed row what the list shows of its whole conversation
    (across folders, Sent included; the Trash and Junk only when listing them)."""
    threads = {row.thread_id for row in rows if row.thread_id is not None}
    messages = Message.objects.filter(thread_id__in=threads, account__user=user)
    if not in_bin:
        messages = messages.exclude(folder__special_use__in=BINS)
    summaries = {thread: ConversationSummary() for thread in threads}
    fields = ["thread_id", "from_name", "from_email", "is_seen", "is_flagged", "has_attachments"]
    for values in messages.order_by("internal_date", "id").values(*fields, "folder__special_use"):
        add_to(summaries[values["thread_id"]], values)
    for row in rows:
        summary = summaries.get(row.thread_id) if row.thread_id is not None else None
        if summary is None or not summary.count:
            summary = ConversationSummary()
            add_to(summary, {f: getattr(row, f) for f in fields[1:]} | {"folder__special_use": ""})
        row.conversation = summary


def add_to(summary: ConversationSummary, values: dict) -> None:
    summary.count += 1
    summary.unread |= not values["is_seen"]
    summary.flagged |= values["is_flagged"]
    summary.has_attachments |= values["has_attachments"]
    if values["folder__special_use"] in (SpecialUse.SENT, SpecialUse.DRAFTS):
        summary.you_took_part = True
        return
    name = values["from_name"] or values["from_email"]
    if name and name not in summary.participants:
        summary.participants.append(name)
        if len(summary.participants) > MAX_PARTICIPANTS:
            del summary.participants[0]  # the latest voices tell the most


def conversation_messages(user, thread_id: int) -> list[Message]:
    """Every message of the person's conversation, oldest first; empty for a
    conversation that is not theirs."""
    return list(
        Message.objects.select_related("folder", "account")
        .filter(thread_id=thread_id, account__user=user)
        .order_by("internal_date", "id")
    )


def messages_of_conversations(user, thread_ids, within: QuerySet | None = None) -> list[int]:
    """Ids of the person's messages in these conversations (only those ``within``
    the list they were chosen in, when given)."""
    messages = within if within is not None else Message.objects.all()
    messages = messages.filter(thread_id__in=list(thread_ids), account__user=user)
    return list(messages.values_list("id", flat=True))
