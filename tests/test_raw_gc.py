"""Raw files nobody refers to are collected; anything referenced, recent or reused stays."""

import os
import time

import pytest

from webmail import raw_gc
from webmail.models import Folder, MailAccount, Message
from webmail.raw_store import raw_path, read_raw, store_raw

pytestmark = pytest.mark.django_db
DAY = 24 * 3600


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def age(media, digest: str, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(media / raw_path(digest), (stamp, stamp))


def refer(user, digest: str) -> Message:
    account = MailAccount.objects.create(
        user=user, email=f"{digest[:8]}@example.org", protocol="pop3", incoming_host="x",
        incoming_port=995, incoming_security="tls", incoming_username="x", smtp_host="x",
        smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    folder = Folder.objects.create(account=account, name="INBOX", special_use="inbox")
    return Message.objects.create(
        account=account, folder=folder, uid=1, internal_date="2026-11-01T10:00Z",
        raw_sha256=digest,
    )  # fmt: skip


def test_only_old_unreferenced_files_go(alice, media):
    kept = store_raw(b"Subject: kept\r\n\r\nstill in a folder")
    orphan = store_raw(b"Subject: orphan\r\n\r\nits message was deleted")
    fresh = store_raw(b"Subject: fresh\r\n\r\nits row is on its way")
    refer(alice, kept)
    age(media, kept, 3)
    age(media, orphan, 3)

    assert raw_gc.collect() == 1

    assert read_raw(kept).endswith(b"still in a folder")
    assert read_raw(fresh).endswith(b"on its way")
    assert not (media / raw_path(orphan)).exists()
    assert not list(media.rglob("*" + raw_gc.ASIDE))


def test_a_file_stored_again_is_young_again(alice, media):
    digest = store_raw(b"Subject: again\r\n\r\nsame bytes, new message")
    age(media, digest, 3)
    store_raw(b"Subject: again\r\n\r\nsame bytes, new message")  # a new download of it

    assert raw_gc.collect() == 0
    assert (media / raw_path(digest)).exists()


def test_a_collection_cut_short_puts_a_referenced_file_back(alice, media):
    digest = store_raw(b"Subject: aside\r\n\r\nset aside, then the worker died")
    refer(alice, digest)
    age(media, digest, 3)
    path = media / raw_path(digest)
    os.replace(path, str(path) + raw_gc.ASIDE)

    raw_gc.collect()

    assert path.exists() and not os.path.exists(str(path) + raw_gc.ASIDE)
