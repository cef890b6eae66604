"""Raw messages stored in batches: readable under their hash, never half-written, and a
storage failure is a local error, not a network one."""

import hashlib
from pathlib import Path

import pytest

from webmail.pop3 import raw_files
from webmail.pop3.raw_files import LocalStorageError, RawBatch
from webmail.raw_store import legacy_raw_path, raw_path, read_raw

MESSAGES = [b"Subject: one\r\n\r\n1\r\n", b"Subject: two\r\n\r\n2\r\n"]


def store(messages: list[bytes]) -> list[str]:
    batch = RawBatch()
    digests = [batch.add(message) for message in messages]
    batch.durable()
    return digests


def test_a_batch_is_readable_under_its_hashes(settings):
    digests = store(MESSAGES)

    assert digests == [hashlib.sha256(message).hexdigest() for message in MESSAGES]
    assert [read_raw(digest) for digest in digests] == MESSAGES
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.part"))


def test_without_syncfs_every_file_and_folder_is_fsynced(monkeypatch):
    synced = []
    monkeypatch.setattr(raw_files, "_syncfs", lambda path: False)
    monkeypatch.setattr(raw_files, "_fsync", synced.append)

    digests = store(MESSAGES)

    assert {str(Path(p).name) for p in synced} >= {f"{digest}.eml" for digest in digests}
    assert any(Path(p).is_dir() for p in synced)


def test_a_file_left_half_written_by_a_crash_is_written_again(settings):
    digest = hashlib.sha256(MESSAGES[0]).hexdigest()
    path = Path(settings.MEDIA_ROOT) / raw_path(digest)
    path.parent.mkdir(parents=True)
    path.write_bytes(MESSAGES[0][:5])  # the name survived, the content did not

    store([MESSAGES[0]])

    assert read_raw(digest) == MESSAGES[0]


def test_a_file_already_stored_is_kept(settings):
    [digest] = store([MESSAGES[0]])
    path = Path(settings.MEDIA_ROOT) / raw_path(digest)
    inode = path.stat().st_ino

    store([MESSAGES[0]])

    assert path.stat().st_ino == inode


def test_a_message_stored_in_the_two_level_layout_is_not_written_again(settings):
    digest = hashlib.sha256(MESSAGES[0]).hexdigest()
    legacy = Path(settings.MEDIA_ROOT) / legacy_raw_path(digest)
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(MESSAGES[0])

    store([MESSAGES[0]])

    assert not (Path(settings.MEDIA_ROOT) / raw_path(digest)).exists()
    assert read_raw(digest) == MESSAGES[0]


def test_a_half_written_file_in_the_two_level_layout_is_written_in_the_new_one(settings):
    digest = hashlib.sha256(MESSAGES[0]).hexdigest()
    legacy = Path(settings.MEDIA_ROOT) / legacy_raw_path(digest)
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(MESSAGES[0][:5])

    store([MESSAGES[0]])

    assert read_raw(digest) == MESSAGES[0]


def test_a_storage_failure_is_a_local_storage_error(settings):
    Path(settings.MEDIA_ROOT).mkdir(parents=True)
    (Path(settings.MEDIA_ROOT) / "raw").write_text("a file where the folder should be")

    with pytest.raises(LocalStorageError):
        store(MESSAGES)
