"""What the admin's sync health page reads, kept in Redis (through Django's cache):
failed syncs per account, and a heartbeat from every IDLE watcher.

Like ``mailbox_state``, losing it loses nothing that matters (the page then shows
"unknown"), and every function here is a no-op while the cache is down."""

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from webmail.mailbox_state import quietly

# A watcher beats at least once a minute (its IDLE wait is capped at 60 s); a beat
# older than this means its thread or the whole listener is gone.
WATCHER_BEAT_SECONDS = 60
WATCHER_STALE_SECONDS = 3 * WATCHER_BEAT_SECONDS


class WatcherState:
    LISTENING = "listening"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"  # password refused: the listener gave up on this folder


def errors_key(account_id: int) -> str:
    return f"sync-health:errors:{account_id}"


def watcher_key(folder_id: int) -> str:
    return f"sync-health:watcher:{folder_id}"


@dataclass(frozen=True)
class ErrorCounts:
    in_a_row: int = 0  # failed syncs since the last one that worked
    total: int = 0  # failed syncs since Redis last lost its data


def record_sync_outcome(account_id: int, succeeded: bool) -> None:
    def update():
        counts = cache.get(errors_key(account_id)) or {"in_a_row": 0, "total": 0}
        if succeeded:
            counts["in_a_row"] = 0
        else:
            counts["in_a_row"] += 1
            counts["total"] += 1
        cache.set(errors_key(account_id), counts, timeout=None)

    quietly(update)


def error_counts(account_ids) -> dict[int, ErrorCounts]:
    keys = {errors_key(pk): pk for pk in account_ids}
    found = quietly(lambda: cache.get_many(list(keys)), {})
    return {keys[key]: ErrorCounts(**value) for key, value in found.items()}


def record_watcher(folder_id: int, state: str, error: str = "") -> None:
    """Called by each IDLE watcher: on connecting, after every IDLE wait, and when
    its connection is lost or refused."""
    value = {"state": state, "error": error, "at": timezone.now().isoformat()}
    timeout = None if state == WatcherState.STOPPED else WATCHER_STALE_SECONDS * 10
    quietly(lambda: cache.set(watcher_key(folder_id), value, timeout=timeout))


@dataclass(frozen=True)
class WatcherReport:
    state: str
    error: str
    at: datetime

    def is_stale(self, now: datetime) -> bool:
        return (now - self.at).total_seconds() > WATCHER_STALE_SECONDS


def watcher_reports(folder_ids) -> dict[int, WatcherReport]:
    keys = {watcher_key(pk): pk for pk in folder_ids}
    found = quietly(lambda: cache.get_many(list(keys)), {})
    return {
        keys[key]: WatcherReport(
            state=value["state"],
            error=value["error"],
            at=datetime.fromisoformat(value["at"]),
        )
        for key, value in found.items()
    }
