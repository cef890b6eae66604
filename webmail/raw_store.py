"""Raw messages in Django's storage, keyed by content hash (DESIGN.md, "Storage")."""

import hashlib
import os
import threading

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage


def raw_path(digest: str) -> str:
    """Where a raw message is written: 256 folders. Each new folder costs the file
    system an inode and a block, and with two levels (65,536 folders) nearly every
    message of a 10,000-message download made one, doubling the kernel's work."""
    return f"raw/{digest[:2]}/{digest}.eml"


def legacy_raw_path(digest: str) -> str:
    """Where messages stored before the one-level layout are: read, never written."""
    return f"raw/{digest[:2]}/{digest[2:4]}/{digest}.eml"


def store_raw(data: bytes, *, durable: bool = True) -> str:
    """Store once (same bytes, same name); returns the SHA-256. ``durable``
    fsyncs before returning: needed when the server's copy is about to be
    deleted (POP3), not for a copy of what an IMAP server keeps anyway."""
    digest = hashlib.sha256(data).hexdigest()
    store_raw_as(digest, data, durable=durable)
    return digest


def store_raw_as(digest: str, data: bytes, *, durable: bool = True) -> None:
    """``store_raw`` when the caller has hashed ``data`` already."""
    path = raw_path(digest)
    if isinstance(default_storage, FileSystemStorage):
        if not _refreshed(default_storage.path(legacy_raw_path(digest))):
            write_file(default_storage.path(path), data, durable=durable)
    elif not default_storage.exists(path) and not default_storage.exists(legacy_raw_path(digest)):
        default_storage.save(path, ContentFile(data))


def write_file(target: str, data: bytes, *, durable: bool) -> None:
    """Write-then-rename, so a reader never sees half a message. A file already
    there is reused, and its time refreshed so the collector (raw_gc) leaves it."""
    if _refreshed(target):
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = f"{target}.{os.getpid()}.{threading.get_ident()}.partial"
    with open(partial, "wb") as handle:
        handle.write(data)
        if durable:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(partial, target)
    if durable:
        fsync_directory(os.path.dirname(target))


def _refreshed(path: str) -> bool:
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def fsync_directory(path: str) -> None:
    directory = os.open(path, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def make_durable(name: str) -> None:
    """fsync the file and its folder: POP3 deletes on the server rely on it."""
    if not isinstance(default_storage, FileSystemStorage):
        return  # object stores acknowledge writes durably themselves
    path = default_storage.path(name)
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    fsync_directory(os.path.dirname(path))


def read_raw(digest: str) -> bytes:
    try:
        handle = default_storage.open(raw_path(digest), "rb")
    except FileNotFoundError:
        handle = default_storage.open(legacy_raw_path(digest), "rb")
    with handle:
        return handle.read()
