"""Raw messages nobody refers to any more (deleted here, or an IMAP body cache whose
message went away) are removed from storage.

Writers store a file, make it durable, and only then commit a Message row for it
(pop3/raw_files.py); a writer that finds its file already there refreshes its
modification time instead (raw_store.write_file). So a file is removed only when it
is older than a grace period far longer than any download takes, and unreferenced;
and it is first renamed aside and looked at again, so a writer that reused it in the
meantime gets it back (or, finding no file, writes its own)."""

import logging
import os
import time
from collections.abc import Iterator
from datetime import timedelta

from django.core.files.storage import FileSystemStorage, default_storage

from webmail.models import Message

logger = logging.getLogger(__name__)
GRACE = timedelta(days=1)
RAW_ROOT = "raw"
BATCH = 1000
ASIDE = ".collected"


def old_files(root: str, cutoff: float) -> Iterator[tuple[str, str | None]]:
    """(path, digest or None for a leftover partial write) of files older than cutoff."""
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                if os.stat(path).st_mtime >= cutoff:
                    continue
            except FileNotFoundError:
                continue
            yield path, digest_of(name)


def digest_of(name: str) -> str | None:
    name = name.removesuffix(ASIDE)  # set aside by a collection that did not finish
    if name.endswith(".eml") and len(name) == 64 + 4:
        return name[:-4]
    return None


def referenced(digests: list[str]) -> set[str]:
    rows = Message.objects.filter(raw_sha256__in=digests).values_list("raw_sha256", flat=True)
    return set(rows)


def collect(now: float | None = None) -> int:
    """Remove unreferenced raw files older than GRACE; returns how many."""
    if not isinstance(default_storage, FileSystemStorage):
        logger.info("raw store: not on the file system; old files are left to its own rules")
        return 0
    cutoff = (now or time.time()) - GRACE.total_seconds()
    removed, batch = 0, []
    for entry in old_files(default_storage.path(RAW_ROOT), cutoff):
        batch.append(entry)
        if len(batch) >= BATCH:
            removed += _remove_unreferenced(batch, cutoff)
            batch = []
    removed += _remove_unreferenced(batch, cutoff)
    if removed:
        logger.info("raw store: removed %d unreferenced files", removed)
    return removed


def _remove_unreferenced(batch: list[tuple[str, str | None]], cutoff: float) -> int:
    in_use = referenced([digest for _path, digest in batch if digest])
    removed = 0
    for path, digest in batch:
        if digest in in_use:
            if path.endswith(ASIDE):  # set aside by a collection cut short: put it back
                _put_back(path)
            continue
        removed += _remove(path, digest, cutoff)
    return removed


def _remove(path: str, digest: str | None, cutoff: float) -> int:
    if path.endswith(ASIDE):
        path = path.removesuffix(ASIDE)
        aside = path + ASIDE
    else:
        aside = path + ASIDE
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            return 0
    if os.stat(aside).st_mtime >= cutoff or (digest and referenced([digest])):
        _put_back(aside)
        return 0
    os.unlink(aside)
    return 1


def _put_back(aside: str) -> None:
    """Unless a writer, finding no file, has written it again (same bytes) meanwhile."""
    path = aside.removesuffix(ASIDE)
    if os.path.exists(path):
        os.unlink(aside)
    else:
        os.replace(aside, path)
