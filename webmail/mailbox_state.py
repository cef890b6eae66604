"""Mailbox state kept in Redis (through Django's cache): counts, change counters,
sync status and locks. Losing it loses nothing: it is rebuilt from the database,
and every function here degrades to a no-op while the cache is down."""

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache

logger = logging.getLogger(__name__)
LOCK_SECONDS = 15 * 60


def quietly(operation, default=None):
    """``operation()``, or ``default`` while the cache is down (logged)."""
    try:
        return operation()
    except Exception:
        logger.warning("mailbox state unavailable", exc_info=True)
        return default


def changes_key(user_id: int) -> str:
    return f"mailbox:changes:{user_id}"


def folder_changes_key(folder_id: int) -> str:
    return f"mailbox:folder-changes:{folder_id}"


def _increment(key: str) -> int:
    cache.add(key, 0, timeout=None)
    return cache.incr(key)


def bump_changes(user_id: int, folder_id: int | None = None) -> int | None:
    """Counts changes to a person's mail, and to one folder of it; views and
    live updates compare these counters with the ones they last saw."""
    if folder_id is not None:
        quietly(lambda: _increment(folder_changes_key(folder_id)))
    return quietly(lambda: _increment(changes_key(user_id)))


def change_counter(user_id: int) -> int:
    return quietly(lambda: cache.get(changes_key(user_id), 0), 0)


def folder_change_counter(folder_id: int) -> int:
    return quietly(lambda: cache.get(folder_changes_key(folder_id), 0), 0)


def folder_counts_key(folder_id: int) -> str:
    return f"mailbox:counts:{folder_id}"


def store_folder_counts(folder_id: int, total: int, unread: int) -> None:
    quietly(lambda: cache.set(folder_counts_key(folder_id), (total, unread), timeout=None))


def forget_folder_counts(folder_id: int) -> None:
    """The next page recounts from the database."""
    quietly(lambda: cache.delete(folder_counts_key(folder_id)))


def folder_counts(folder_id: int) -> tuple[int, int] | None:
    return quietly(lambda: cache.get(folder_counts_key(folder_id)))


def many_folder_counts(folder_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Counts of the folders Redis knows, in one round trip (a folder list has dozens)."""
    keys = {folder_counts_key(pk): pk for pk in folder_ids}
    found = quietly(lambda: cache.get_many(list(keys)), {})
    return {keys[key]: value for key, value in found.items()}


def store_account_status(account_id: int, status: str, error: str = "") -> None:
    value = {"status": status, "error": error}
    quietly(lambda: cache.set(f"mailbox:status:{account_id}", value, timeout=None))


def notices_key(user_id: int) -> str:
    return f"notices:{user_id}"


def notify(user_id: int, error_code: str) -> None:
    """Tell the person, on their next page, that the server refused a change.
    The code is translated when shown, in the language of that page."""

    def append():
        notices = cache.get(notices_key(user_id), [])
        cache.set(notices_key(user_id), [*notices[-9:], error_code], timeout=7 * 24 * 3600)

    quietly(append)


def take_notices(user_id: int) -> list[str]:
    def take():
        notices = cache.get(notices_key(user_id), [])
        if notices:
            cache.delete(notices_key(user_id))
        return notices

    return quietly(take, [])


class Busy(Exception):
    """Another worker holds the lock."""


@contextmanager
def exclusive(name: str, seconds: int = LOCK_SECONDS) -> Iterator[None]:
    """A lock across workers (SET NX with expiry); raises Busy if someone holds it.

    With the cache down, work goes ahead unlocked: syncs are idempotent, so the
    worst case is duplicated effort, never a wrong index."""
    key, token = f"lock:{name}", secrets.token_hex(8)
    acquired = quietly(lambda: cache.add(key, token, timeout=seconds), True)
    if not acquired:
        raise Busy(name)
    try:
        yield
    finally:
        quietly(lambda: cache.get(key) == token and cache.delete(key))
