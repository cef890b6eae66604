"""The outbox's states and the only moves between them.

    queued ──claim──▶ sending ──reply──▶ sent
      ▲  │               │ ├──────────▶ failed ──resend──▶ queued
      │  │               │ └─lost after the final "."──▶ maybe_sent
      │  └─undo/cancel──▶ cancelled          maybe_sent ──resend──▶ queued
      └── temporary failure, or a lease expired before the final "."

A reply that arrives after its lease expired still counts (maybe_sent → sent,
failed or queued): the server's answer is better knowledge than our guess.
Every change of state in the engine and the services goes through ``check``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class State(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Not sent")
    MAYBE_SENT = "maybe_sent", _("Maybe sent")
    CANCELLED = "cancelled", _("Cancelled")


class CopyState(models.TextChoices):
    """The copy in the account's Sent folder, once the message is sent."""

    NONE = "", _("Not yet")
    PENDING = "pending", _("Being saved to Sent")
    SAVED = "saved", _("Saved to Sent")
    SKIPPED = "skipped", _("Not saved here")
    FAILED = "failed", _("Could not be saved to Sent")


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    IN_FLIGHT = "in_flight", _("Maybe delivered")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


ALLOWED: dict[str, frozenset[str]] = {
    State.QUEUED: frozenset({State.SENDING, State.CANCELLED, State.FAILED}),
    State.SENDING: frozenset({State.QUEUED, State.SENT, State.FAILED, State.MAYBE_SENT}),
    State.MAYBE_SENT: frozenset({State.QUEUED, State.SENT, State.FAILED}),
    State.FAILED: frozenset({State.QUEUED}),
    State.SENT: frozenset(),
    State.CANCELLED: frozenset(),
}


class TransitionRefused(Exception):
    """The message is not in a state that allows this (it moved on meanwhile)."""


def check(current: str, wanted: str) -> None:
    if wanted not in ALLOWED[current]:
        raise TransitionRefused(f"an outbox message cannot go from {current} to {wanted}")


def sources_of(wanted: str) -> list[str]:
    """Every state from which ``wanted`` may be reached."""
    return [state for state, targets in ALLOWED.items() if wanted in targets]
