"""Creating, renaming, nesting and deleting IMAP folders: the index at once, the
server through tasks, every other device sees it."""

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
    dovecot.deliver_many(mail_user, [make_message(n) for n in range(2)])
    account_sync.sync_account(account)
    return account


def server_folders(other_device) -> set[str]:
    return {name for _flags, _delimiter, name in other_device.list_folders()}


def folder_named(account, name) -> Folder:
    return Folder.objects.get(account=account, name=name)


def create(client, account, name, parent=None):
    data = {"name": name, "parent": parent.pk if parent else ""}
    return client.post(reverse("webmail:manage_folders", args=[account.pk]), data)


def test_the_page_lists_the_folders_and_protects_special_ones(alice_client, synced):
    page = alice_client.get(reverse("webmail:manage_folders", args=[synced.pk])).content.decode()
    assert "Folders of" in page
    inbox = folder_named(synced, "INBOX")
    assert reverse("webmail:delete_folder", args=[inbox.pk]) not in page
    response = alice_client.post(reverse("webmail:delete_folder", args=[inbox.pk]))
    assert response.status_code == 302
    assert Folder.objects.filter(pk=inbox.pk).exists()


def test_a_new_folder_shows_at_once_then_exists_on_the_server(alice_client, synced, other_device):
    response = create(alice_client, synced, "Factures été")
    assert response.status_code == 302
    assert Folder.objects.filter(account=synced, name="Factures été").exists()
    tasks.create_folder(synced.pk, "Factures été")
    assert "Factures été" in server_folders(other_device)  # modified UTF-7 on the wire
    assert Folder.objects.filter(account=synced, name="Factures été").count() == 1


def test_nested_folders_use_the_servers_separator(alice_client, synced, other_device):
    create(alice_client, synced, "Projects")
    tasks.create_folder(synced.pk, "Projects")
    parent = folder_named(synced, "Projects")
    create(alice_client, synced, "2026", parent)
    child = Folder.objects.get(account=synced, name__endswith="2026")
    delimiter = other_device.list_folders()[0][1].decode()
    assert child.name == f"Projects{delimiter}2026"
    assert (child.leaf_name, child.depth) == ("2026", 1)
    tasks.create_folder(synced.pk, child.name)
    assert child.name in server_folders(other_device)


def test_bad_names_get_a_clear_message_and_nothing_changes(alice_client, synced):
    before = Folder.objects.filter(account=synced).count()
    for name, message in [
        ("INBOX", "already exists"),
        ("Trash", "already exists"),
        ("a\x07b", "control characters"),
    ]:
        response = create(alice_client, synced, name)
        assert response.status_code == 400
        assert message in response.content.decode()
    delimiter = folder_named(synced, "INBOX").delimiter
    response = create(alice_client, synced, f"a{delimiter}b")
    assert "cannot contain" in response.content.decode()
    assert Folder.objects.filter(account=synced).count() == before


def test_renaming_moves_nested_folders_and_keeps_their_mail(alice_client, synced, other_device):
    other_device.create_folder("Work")
    delimiter = other_device.list_folders()[0][1].decode()
    other_device.create_folder(f"Work{delimiter}Old")
    other_device.append(f"Work{delimiter}Old", make_message(7))
    account_sync.sync_account(synced)
    work = folder_named(synced, "Work")
    response = alice_client.post(reverse("webmail:rename_folder", args=[work.pk]), {"name": "Job"})
    assert response.status_code == 302
    assert set(Folder.objects.filter(account=synced, name__startswith="Job").values_list(
        "name", flat=True)) == {"Job", f"Job{delimiter}Old"}  # fmt: skip
    tasks.rename_folder(synced.pk, "Work", "Job")
    assert {"Job", f"Job{delimiter}Old"} <= server_folders(other_device)
    assert "Work" not in server_folders(other_device)
    account_sync.sync_account(synced)
    assert Message.objects.filter(folder__name=f"Job{delimiter}Old").count() == 1


def test_deleting_a_non_empty_folder_asks_first(alice_client, synced, other_device):
    other_device.create_folder("Old")
    other_device.append("Old", make_message(3))
    account_sync.sync_account(synced)
    old = folder_named(synced, "Old")
    url = reverse("webmail:delete_folder", args=[old.pk])
    page = alice_client.post(url).content.decode()
    assert "It holds 1 message" in page
    assert Folder.objects.filter(pk=old.pk).exists()
    alice_client.post(url, {"confirm": "yes"})
    assert not Folder.objects.filter(pk=old.pk).exists()
    tasks.delete_folders(synced.pk, ["Old"])
    assert "Old" not in server_folders(other_device)


def test_an_empty_folder_goes_without_a_question(alice_client, synced):
    create(alice_client, synced, "Empty")
    empty = folder_named(synced, "Empty")
    alice_client.post(reverse("webmail:delete_folder", args=[empty.pk]))
    assert not Folder.objects.filter(pk=empty.pk).exists()


def test_a_refused_change_is_undone_and_the_person_is_told(alice_client, synced, other_device):
    # Another device created "Taken" since the last sync: the index allows the
    # rename, the server refuses it.
    create(alice_client, synced, "Mine")
    tasks.create_folder(synced.pk, "Mine")
    other_device.create_folder("Taken")
    mine = folder_named(synced, "Mine")
    alice_client.post(reverse("webmail:rename_folder", args=[mine.pk]), {"name": "Taken"})
    assert Folder.objects.filter(account=synced, name="Taken").exists()
    tasks.rename_folder(synced.pk, "Mine", "Taken")
    assert take_notices(synced.user_id) == ["folder_refused"]
    names = set(Folder.objects.filter(account=synced).values_list("name", flat=True))
    assert {"Mine", "Taken"} <= names  # as the server has them


def test_strangers_cannot_touch_anothers_folders(client, bob, synced):
    client.force_login(bob)
    inbox = folder_named(synced, "INBOX")
    archive = folder_named(synced, "Archive")
    assert client.get(reverse("webmail:manage_folders", args=[synced.pk])).status_code == 404
    assert client.post(reverse("webmail:delete_folder", args=[archive.pk])).status_code == 404
    response = client.post(reverse("webmail:rename_folder", args=[inbox.pk]), {"name": "x"})
    assert response.status_code == 404
    assert Folder.objects.filter(pk=archive.pk).exists()


def test_push_can_be_turned_on_and_off_per_folder(alice_client, synced, bob, client):
    from webmail.engine.listener import watched_folders

    archive = folder_named(synced, "Archive")
    url = reverse("webmail:watch_folder", args=[archive.pk])
    page = alice_client.get(reverse("webmail:manage_folders", args=[synced.pk])).content.decode()
    assert url in page and "Push off" in page  # only INBOX is watched at first
    alice_client.post(url, {"watch": "on"})
    assert archive in watched_folders()
    alice_client.post(url, {"watch": "off"})
    assert archive not in watched_folders()
    client.force_login(bob)
    assert client.post(url, {"watch": "on"}).status_code == 404
    assert archive not in watched_folders()
