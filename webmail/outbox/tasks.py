"""Thin Celery tasks over the outbox engine: ids in, JSON only, safe to repeat.

They run on the default queue (delivery), never behind a long sync. Claims in
the database make a duplicated or retried task harmless; the rows, not these
tasks, are the memory of what must be sent (see engine.py).
"""

from celery import shared_task
from django.core.cache import cache

from webmail.outbox import engine

# The engine stops claiming after OUTBOX_RUN_SECONDS (120 s); the limits are the
# backstop. A killed task leaves its claim to expire and be recovered.
LIMITS = {"soft_time_limit": 170, "time_limit": 180, "acks_late": True}
QUEUED_SECONDS = 30


def queued_key(account_id: int) -> str:
    return f"outbox:queued:{account_id}"


@shared_task(**LIMITS)
def deliver_outbox(account_id: int) -> dict:
    """Deliver the account's due messages, then save their Sent copies."""
    cache.delete(queued_key(account_id))
    report = engine.deliver_due_for_account(account_id)
    if report.more_due:
        deliver_outbox.delay(account_id)
    return vars(report)


@shared_task(**LIMITS)
def dispatch_due_outbox() -> int:
    """Run by beat every 15 s: recover expired claims and queue each account with due
    work once. The cache key only spares the queue duplicates; losing it (Redis
    flushed) costs a duplicate task at most, never a message."""
    queued = 0
    for account_id in engine.dispatch_due():
        if cache.add(queued_key(account_id), 1, timeout=QUEUED_SECONDS):
            deliver_outbox.delay(account_id)
            queued += 1
    return queued
