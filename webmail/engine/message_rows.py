"""Turns gateway summaries into Message rows (and flag updates into row updates)."""

from django.db import transaction

from webmail.mail.imap_types import Address, FlagUpdate, MessageSummary
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


def clean(text: str | None, limit: int | None = None) -> str:
    """PostgreSQL text must be valid UTF-8 without NUL."""
    text = (text or "").replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
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
    """Insert or refresh rows by (folder, uid): running twice changes nothing."""
    rows = [row_from_summary(folder, summary) for summary in summaries]
    with transaction.atomic():
        Message.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["folder", "uid"],
            update_fields=UPSERT_FIELDS,
        )
    return len(rows)


def apply_flag_updates(folder: Folder, updates: list[FlagUpdate]) -> int:
    """Update the rows whose flags differ; returns how many changed."""
    if not updates:
        return 0
    by_uid = {update.uid: update for update in updates}
    changed = []
    for row in Message.objects.filter(folder=folder, uid__in=list(by_uid)).iterator(2000):
        update = by_uid[row.uid]
        fields = flag_fields(update.flags)
        if any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            row.modseq = update.modseq or row.modseq
            changed.append(row)
    Message.objects.bulk_update(changed, [*SYSTEM_FLAGS.values(), "keywords", "modseq"], 500)
    return len(changed)
