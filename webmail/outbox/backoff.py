"""How long things wait in the outbox; each figure can be set in settings."""

import random
from datetime import timedelta

from django.conf import settings


def lease_seconds() -> int:
    """How long a claim holds: longer than a batch of claimed messages takes to reach
    its last final "." on a slow link. A claim that runs out costs time, never a
    message: before the ".", the row is queued again and its holder hangs up; after
    it, the row is maybe_sent until the reply settles it."""
    return getattr(settings, "OUTBOX_LEASE_SECONDS", 300)


def retry_for_seconds() -> int:
    return getattr(settings, "OUTBOX_RETRY_FOR_SECONDS", 4 * 24 * 3600)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with a little jitter, so a server that comes back is not
    hit by every waiting message at the same second."""
    base = getattr(settings, "OUTBOX_RETRY_BASE_SECONDS", 60)
    most = getattr(settings, "OUTBOX_RETRY_MAX_SECONDS", 3600)
    seconds = min(base * 2 ** max(attempts - 1, 0), most)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def run_budget_seconds() -> float:
    """A run stops claiming new messages after this, well within the task's limit."""
    return getattr(settings, "OUTBOX_RUN_SECONDS", 120)
