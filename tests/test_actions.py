"""Actions show at once in the index and reach the server through tasks."""

import pytest
from django.urls import reverse

from tests.messages import make_message
from webmail import tasks
from webmail.engine import account_sync
from webmail.mailbox_state import take_notices
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synced(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(3)])
    account_sync.sync_account(account)
    return account


def act(client, action, *messages, **extra):
    data = {"action": action, "ids": [m.pk for m in messages], "next": "/", **extra}
    return client.post(reverse("webmail:act"), data)


def server_uids(other_device, folder):
    other_device.select_folder(folder, readonly=True)
    return other_device.search("ALL")


def test_archiving_moves_the_message_on_the_server(alice_client, synced, other_device):
    message = Message.objects.filter(folder__name="INBOX").first()
    inbox = message.folder
    act(alice_client, "archive", message)
    assert not Message.objects.filter(pk=message.pk).exists()  # gone from the list at once
    tasks.move_messages(inbox.pk, [message.uid], inbox.uidvalidity, Folder.objects.get(
        account=synced, name="Archive").pk)  # fmt: skip
    account_sync.sync_account(synced)
    assert len(server_uids(other_device, "Archive")) == 1
    assert Message.objects.filter(folder__name="Archive", subject=message.subject).exists()


def test_deleting_moves_to_trash_then_deletes_for_good(alice_client, synced, other_device):
    message = Message.objects.filter(folder__name="INBOX").first()
    inbox, trash = message.folder, Folder.objects.get(account=synced, name="Trash")
    act(alice_client, "delete", message)
    tasks.move_messages(inbox.pk, [message.uid], inbox.uidvalidity, trash.pk)
    account_sync.sync_account(synced)
    in_trash = Message.objects.get(folder=trash)
    page = act(alice_client, "delete", in_trash).content.decode()
    assert "Delete for good?" in page  # asked first: nothing happened yet
    assert Message.objects.filter(pk=in_trash.pk).exists()
    act(alice_client, "delete", in_trash, confirm="yes")
    assert not Message.objects.filter(pk=in_trash.pk).exists()
    trash.refresh_from_db()
    tasks.delete_messages(trash.pk, [in_trash.uid], trash.uidvalidity)
    assert server_uids(other_device, "Trash") == []
    assert len(server_uids(other_device, "INBOX")) == 2


def test_flagging_reaches_the_server(alice_client, synced, other_device):
    message = Message.objects.filter(folder__name="INBOX").first()
    act(alice_client, "flag", message)
    message.refresh_from_db()
    assert message.is_flagged
    tasks.apply_flags(
        message.folder_id, [message.uid], message.folder.uidvalidity, ["\\Flagged"], []
    )
    other_device.select_folder("INBOX", readonly=True)
    assert b"\\Flagged" in other_device.get_flags([message.uid])[message.uid]


def test_nobody_acts_on_another_persons_messages(client, bob, synced):
    message = Message.objects.filter(folder__name="INBOX").first()
    client.force_login(bob)
    act(client, "delete", message)
    assert Message.objects.filter(pk=message.pk).exists()


def test_a_refused_move_is_undone_by_a_resync_and_the_person_is_told(
    alice_client, alice, synced, other_device
):
    other_device.create_folder("Old projects")
    account_sync.sync_account(synced)
    target = Folder.objects.get(account=synced, name="Old projects")
    other_device.delete_folder("Old projects")  # gone on the server, not yet here
    message = Message.objects.filter(folder__name="INBOX").first()
    act(alice_client, "move", message, destination=target.pk)
    tasks.move_messages(message.folder_id, [message.uid], message.folder.uidvalidity, target.pk)
    account_sync.sync_account(synced)
    assert Message.objects.filter(folder__name="INBOX", subject=message.subject).exists()
    assert take_notices(alice.pk) == ["nonexistent"]


def test_an_unknown_action_is_refused(alice_client):
    assert alice_client.post(reverse("webmail:act"), {"action": "explode"}).status_code == 400
