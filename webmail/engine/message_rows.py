"""Turns gateway summaries into Message rows (and flag updates into row updates)."""

import json
from enum import Enum
from functools import cache
from operator import itemgetter

from django.db import transaction
from django.db.models import JSONField
from django.db.models.expressions import DatabaseDefault

from webmail.engine import copy_rows, threads
from webmail.mail.imap_types import Address, FlagUpdate, MessageSummary
from webmail.mail.threading import ThreadInput
from webmail.models import Folder, Message

SYSTEM_FLAGS = {
    "\\seen": "is_seen",
    "\\flagged": "is_flagged",
    "\\answered": "is_answered",
    "\\draft": "is_draft",
}
IGNORED_FLAGS = {"\\recent"}
UPSERT_FIELDS = [
    "modseq", "message_id", "in_reply_to", "references", "subject", "from_name",
    "from_email", "to", "cc", "reply_to", "date", "internal_date", "size",
    "has_attachments", "preview", "preview_section", "is_seen", "is_flagged",
    "is_answered", "is_draft", "keywords",
]  # fmt: skip
# The values of ``row_values``, in order: the fields the sync sets.
ROW_FIELDS = ["account_id", "folder_id", "uid", *UPSERT_FIELDS]
_NO_ADDRESSES = "[]"
# What threading reads of a row (ThreadInput's fields after the key), as positions in it.
_THREAD_VALUES = itemgetter(*(ROW_FIELDS.index(name) for name in threads.FIELDS[1:]))


def clean(text: str | None, limit: int | None = None) -> str:
    """PostgreSQL text must be valid UTF-8 without NUL."""
    text = text or ""
    if not text.isascii():  # only non-ASCII text can hold lone surrogates
        text = text.encode("utf-8", "replace").decode("utf-8")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text[:limit] if limit else text


def addresses(values: tuple[Address, ...]) -> list[list[str]]:
    return [[clean(a.name, 500), clean(a.email, 320)] for a in values]


def flag_fields(flags) -> dict:
    lowered = {flag.lower(): flag for flag in flags}
    fields = {field: name in lowered for name, field in SYSTEM_FLAGS.items()}
    fields["keywords"] = sorted(
        clean(flag, 100)
        for low, flag in lowered.items()
        if low not in SYSTEM_FLAGS and low not in IGNORED_FLAGS
    )
    return fields


def row_from_summary(folder: Folder, summary: MessageSummary) -> Message:
    sender = summary.from_[0] if summary.from_ else Address("", "")
    return Message(
        account_id=folder.account_id,
        folder=folder,
        uid=summary.uid,
        modseq=summary.modseq,
        message_id=clean(summary.message_id, 998),
        in_reply_to=clean(summary.in_reply_to, 998),
        references=clean(" ".join(summary.references)),
        subject=clean(summary.subject),
        from_name=clean(sender.name, 500),
        from_email=clean(sender.email, 320),
        to=addresses(summary.to),
        cc=addresses(summary.cc),
        reply_to=addresses(summary.reply_to),
        date=summary.date,
        internal_date=summary.internal_date,
        size=summary.size,
        has_attachments=summary.has_attachments,
        preview=clean(summary.preview, 300),
        preview_section=clean(summary.preview_section, 100),
        **flag_fields(summary.flags),
    )


def upsert_summaries(folder: Folder, summaries: list[MessageSummary]) -> int:
    """Insert or refresh rows by (folder, uid): running twice changes nothing.
    On PostgreSQL new rows go in with their conversation; elsewhere
    ``threads.thread_pending`` gives them one afterwards."""
    if not summaries:
        return 0
    if copy_rows.available():
        with transaction.atomic():
            _copy_threaded(folder, [row_values(folder, summary) for summary in summaries])
        return len(summaries)
    instances = [row_from_summary(folder, summary) for summary in summaries]
    with transaction.atomic():
        Message.objects.bulk_create(
            instances,
            update_conflicts=True,
            unique_fields=["folder", "uid"],
            update_fields=UPSERT_FIELDS,
        )
    return len(instances)


def _copy_threaded(folder: Folder, rows: list[tuple]) -> None:
    """The COPY upsert of ``row_values`` rows, new ones numbered and threaded first."""
    ids = copy_rows.reserve_ids(Message, len(rows))
    plan = threads.plan_conversations(
        folder.account_id, [thread_input(pk, row) for pk, row in zip(ids, rows, strict=True)]
    )
    defaults = insert_defaults()
    copy_rows.upsert(
        Message,
        ["id", *ROW_FIELDS, "thread_id", *defaults],
        [
            (pk, *row, plan.thread_of[pk], *defaults.values())
            for pk, row in zip(ids, rows, strict=True)
        ],
        conflict=["folder", "uid"],
        update=UPSERT_FIELDS,
        # A row already there keeps its conversation (the plan joined it anyway:
        # its own Message-ID leads there) unless it had none.
        fill=["thread_id"],
        # The server keeps the mail: a batch lost in a crash is fetched again.
        durable=False,
    )


def thread_input(pk: int, row: tuple) -> ThreadInput:
    """What threading reads of a ``row_values`` row, as ``threads.FIELDS`` reads it
    from a stored one."""
    return ThreadInput(pk, *_THREAD_VALUES(row))


def row_values(folder: Folder, summary: MessageSummary) -> tuple:
    """What ``row_from_summary`` puts in a row, as a tuple in ``ROW_FIELDS`` order,
    JSON as text (for COPY): no model instance, no per-field preparation."""
    sender = summary.from_[0] if summary.from_ else Address("", "")
    seen = flagged = answered = draft = False
    keywords = {}
    for flag in summary.flags:
        low = flag.lower()
        if low == "\\seen":
            seen = True
        elif low == "\\flagged":
            flagged = True
        elif low == "\\answered":
            answered = True
        elif low == "\\draft":
            draft = True
        elif low not in IGNORED_FLAGS:
            keywords[low] = clean(flag, 100)
    return (
        folder.account_id,
        folder.pk,
        summary.uid,
        summary.modseq,
        clean(summary.message_id, 998),
        clean(summary.in_reply_to, 998),
        clean(" ".join(summary.references)),
        clean(summary.subject),
        clean(sender.name, 500),
        clean(sender.email, 320),
        _json_addresses(summary.to),
        _json_addresses(summary.cc),
        _json_addresses(summary.reply_to),
        summary.date,
        summary.internal_date,
        summary.size,
        summary.has_attachments,
        clean(summary.preview, 300),
        clean(summary.preview_section, 100),
        seen,
        flagged,
        answered,
        draft,
        json.dumps(sorted(keywords.values())) if keywords else _NO_ADDRESSES,
    )


def _json_addresses(values: tuple[Address, ...]) -> str:
    return json.dumps(addresses(values), ensure_ascii=False) if values else _NO_ADDRESSES


@cache
def insert_defaults() -> dict[str, object]:
    """The other columns of a new row, as a new Message instance has them (the
    body indexer's state, and any field added later): the database has no defaults."""
    template = Message()
    skipped = {"id", "thread_id", *ROW_FIELDS}
    defaults = {}
    for field in Message._meta.concrete_fields:
        if field.attname in skipped or field.generated:
            continue
        value = getattr(template, field.attname)
        if isinstance(value, DatabaseDefault):
            continue  # the database fills it
        if isinstance(field, JSONField):
            value = json.dumps(value)
        elif isinstance(value, Enum):  # a Choices member: its stored value
            value = value.value
        defaults[field.attname] = value
    return defaults


FLAG_COLUMNS = [*SYSTEM_FLAGS.values(), "keywords", "modseq"]


def apply_flag_updates(folder: Folder, updates: list[FlagUpdate]) -> int:
    """Update the rows whose flags differ; returns how many changed. Only the flag
    columns are read and written (reading whole rows brought every indexed body
    along), in one statement on PostgreSQL."""
    if not updates:
        return 0
    by_uid = {update.uid: update for update in updates}
    changed = []
    rows = Message.objects.filter(folder=folder, uid__in=list(by_uid))
    for row in rows.only("pk", "uid", *FLAG_COLUMNS).iterator(2000):
        update = by_uid[row.uid]
        fields = flag_fields(update.flags)
        if any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.modseq = update.modseq or row.modseq
            changed.append(row)
    if copy_rows.available():
        values = itemgetter(*SYSTEM_FLAGS.values())
        copy_rows.update_by_pk(
            Message,
            ["id", *FLAG_COLUMNS],
            [(row.pk, *values(vars(row)), json.dumps(row.keywords), row.modseq) for row in changed],
            durable=False,  # the server keeps the flags: see copy_rows._stage
        )
    else:
        Message.objects.bulk_update(changed, FLAG_COLUMNS, 500)
    return len(changed)
