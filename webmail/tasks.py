"""Celery tasks: thin wrappers that take ids and call one service function."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "beat:last-heartbeat"


@shared_task
def health_check() -> dict:
    """Answer from inside a worker, so callers know the broker and a worker are alive."""
    return {"status": "ok", "at": timezone.now().isoformat()}


@shared_task
def heartbeat() -> None:
    """Run by beat every minute; the health page reports how old the last beat is."""
    cache.set(HEARTBEAT_CACHE_KEY, timezone.now().isoformat(), timeout=None)
