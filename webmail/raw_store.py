"""Raw messages in Django's storage, keyed by content hash (DESIGN.md, "Storage")."""

import hashlib
import os

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage


def raw_path(digest: str) -> str:
    return f"raw/{digest[:2]}/{digest[2:4]}/{digest}.eml"


def store_raw(data: bytes) -> str:
    """Store once (same bytes, same name) and make it durable; returns the SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    path = raw_path(digest)
    if not default_storage.exists(path):
        saved = default_storage.save(path, ContentFile(data))
        make_durable(saved)
    return digest


def make_durable(name: str) -> None:
    """fsync the file and its folder: POP3 deletes on the server rely on it."""
    if not isinstance(default_storage, FileSystemStorage):
        return  # object stores acknowledge writes durably themselves
    path = default_storage.path(name)
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    directory = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def read_raw(digest: str) -> bytes:
    with default_storage.open(raw_path(digest), "rb") as handle:
        return handle.read()
