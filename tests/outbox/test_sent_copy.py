"""The copy in Sent, over IMAP to the real Dovecot: filed once, read, and never a reason
for a message to count as failed."""

import pytest
from django.utils import timezone

from tests.harness.ports import free_port
from tests.outbox.conftest import queue, reload
from webmail.models import Folder, Message, SpecialUse
from webmail.outbox import engine
from webmail.outbox.models import CopyState, OutboxMessage, State
from webmail.outbox.sent_copy import saves_sent_itself
from webmail.raw_store import read_raw

pytestmark = pytest.mark.django_db


def sent_folder(other_device) -> dict:
    other_device.select_folder("Sent", readonly=True)
    uids = other_device.search("ALL")
    return other_device.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}


def test_a_sent_message_is_filed_in_sent_read(imap_sender, smtp, other_device):
    message = queue(imap_sender)

    report = engine.deliver_due_for_account(imap_sender.pk)

    [copy] = sent_folder(other_device).values()
    assert report.copies_saved == 1
    assert copy[b"BODY[]"] == bytes(message.raw)
    assert b"\\Seen" in copy[b"FLAGS"]
    assert reload(message).copy_state == CopyState.SAVED


def test_the_sent_folder_known_from_the_sync_is_used(imap_sender, smtp, other_device):
    other_device.create_folder("Envoyés")
    Folder.objects.create(account=imap_sender, name="Envoyés", special_use=SpecialUse.SENT)
    queue(imap_sender)

    engine.deliver_due_for_account(imap_sender.pk)

    other_device.select_folder("Envoyés", readonly=True)
    assert len(other_device.search("ALL")) == 1
    assert sent_folder(other_device) == {}


def test_an_unreachable_imap_server_leaves_the_message_sent_and_the_copy_for_later(
    imap_sender, smtp, other_device
):
    port = imap_sender.incoming_port
    imap_sender.incoming_port = free_port()
    imap_sender.save()
    message = queue(imap_sender)

    engine.deliver_due_for_account(imap_sender.pk)

    waiting = reload(message)
    assert waiting.state == State.SENT
    assert waiting.copy_state == CopyState.PENDING
    assert waiting.copy_error.startswith("refused")
    assert waiting.copy_next_at > timezone.now()
    assert len(smtp.messages) == 1

    imap_sender.incoming_port = port
    imap_sender.save()
    OutboxMessage.objects.filter(pk=message.pk).update(copy_next_at=timezone.now())
    assert engine.dispatch_due() == [imap_sender.pk]
    engine.deliver_due_for_account(imap_sender.pk)

    assert reload(message).copy_state == CopyState.SAVED
    assert len(sent_folder(other_device)) == 1
    assert len(smtp.messages) == 1  # the retry was the copy's alone


def test_servers_that_file_sent_mail_themselves_get_no_copy(sender):
    for host, expected in [
        ("smtp.gmail.com", True),
        ("smtp.googlemail.com", True),
        ("gmail.com", True),
        ("notgmail.com", False),
        ("smtp.example.org", False),
    ]:
        sender.smtp_host = host
        assert saves_sent_itself(sender) is expected


def test_a_pop3_account_keeps_its_copy_in_its_local_sent_folder(sender, smtp):
    message = queue(sender)

    report = engine.deliver_due_for_account(sender.pk)

    assert report.copies_saved == 1
    assert reload(message).copy_state == CopyState.SAVED
    [kept] = Message.objects.filter(account=sender, folder__special_use=SpecialUse.SENT)
    assert kept.is_seen and kept.subject == "Hello"
    assert read_raw(kept.raw_sha256) == bytes(message.raw)


def test_a_pop3_copy_kept_before_a_crash_is_not_kept_twice(sender, smtp):
    message = queue(sender)
    engine.deliver_due_for_account(sender.pk)
    # The worker died after keeping the copy, before recording it: it is due again.
    OutboxMessage.objects.filter(pk=message.pk).update(
        copy_state=CopyState.PENDING, copy_next_at=timezone.now()
    )

    engine.deliver_due_for_account(sender.pk)

    assert Message.objects.filter(account=sender, folder__special_use=SpecialUse.SENT).count() == 1
    assert reload(message).copy_state == CopyState.SAVED
