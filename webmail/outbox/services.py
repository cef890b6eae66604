"""What people and the admin do with the outbox: queue, undo, resend, dismiss, cancel,
reschedule. Each takes ids, changes the row under a lock (the engine's claims
wait for it), and queues delivery only once the change has committed (on_commit,
as Celery's delay_on_commit does, with a guard: a broker that is down must not
fail a Send whose row is already safe)."""

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from webmail.mail.compose import envelope_recipients, read_headers
from webmail.models import MailAccount
from webmail.outbox import states
from webmail.outbox.backoff import retry_for_seconds
from webmail.outbox.models import CopyState, OutboxMessage, Recipient, RecipientStatus, State
from webmail.outbox.sent_copy import copy_fields
from webmail.outbox.states import TransitionRefused
from webmail.outbox.tasks import deliver_outbox

logger = logging.getLogger(__name__)

UNDO_SECONDS = (0, 5, 10, 20, 30)
# Shorter waits ride on the task's countdown; longer ones on beat's dispatcher, which
# survives any restart (a countdown lives in the worker that holds it).
COUNTDOWN_LIMIT_SECONDS = 60
COUNTDOWN_MARGIN_SECONDS = 0.25

RESEND_FIELDS = (
    "recipients",
    "claimed_by",
    "send_after",
    "next_attempt_at",
    "give_up_at",
    "data_sent_at",
    "dismissed_at",
    "error_code",
    "last_error",
)

__all__ = [
    "UNDO_SECONDS",
    "TransitionRefused",
    "cancel_scheduled",
    "dismiss",
    "queue_message",
    "reschedule",
    "resend",
    "retry_now",
    "undo",
]


def queue_message(
    account: MailAccount,
    raw: bytes,
    *,
    recipients: Iterable[str],
    undo_seconds: int = 0,
    send_at: datetime | None = None,
) -> OutboxMessage:
    """Put a built message (see ``webmail.mail.compose``) in the outbox and return at
    once. It is not handed to SMTP before ``undo_seconds`` have passed, nor before
    ``send_at`` (timezone-aware). ValueError for a message without a Message-ID,
    no or malformed recipients, or an undo delay not offered."""
    if undo_seconds not in UNDO_SECONDS:
        raise ValueError(f"undo_seconds must be one of {UNDO_SECONDS}")
    if send_at is not None and timezone.is_naive(send_at):
        raise ValueError("send_at must be timezone-aware")
    addresses = envelope_recipients(recipients)
    if not addresses:
        raise ValueError("a message needs at least one recipient")
    headers = read_headers(raw)
    now = timezone.now()
    send_after = max(now + timedelta(seconds=undo_seconds), send_at or now)
    with transaction.atomic():
        message = OutboxMessage.objects.create(
            user_id=account.user_id,
            account=account,
            raw=raw,
            size=len(raw),
            message_id=headers.message_id,
            subject=headers.subject,
            envelope_from=account.email,
            recipients=[_waiting(address) for address in addresses],
            send_at=send_at,
            send_after=send_after,
            next_attempt_at=send_after,
            give_up_at=send_after + timedelta(seconds=retry_for_seconds()),
        )
        _enqueue_on_commit(account.pk, send_after - now)
    return message


def undo(outbox_id: int) -> bytes:
    """Take back a message not handed to SMTP yet (the undo delay, a schedule, or
    a retry wait with nothing delivered): it is cancelled and its bytes returned, for
    the editor. TransitionRefused once any of it went out."""
    with transaction.atomic():
        message = _locked(outbox_id)
        _refuse_unless(message.state == State.QUEUED and not message.anything_delivered, message)
        _move(message, State.CANCELLED)
        return bytes(message.raw)


def cancel_scheduled(outbox_id: int) -> bytes:
    """Cancel a message waiting in the outbox (scheduled or not); returns its bytes."""
    return undo(outbox_id)


def reschedule(outbox_id: int, send_at: datetime) -> OutboxMessage:
    """Move a waiting message to ``send_at`` (timezone-aware)."""
    if timezone.is_naive(send_at):
        raise ValueError("send_at must be timezone-aware")
    with transaction.atomic():
        message = _locked(outbox_id)
        _refuse_unless(message.state == State.QUEUED and not message.anything_delivered, message)
        message.send_at = message.send_after = message.next_attempt_at = send_at
        message.give_up_at = send_at + timedelta(seconds=retry_for_seconds())
        message.save(
            update_fields=["send_at", "send_after", "next_attempt_at", "give_up_at", "updated_at"]
        )
        _enqueue_on_commit(message.account_id, send_at - timezone.now())
    return message


def resend(outbox_id: int) -> OutboxMessage:
    """Send a message "maybe sent" or not sent again, byte for byte (same Message-ID),
    to the recipients who did not accept it. Those a server already accepted for
    certain are never sent it twice."""
    with transaction.atomic():
        message = _locked(outbox_id)
        _refuse_unless(message.state in (State.MAYBE_SENT, State.FAILED), message)
        now = timezone.now()
        message.recipients = [
            item if item["status"] == RecipientStatus.ACCEPTED else _waiting(item["address"])
            for item in message.recipients
        ]
        message.send_after = message.next_attempt_at = now
        message.give_up_at = now + timedelta(seconds=retry_for_seconds())
        message.data_sent_at = message.dismissed_at = None
        message.error_code = message.last_error = message.claimed_by = ""
        _move(message, State.QUEUED, *RESEND_FIELDS)
        _enqueue_on_commit(message.account_id, timedelta(0))
    return message


def dismiss(outbox_id: int) -> OutboxMessage:
    """Don't send again: the person has seen a maybe-sent, failed or partly sent
    message and keeps it as it is; it leaves their outbox page. A maybe-sent message
    they chose not to resend is probably sent: its copy goes to Sent."""
    with transaction.atomic():
        message = _locked(outbox_id)
        _refuse_unless(message.state in (State.MAYBE_SENT, State.FAILED, State.SENT), message)
        message.dismissed_at = timezone.now()
        fields = ["dismissed_at", "updated_at"]
        if message.state == State.MAYBE_SENT and message.copy_state == CopyState.NONE:
            account = message.account
            copy = copy_fields(account, message.dismissed_at)
            for name, value in copy.items():
                setattr(message, name, value)
            fields += list(copy)
        message.save(update_fields=fields)
    return message


def retry_now(outbox_id: int) -> OutboxMessage:
    """For the admin: a message waiting for its next attempt skips the wait (never its
    undo delay or schedule); a failed one is resent. A maybe-sent one is refused:
    only its author may decide to risk a duplicate."""
    with transaction.atomic():
        message = _locked(outbox_id)
        if message.state == State.QUEUED:
            message.next_attempt_at = timezone.now()
            message.save(update_fields=["next_attempt_at", "updated_at"])
            _enqueue_on_commit(message.account_id, message.send_after - timezone.now())
            return message
        _refuse_unless(message.state == State.FAILED, message)
    return resend(outbox_id)


# -- helpers ---------------------------------------------------------------------------------


def _waiting(address: str) -> dict:
    return Recipient(address).as_json()


def _locked(outbox_id: int) -> OutboxMessage:
    return OutboxMessage.objects.select_for_update().get(pk=outbox_id)


def _refuse_unless(allowed: bool, message: OutboxMessage) -> None:
    if not allowed:
        raise TransitionRefused(f"outbox message {message.pk} is {message.state}")


def _move(message: OutboxMessage, state: str, *fields: str) -> None:
    states.check(message.state, state)
    message.state = state
    message.save(update_fields=["state", "updated_at", *fields])


def _enqueue_on_commit(account_id: int, wait: timedelta) -> None:
    """Ask a worker to look at the account once the row has committed (after the
    wait, if short). Only a nudge: the row is the memory of what must be sent."""
    seconds = wait.total_seconds()
    if seconds > COUNTDOWN_LIMIT_SECONDS:
        return  # beat's dispatcher picks it up when due
    # A little late rather than early: a task that finds nothing due yet does nothing,
    # and the message would wait for the dispatcher's next round.
    countdown = seconds + COUNTDOWN_MARGIN_SECONDS if seconds > 0 else None
    transaction.on_commit(lambda: _nudge(account_id, countdown))


def _nudge(account_id: int, countdown: float | None) -> None:
    # With Redis briefly down, the person's Send still succeeds: the message is
    # committed, and beat's dispatcher delivers it from the database once Redis is back.
    try:
        deliver_outbox.apply_async((account_id,), countdown=countdown)
    except Exception:
        logger.warning("outbox: could not queue delivery for account %s", account_id, exc_info=True)
