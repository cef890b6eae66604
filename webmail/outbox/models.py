"""Outgoing messages, from the moment a person presses Send until the server's answer.

The message itself (``raw``) lives in the row, not in ``webmail.raw_store``: the
outbox is transactional, so the message and its state must commit together (a
row can never point at a file that a crash left unwritten), the bytes are
private and short-lived (a sent message is kept only for the Sent copy and a
possible resend, then purged), and the content-addressed store is shared and
never deletes. Lists defer ``raw``; the engine reads it once per attempt.

Per-recipient results sit in ``recipients`` (JSON) beside the state, so that one
compare-and-set UPDATE moves both: a reader never sees a "sent" message whose
recipients are still "waiting", whatever crashed in between.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from webmail.outbox.states import CopyState, RecipientStatus, State

__all__ = ["CopyState", "OutboxMessage", "Recipient", "RecipientStatus", "State"]


@dataclass(frozen=True)
class Recipient:
    """One envelope recipient and what the server last said about it."""

    address: str
    status: str = RecipientStatus.PENDING
    code: int | None = None
    reply: str = ""

    @property
    def accepted(self) -> bool:
        return self.status == RecipientStatus.ACCEPTED

    def as_json(self) -> dict:
        return {
            "address": self.address,
            "status": self.status,
            "code": self.code,
            "reply": self.reply,
        }


class OutboxMessage(models.Model):
    # Indexed below, with the creation time (the person's list).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="outbox_messages",
        db_index=False,
    )
    account = models.ForeignKey(
        "webmail.MailAccount", on_delete=models.CASCADE, related_name="outbox_messages"
    )
    raw = models.BinaryField(editable=False)
    size = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=998)
    subject = models.TextField(blank=True)
    envelope_from = models.CharField(max_length=320)
    # [{"address", "status", "code", "reply"}], in the order the person wrote them.
    recipients = models.JSONField(default=list)

    state = models.CharField(max_length=12, choices=State, default=State.QUEUED)
    send_at = models.DateTimeField(null=True, blank=True, help_text=_("Scheduled for"))
    # Never handed to SMTP before this (the undo delay, or the scheduled time).
    send_after = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    give_up_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)

    # The claim: who is sending it, until when; and when the final "." was about to go.
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    data_sent_at = models.DateTimeField(null=True, blank=True)

    error_code = models.CharField(max_length=40, blank=True)
    last_error = models.TextField(blank=True, help_text=_("The server's own words"))
    sent_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    copy_state = models.CharField(max_length=8, choices=CopyState, blank=True)
    copy_attempts = models.PositiveIntegerField(default=0)
    copy_next_at = models.DateTimeField(null=True, blank=True)
    copy_error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        # Partial indexes: each holds only the rows its query looks for, and a row
        # changing state touches only the indexes it enters (the engine updates every
        # row three times while it is sent).
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(state="queued"), name="outbox_due"
            ),
            models.Index(
                fields=["account", "next_attempt_at"],
                condition=Q(state="queued"),
                name="outbox_due_account",
            ),
            models.Index(
                fields=["lease_until"], condition=Q(state="sending"), name="outbox_leases"
            ),
            models.Index(
                fields=["account", "copy_next_at"],
                condition=Q(copy_state="pending"),
                name="outbox_copies_due",
            ),
            models.Index(fields=["user", "created_at"], name="outbox_user_recent"),
        ]

    def __str__(self):
        return self.subject or self.message_id

    @property
    def recipient_results(self) -> list[Recipient]:
        return [Recipient(**item) for item in self.recipients]

    @property
    def is_scheduled(self) -> bool:
        return self.state == State.QUEUED and self.send_at is not None and self.attempts == 0

    @property
    def anything_delivered(self) -> bool:
        """Some recipient accepted it, or maybe did: it can no longer be taken back."""
        delivered = {RecipientStatus.ACCEPTED, RecipientStatus.IN_FLIGHT}
        return any(item["status"] in delivered for item in self.recipients)
