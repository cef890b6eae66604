"""Bodies for search: fetched in the background, stored by hash, text indexed."""

import hashlib

import pytest

from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Message
from webmail.models.messages import BodyState
from webmail.raw_store import legacy_raw_path, raw_path, read_raw, store_raw

pytestmark = pytest.mark.django_db(transaction=True)


def test_bodies_are_indexed_newest_first_without_marking_mail_read(
    account, dovecot, mail_user, media
):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(5)])
    account_sync.sync_account(account)
    remaining = account_sync.index_account_bodies(account, limit=2)
    indexed = Message.objects.filter(body_state=BodyState.INDEXED).order_by("uid")
    assert remaining == 3
    assert [row.subject for row in indexed] == ["Message numéro 3", "Message numéro 4"]
    assert indexed[0].body_text == "Body of message 3."
    assert not Message.objects.filter(is_seen=True).exists()
    account_sync.sync_account(account)
    assert not Message.objects.filter(is_seen=True).exists()  # BODY.PEEK kept \\Seen off


def test_the_raw_message_is_stored_once_by_content_hash(account, dovecot, mail_user, media):
    raw = make_message(1)
    dovecot.deliver(mail_user, raw)
    dovecot.deliver(mail_user, raw, folder="Archive")
    account_sync.sync_account(account)
    account_sync.index_account_bodies(account, limit=10)
    digests = set(Message.objects.values_list("raw_sha256", flat=True))
    assert len(digests) == 1
    assert b"Body of message 1." in read_raw(digests.pop())
    assert len(list(media.rglob("*.eml"))) == 1


def test_bodies_over_the_size_cap_are_skipped(account, dovecot, mail_user, media, settings):
    settings.BODY_INDEX_MAX_BYTES = 100
    dovecot.deliver(mail_user, make_message(1))
    account_sync.sync_account(account)
    assert account_sync.index_account_bodies(account, limit=10) == 0
    assert Message.objects.get().body_state == BodyState.TOO_LARGE


def test_raw_paths_fan_out_one_level(media):
    assert raw_path("abcdef") == "raw/ab/abcdef.eml"


def test_a_message_stored_in_the_two_level_layout_is_still_read_and_not_written_again(media):
    raw = b"Subject: old\r\n\r\nstored before the one-level layout\r\n"
    digest = hashlib.sha256(raw).hexdigest()
    legacy = media / legacy_raw_path(digest)
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(raw)

    assert read_raw(digest) == raw
    assert store_raw(raw) == digest
    assert not (media / raw_path(digest)).exists()


def test_a_row_is_marked_indexed_only_once_its_file_is_written(
    account, dovecot, mail_user, media, monkeypatch
):
    from webmail.engine import bodies

    dovecot.deliver_many(mail_user, [make_message(n) for n in range(3)])
    account_sync.sync_account(account)
    written = bodies.store_raw_as

    def store(digest, data, *, durable):
        if b"Body of message 1." in data:
            raise OSError(28, "No space left on device")  # a full disk: no real peer for it
        written(digest, data, durable=durable)

    monkeypatch.setattr(bodies, "store_raw_as", store)
    with pytest.raises(OSError, match="No space left"):
        account_sync.index_account_bodies(account, limit=10)
    assert not Message.objects.exclude(body_state=BodyState.PENDING).exists()
    monkeypatch.setattr(bodies, "store_raw_as", written)
    assert account_sync.index_account_bodies(account, limit=10) == 0
    assert set(Message.objects.values_list("body_state", flat=True)) == {BodyState.INDEXED}


def test_fetch_batches_are_bounded_in_count_and_octets():
    from webmail.engine.bodies import BATCH_BYTES, BATCH_SIZE, fetch_batches

    small = [(n, n, 1000) for n in range(BATCH_SIZE + 1)]
    assert [len(batch) for batch in fetch_batches(small)] == [BATCH_SIZE, 1]
    large = [(n, n, BATCH_BYTES // 2) for n in range(5)]
    assert [len(batch) for batch in fetch_batches(large)] == [2, 2, 1]
    huge = [(1, 1, BATCH_BYTES * 2), (2, 2, 10)]
    assert [len(batch) for batch in fetch_batches(huge)] == [1, 1]
