"""Push: one IDLE connection per watched folder, each in its own thread.

A change reported by the server queues a sync of that folder at once. Lost
connections come back with exponential backoff; servers without IDLE are
polled (the gateway's ``idle`` falls back to NOOP). Several listeners split
the accounts between them by ``account_id % shards``.
"""

import logging
import threading
import time
from dataclasses import dataclass, field

from django.db import close_old_connections

from webmail.mail.errors import AuthError, MailError
from webmail.mail.imap import open_imap
from webmail.models import AccountStatus, Folder
from webmail.sync_health import WATCHER_BEAT_SECONDS, WatcherState, record_watcher

logger = logging.getLogger(__name__)

IDLE_SECONDS = 25 * 60  # below the 29 minutes RFC 2177 allows before re-issuing
MAX_BACKOFF_SECONDS = 300


def watched_folders(shard: int = 0, shards: int = 1) -> list[Folder]:
    folders = Folder.objects.select_related("account").filter(
        watch=True,
        selectable=True,
        account__is_active=True,
        account__user__is_active=True,  # a deactivated person's mail is left alone
        account__protocol="imap",
    )
    folders = folders.exclude(account__status=AccountStatus.AUTH_FAILED)
    return [folder for folder in folders if folder.account_id % shards == shard]


@dataclass
class Watcher:
    """Keeps IDLE running on one folder until ``stop`` is set."""

    folder: Folder
    on_change: callable
    idle_seconds: float = IDLE_SECONDS
    stop: threading.Event = field(default_factory=threading.Event)
    connected: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        backoff = 1.0
        while not self.stop.is_set():
            try:
                self.watch_once()
                backoff = 1.0
            except AuthError as error:
                logger.warning("folder %s: password refused, listener stops", self.folder.pk)
                record_watcher(self.folder.pk, WatcherState.STOPPED, error.code)
                return
            except MailError as error:
                logger.info("folder %s: %s; reconnecting in %.0fs", self.folder.pk, error, backoff)
                record_watcher(self.folder.pk, WatcherState.RECONNECTING, error.code)
                self.connected.clear()
                self.stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def watch_once(self) -> None:
        settings = self.folder.account.incoming_settings()
        with open_imap(settings) as session:
            session.select(self.folder.name, readonly=True)
            self.connected.set()
            while not self.stop.is_set():
                # A heartbeat per wait (at most a minute): the admin's sync health page.
                record_watcher(self.folder.pk, WatcherState.LISTENING)
                if session.idle(min(self.idle_seconds, WATCHER_BEAT_SECONDS)):
                    self.on_change(self.folder)


class Listener:
    """Runs a Watcher per watched folder and follows accounts as they come and go."""

    def __init__(self, on_change, *, shard: int = 0, shards: int = 1, idle_seconds=IDLE_SECONDS):
        self.on_change = on_change
        self.shard, self.shards = shard, shards
        self.idle_seconds = idle_seconds
        self.watchers: dict[int, tuple[Watcher, threading.Thread]] = {}

    def refresh(self) -> None:
        close_old_connections()
        wanted = {folder.pk: folder for folder in watched_folders(self.shard, self.shards)}
        for pk in self.watchers.keys() - wanted.keys():
            self.watchers.pop(pk)[0].stop.set()
        for pk in wanted.keys() - self.watchers.keys():
            watcher = Watcher(wanted[pk], self.on_change, self.idle_seconds)
            thread = threading.Thread(target=watcher.run, name=f"idle-{pk}", daemon=True)
            thread.start()
            self.watchers[pk] = (watcher, thread)

    def stop(self) -> None:
        for watcher, _thread in self.watchers.values():
            watcher.stop.set()
        for _watcher, thread in self.watchers.values():
            thread.join(70)
        self.watchers.clear()

    def run_forever(self, refresh_seconds: float = 60) -> None:
        try:
            while True:
                self.refresh()
                time.sleep(refresh_seconds)
        finally:
            self.stop()
