"""Undo a move, before the server made it and after, on the real Dovecot through
a real Celery worker; and on a POP3 account's own folders."""

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.conftest import wait_until
from tests.messages import make_message
from tests.test_inline_images import DOWN_CACHE
from webmail import tasks
from webmail.engine import account_sync
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synced(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n, f"Message {n}") for n in range(2)])
    account_sync.sync_account(account)
    return account


def subjects_on_server(other_device, name: str) -> list[bytes]:
    other_device.select_folder(name, readonly=True)
    uids = other_device.search("ALL")
    found = other_device.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    return sorted(data[b"BODY[HEADER.FIELDS (SUBJECT)]"].strip() for data in found.values())


def subjects_in(account, name: str) -> list[str]:
    rows = Message.objects.filter(account=account, folder__name=name)
    return sorted(rows.values_list("subject", flat=True))


def archive(client, message: Message) -> str:
    """The page shown after archiving (with its notice), and the Undo token in it."""
    data = {"action": "archive", "ids": [message.pk], "next": "/"}
    return client.post(reverse("webmail:act"), data, follow=True).content.decode()


def token_in(page: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def undo(client, token: str) -> str:
    data = {"token": token, "next": "/"}
    return client.post(reverse("webmail:undo"), data, follow=True).content.decode()


def test_undone_before_the_server_moved_it_the_move_never_happens(
    alice_client, synced, other_device, action_worker_paused
):
    message = Message.objects.get(account=synced, subject="Message 0")
    page = archive(alice_client, message)
    assert "1 message archived." in page and ">Undo</button>" in page
    assert subjects_in(synced, "INBOX") == ["Message 1"]  # gone from the list at once

    assert "Undone" in undo(alice_client, token_in(page))
    action_worker_paused.start()  # the queued move now meets the undo first

    wait_until(lambda: subjects_in(synced, "INBOX") == ["Message 0", "Message 1"])
    assert subjects_on_server(other_device, "INBOX") == [
        b"Subject: Message 0",
        b"Subject: Message 1",
    ]
    assert subjects_on_server(other_device, "Archive") == []


def test_undone_after_the_server_moved_it_the_messages_move_back(
    alice_client, synced, other_device, action_worker
):
    message = Message.objects.get(account=synced, subject="Message 0")
    page = archive(alice_client, message)
    wait_until(lambda: subjects_on_server(other_device, "Archive") == [b"Subject: Message 0"])
    wait_until(lambda: subjects_in(synced, "Archive") == ["Message 0"])

    undo(alice_client, token_in(page))

    wait_until(lambda: subjects_on_server(other_device, "Archive") == [])
    assert subjects_on_server(other_device, "INBOX") == [
        b"Subject: Message 0",
        b"Subject: Message 1",
    ]
    wait_until(lambda: subjects_in(synced, "INBOX") == ["Message 0", "Message 1"])
    wait_until(lambda: subjects_in(synced, "Archive") == [])


def test_an_undo_works_once_and_only_for_its_owner(alice_client, bob, synced):
    token = token_in(archive(alice_client, Message.objects.get(subject="Message 0")))
    stranger = Client()
    stranger.force_login(bob)
    assert "There is nothing left to undo." in undo(stranger, token)
    assert "Undone" in undo(alice_client, token)
    assert "There is nothing left to undo." in undo(alice_client, token)


def test_deleting_for_good_and_flagging_offer_no_undo(alice_client, synced):
    message = Message.objects.get(subject="Message 0")
    data = {"action": "flag", "ids": [message.pk], "next": "/"}
    assert (
        ">Undo</button>"
        not in alice_client.post(reverse("webmail:act"), data, follow=True).content.decode()
    )
    trash = Folder.objects.get(account=synced, name="Trash")
    Message.objects.filter(pk=message.pk).update(folder=trash)
    data = {"action": "delete", "ids": [message.pk], "confirm": "yes", "next": "/"}
    page = alice_client.post(reverse("webmail:act"), data, follow=True).content.decode()
    assert ">Undo</button>" not in page


def test_in_french(alice_client, synced):
    message = Message.objects.get(subject="Message 0")
    data = {"action": "delete", "ids": [message.pk], "next": "/"}
    page = alice_client.post(
        reverse("webmail:act"), data, follow=True, HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "1 message placé dans la corbeille." in page and ">Annuler</button>" in page


def test_undoing_a_move_the_server_refused_says_so(
    alice_client, alice, synced, other_device, action_worker
):
    other_device.create_folder("Old projects")
    account_sync.sync_account(synced)
    target = Folder.objects.get(account=synced, name="Old projects")
    other_device.delete_folder("Old projects")  # gone on the server, not yet here
    message = Message.objects.get(account=synced, subject="Message 0")
    data = {"action": "move", "ids": [message.pk], "destination": target.pk, "next": "/"}
    page = alice_client.post(reverse("webmail:act"), data, follow=True).content.decode()
    wait_until(lambda: subjects_in(synced, "INBOX") == ["Message 0", "Message 1"])  # put back

    token = token_in(page)
    alice_client.post(reverse("webmail:undo"), {"token": token, "next": "/"})
    tasks.move_back(token, message.folder_id, target.pk)  # what the queued task does

    home = alice_client.get(reverse("webmail:home")).content.decode()
    assert "The move could not be undone" in home  # each page shows the notices it takes
    assert subjects_on_server(other_device, "INBOX") == [
        b"Subject: Message 0",
        b"Subject: Message 1",
    ]


def test_with_the_cache_down_the_move_still_happens_without_an_undo(alice_client, synced):
    message = Message.objects.get(account=synced, subject="Message 0")
    # Not the settings fixture: it is undone after conftest's cache clean-up.
    with override_settings(CACHES={"default": DOWN_CACHE}):
        page = archive(alice_client, message)
    assert ">Undo</button>" not in page
    assert subjects_in(synced, "INBOX") == ["Message 1"]  # gone from the list, as ever
