"""Raw messages stored in batches and made durable together, for POP3 downloads.

Same names and storage as ``webmail.raw_store`` (Django's default storage, keyed by
SHA-256, read back with ``read_raw``), but shaped for 10,000 messages in one go.
``store_raw`` fsyncs each file and its folder in turn, ~2.5 ms a message on our
disks, the whole time budget of a download. Here a batch is written in the
background while the download goes on, by a few threads at once (each file under a
temporary name, then renamed: a reader never sees half a message), then made durable
by one ``syncfs(2)`` of the file system (Linux), else by fsyncs of every file and
folder.

After a crash, a file may exist whose content never reached the disk (some file
systems keep the name and lose the data): a file found already stored is trusted
only if its content hashes to its name. A message already stored in the older
two-level layout (``legacy_raw_path``) is not written again. Nothing may refer to a
message in the database, nor may it be deleted on the server, before ``durable()``
has returned.
"""

import ctypes
import ctypes.util
import hashlib
import logging
import os
import secrets
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from webmail.raw_store import legacy_raw_path, raw_path

logger = logging.getLogger(__name__)
FILE_THREADS = 8
_pools: dict[int, tuple[ThreadPoolExecutor, ThreadPoolExecutor]] = {}


class LocalStorageError(Exception):
    """Storing a message here failed (disk full, permissions): not the server's fault.
    Deliberately not an OSError, which the POP3 gateway would take for a network one."""


@dataclass
class RawBatch:
    """Raw messages taken by ``add``, written and made durable in the background by
    ``start``; durable once ``durable`` returns."""

    _messages: list[tuple[str, bytes]] = field(default_factory=list)
    _future: Future | None = None

    def add(self, data: bytes) -> str:
        """Take ``data`` into the batch; returns its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        self._messages.append((digest, data))
        return digest

    def start(self) -> None:
        """Start storing the batch in the background."""
        if self._future is None:
            self._future = _pools_of_this_process()[0].submit(self._store)

    def durable(self) -> None:
        """Return once every message added is on disk under its own name."""
        self.start()
        try:
            self._future.result()
        except OSError as error:
            raise LocalStorageError(str(error)) from error

    def _store(self) -> None:
        messages, self._messages = self._messages, []  # the memory goes with the batch
        if not isinstance(default_storage, FileSystemStorage):
            for digest, data in messages:
                # Object stores acknowledge a write once it is durable.
                if not any(map(default_storage.exists, _paths(digest))):
                    default_storage.save(raw_path(digest), ContentFile(data))
            return
        workers = _pools_of_this_process()[1]
        # Creating folders and files waits on the file system's journal: several at
        # once go three to five times faster than one after the other. Each thread
        # takes a share, not a task per file: the pool's bookkeeping of a task costs
        # about as much CPU as writing a small file.
        shares = [messages[start::FILE_THREADS] for start in range(FILE_THREADS)]
        written = [entry for share in workers.map(_share_written, shares) for entry in share]
        if written and not _syncfs(written[0][0]):
            stored = [path for path, _folders in written]
            folders = set().union(*(folders for _path, folders in written))
            list(workers.map(_fsync, stored + sorted(folders)))


def _paths(digest: str) -> tuple[str, str]:
    return raw_path(digest), legacy_raw_path(digest)


def _paths_on_disk(digest: str) -> tuple[str, str]:
    return tuple(map(default_storage.path, _paths(digest)))


def _share_written(messages: list[tuple[str, bytes]]) -> list[tuple[str, list[str]]]:
    return [_written(_paths_on_disk(digest), digest, data) for digest, data in messages]


def _written(paths: tuple[str, str], digest: str, data: bytes) -> tuple[str, list[str]]:
    """Write ``data`` at the first of ``paths`` unless it is at either already;
    returns where it is and the folders whose entries changed."""
    for path in paths:
        if _holds(path, digest):
            # Stored before, perhaps by a run that died before syncing it.
            return path, [os.path.dirname(path)]
    path = paths[0]
    folder = os.path.dirname(path)
    created = _created_folders(folder)
    temporary = f"{path}.{secrets.token_hex(6)}.part"
    with open(temporary, "xb") as handle:
        handle.write(data)
    os.replace(temporary, path)
    return path, [folder, *created]


def _holds(path: str, digest: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest() == digest
    except FileNotFoundError:
        return False


def _created_folders(folder: str) -> list[str]:
    """Create ``folder`` and its missing parents; returns the folders whose entries
    changed (a new folder's entry lives in its parent, which must be synced too)."""
    missing = []
    while not os.path.isdir(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    if not missing:
        return []
    os.makedirs(missing[0], exist_ok=True)
    return [*missing, folder]


@cache
def _libc_syncfs():
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    return function


def _syncfs(path: str) -> bool:
    """Flush the whole file system holding ``path`` (data, then the journal), in one
    call; False where syncfs(2) does not exist. Since Linux 5.8 it reports write-back
    errors of that file system, which are raised."""
    function = _libc_syncfs()
    if function is None:
        return False
    descriptor = os.open(path, os.O_RDONLY)
    try:
        if function(descriptor) != 0:
            number = ctypes.get_errno()
            raise OSError(number, os.strerror(number), path)
    finally:
        os.close(descriptor)
    return True


def _pools_of_this_process() -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
    """(batches, file operations): one thread storing the batches in order, a few for
    the files of a batch. Made per process: threads do not survive a fork (Celery's
    prefork workers)."""
    pid = os.getpid()
    if pid not in _pools:
        _pools[pid] = (
            ThreadPoolExecutor(1, thread_name_prefix="pop3-store"),
            ThreadPoolExecutor(FILE_THREADS, thread_name_prefix="pop3-file"),
        )
    return _pools[pid]


def _fsync(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
