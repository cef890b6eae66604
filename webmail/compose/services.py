"""What the compose views call: save, attach, send, undo; and what follows a send."""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webmail import tasks as mail_tasks
from webmail.compose import limits
from webmail.compose.building import build_draft_message, recipients_of
from webmail.compose.models import Draft, DraftAttachment, DraftState, Kind
from webmail.mail.mime import safe_filename
from webmail.mailbox_state import bump_changes, forget_folder_counts
from webmail.models import Folder, Message
from webmail.outbox import services as outbox
from webmail.outbox.models import OutboxMessage, State
from webmail.sitesettings import undo_send_seconds_for

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = ("to", "cc", "bcc", "subject", "format", "body_html", "body_text", "identity")
ANSWERED = "\\Answered"
FORWARDED = "$Forwarded"


class SendRefused(Exception):
    """The message cannot go as it is; ``str()`` says why, for the person."""


@dataclass
class AttachResult:
    added: list[DraftAttachment]
    refused: list[str]  # one sentence per file refused


def save_draft(draft: Draft, **fields) -> Draft:
    """Keep what the person wrote; the Drafts folder follows in the background."""
    account_before = draft.account_id
    for name, value in fields.items():
        setattr(draft, name, value)
    with transaction.atomic():
        if draft.account_id != account_before:  # From another account: move the copy too
            _forget_server_copy(draft, account_before)
        draft.version += 1
        draft.save()
        _mirror_on_commit(draft)
    return draft


def discard_draft(draft: Draft) -> None:
    """Delete a draft here, and its copy in Drafts through a task."""
    with transaction.atomic():
        _forget_server_copy(draft, draft.account_id)
        draft.delete()


def _forget_server_copy(draft: Draft, account_id: int) -> None:
    from webmail.compose.tasks import delete_draft_copy

    if draft.server_uid is None:
        return
    coordinates = (account_id, draft.server_folder, draft.server_uidvalidity, draft.server_uid)
    transaction.on_commit(lambda: enqueue_quietly(delete_draft_copy.delay, *coordinates))
    draft.server_uid = draft.server_uidvalidity = None
    draft.server_folder, draft.server_version = "", 0


def _mirror_on_commit(draft: Draft) -> None:
    if draft.account.protocol == "imap":
        from webmail.compose.tasks import mirror_draft

        transaction.on_commit(lambda: enqueue_quietly(mirror_draft.delay, draft.pk))


def enqueue_quietly(send, *arguments) -> None:
    # With the broker briefly down, the draft is safe here all the same.
    try:
        send(*arguments)
    except Exception:
        logger.warning("compose: could not queue a task for draft %s", arguments, exc_info=True)


def attach_files(draft: Draft, files) -> AttachResult:
    """Add uploaded files within the size limit; each refused file gets a sentence and
    the draft keeps everything else."""
    limit = limits.attachments_limit_for(draft.account_id)
    used = sum(draft.attachments.values_list("size", flat=True))
    result = AttachResult([], [])
    for upload in files:
        name = safe_filename(upload.name or "", "attachment")
        if used + upload.size > limit:
            result.refused.append(too_large_sentence(name, upload.size, limit))
            continue
        content = b"".join(upload.chunks())
        result.added.append(
            DraftAttachment.objects.create(
                draft=draft,
                filename=name,
                content_type=(upload.content_type or "application/octet-stream")[:255],
                size=len(content),
                content=content,
            )
        )
        used += len(content)
    if result.added:
        save_draft(draft)
    return result


def too_large_sentence(name: str, size: int, limit: int) -> str:
    if size <= limit:
        return _(
            "“%(name)s” (%(size)s) was not attached: with the files already attached, the "
            "message would exceed the limit of %(limit)s. Send it in another message or "
            "share a link to it instead."
        ) % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
    return _(
        "“%(name)s” (%(size)s) was not attached: files may be at most %(limit)s. Share a "
        "link to it instead."
    ) % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)}


def remove_attachment(draft: Draft, attachment_id: int) -> bool:
    deleted, _rows = draft.attachments.filter(pk=attachment_id).delete()
    if deleted:
        save_draft(draft)
    return bool(deleted)


def undo_seconds_for(user) -> dict:
    """The person's undo delay (else the site's default), as queue_message's keyword."""
    seconds = undo_send_seconds_for(user)
    return {"undo_seconds": seconds} if seconds in outbox.UNDO_SECONDS else {}


def send_draft(draft: Draft, *, send_at: datetime | None = None) -> OutboxMessage:
    """Put the draft in the outbox (now, after the undo delay, or at ``send_at``)."""
    recipients = recipients_of(draft)
    if recipients.invalid:
        raise SendRefused(
            ngettext(
                "This is not a valid address: %(addresses)s",
                "These are not valid addresses: %(addresses)s",
                len(recipients.invalid),
            )
            % {"addresses": ", ".join(recipients.invalid)}
        )
    if not recipients.everyone:
        raise SendRefused(_("Add at least one recipient."))
    try:
        raw = build_draft_message(draft)
    except ValueError as error:
        raise SendRefused(_("The message cannot be sent as it is: %(reason)s") % {
            "reason": error}) from error  # fmt: skip
    _check_server_size(draft, len(raw))
    with transaction.atomic():
        locked = Draft.objects.select_for_update().get(pk=draft.pk)
        if locked.state != DraftState.EDITING:
            raise SendRefused(_("This message is already in the outbox."))
        queued = outbox.queue_message(
            draft.account,
            raw,
            recipients=[m.address for m in recipients.everyone],
            send_at=send_at,
            **({} if send_at else undo_seconds_for(draft.user)),
        )
        Draft.objects.filter(pk=draft.pk).update(state=DraftState.QUEUED, outbox=queued)
        transaction.on_commit(lambda: _follow_up_later(draft.pk, queued))
    return queued


def _check_server_size(draft: Draft, size: int) -> None:
    server = limits.known_smtp_size(draft.account_id)
    if server and size > server:
        raise SendRefused(
            _(
                "The message is %(size)s, but the outgoing server accepts at most %(limit)s. "
                "Remove an attachment and send again; nothing else was changed."
            )
            % {"size": filesizeformat(size), "limit": filesizeformat(server)}
        )


def _follow_up_later(draft_id: int, queued: OutboxMessage) -> None:
    from django.utils import timezone

    from webmail.compose.tasks import follow_up_sent

    wait = max((queued.send_after - timezone.now()).total_seconds(), 0) + 5
    enqueue_quietly(lambda pk: follow_up_sent.apply_async((pk,), countdown=wait), draft_id)


def undo_send(draft: Draft) -> bool:
    """Take the message back from the outbox, into the editor. False if too late."""
    if draft.state != DraftState.QUEUED or draft.outbox_id is None:
        return draft.state == DraftState.EDITING
    try:
        outbox.undo(draft.outbox_id)
    except outbox.TransitionRefused:
        return False
    Draft.objects.filter(pk=draft.pk).update(state=DraftState.EDITING, outbox=None)
    return True


def follow_up(draft_id: int) -> str:
    """After the outbox is done with a draft's message: once sent (or maybe sent) mark
    the original \\Answered or $Forwarded and delete the draft, here and in Drafts;
    cancelled or failed, it is a draft again. "waiting" while still in the outbox."""
    draft = Draft.objects.select_related("account", "outbox", "original__folder").filter(
        pk=draft_id, state=DraftState.QUEUED
    ).first()  # fmt: skip
    if draft is None:
        return "gone"
    state = draft.outbox.state if draft.outbox else State.CANCELLED
    if state in (State.QUEUED, State.SENDING):
        return "waiting"
    if state in (State.CANCELLED, State.FAILED):
        # Taken back, or refused by the server: the draft is the person's to edit again
        # (its copy in Drafts was never removed).
        Draft.objects.filter(pk=draft.pk).update(state=DraftState.EDITING, outbox=None)
        return "back"
    if state in (State.SENT, State.MAYBE_SENT) and draft.original:
        mark_original(draft.original, draft.kind)
    _remove_server_copy(draft)
    draft.delete()
    return "done"


def _remove_server_copy(draft: Draft) -> None:
    from webmail.compose.mirror import remove_server_copy
    from webmail.mail.errors import ConnectError, MailError, TemporaryError

    try:
        remove_server_copy(draft)
    except (ConnectError, TemporaryError):
        raise  # the task tries again later
    except MailError as error:  # refused for good: a stale copy in Drafts, nothing worse
        logger.warning("compose: draft %s left in Drafts: %s", draft.pk, error)


def seconds_until_due(draft_id: int, minimum: int, maximum: int = 3600) -> int:
    """How long a follow-up should wait: until the message is due (a scheduled one
    may wait days; the page-load catch-up in settle_drafts covers a lost task)."""
    from django.utils import timezone

    send_after = (
        Draft.objects.filter(pk=draft_id).values_list("outbox__send_after", flat=True).first()
    )
    if send_after is None:
        return minimum
    return int(min(max((send_after - timezone.now()).total_seconds(), minimum), maximum))


def mark_original(message: Message, kind: str) -> None:
    """The same path as the reading flags: the index now, the server through a task."""
    flag = ANSWERED if kind == Kind.REPLY else FORWARDED if kind == Kind.FORWARD else None
    if flag is None:
        return
    folder = message.folder
    with transaction.atomic():
        if flag == ANSWERED:
            Message.objects.filter(pk=message.pk).update(is_answered=True)
        elif flag not in message.keywords:
            Message.objects.filter(pk=message.pk).update(keywords=[*message.keywords, flag])
        forget_folder_counts(folder.pk)
        Folder.objects.filter(pk=folder.pk).update(complete=False)
        if message.account.protocol == "imap" and folder.uidvalidity is not None:
            mail_tasks.apply_flags.delay_on_commit(
                folder.pk, [message.uid], folder.uidvalidity, [flag], []
            )
    bump_changes(message.account.user_id)


def settle_drafts(user=None) -> None:
    """Catch up with the outbox for drafts whose follow-up task was lost: messages
    cancelled from the outbox page come back as drafts; sent ones are cleaned up.
    Never talks to a mail server: a copy in Drafts is left to the task. One
    person's (on their page loads), or everyone's (beat, every few minutes)."""
    from webmail.compose.tasks import follow_up_sent

    queued = Draft.objects.filter(state=DraftState.QUEUED).exclude(
        outbox__state__in=[State.QUEUED, State.SENDING]
    )
    if user is not None:
        queued = queued.filter(user=user)
    for draft_id, server_uid in queued.values_list("pk", "server_uid"):
        if server_uid is None:
            follow_up(draft_id)
        else:
            enqueue_quietly(follow_up_sent.delay, draft_id)
