"""Mark all as read, empty the Trash or the Junk folder: on what the page showed,
here at once and on the real Dovecot through a real Celery worker."""

import re

import pytest
from django.urls import reverse

from tests.conftest import wait_until
from tests.messages import make_message
from webmail.engine import account_sync
from webmail.models import Folder, Message
from webmail.services.list_actions import NotABin, empty_folder

pytestmark = pytest.mark.django_db(transaction=True)


def folder(account, name: str) -> Folder:
    return Folder.objects.get(account=account, name=name)


def through_on(page: str) -> str:
    return re.search(r'name="through" value="(\d+)"', page).group(1)


def seen_on_server(other_device, name: str) -> dict[bytes, bool]:
    """Subject -> whether the server has \\Seen, read by another client."""
    other_device.select_folder(name, readonly=True)
    uids = other_device.search("ALL")
    found = (
        other_device.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    )
    return {
        data[b"BODY[HEADER.FIELDS (SUBJECT)]"].strip(): b"\\Seen" in data[b"FLAGS"]
        for data in found.values()
    }


def subjects_on_server(other_device, name: str) -> list[bytes]:
    return sorted(seen_on_server(other_device, name))


@pytest.fixture
def inbox_of_three(account, dovecot, mail_user):
    dovecot.deliver_many(mail_user, [make_message(n, f"Shown {n}") for n in range(3)])
    account_sync.sync_account(account)
    return folder(account, "INBOX")


def test_mark_all_as_read_marks_what_the_page_showed_here_and_on_the_server(
    alice_client, account, inbox_of_three, dovecot, mail_user, other_device, action_worker
):
    page = alice_client.get(reverse("webmail:folder", args=[inbox_of_three.pk])).content.decode()
    assert "Mark all as read" in page
    dovecot.deliver(mail_user, make_message(9, "Arrived after"))  # not seen by the person
    account_sync.sync_account(account)

    response = alice_client.post(
        reverse("webmail:mark_all_read"),
        {"scope": f"folder:{inbox_of_three.pk}", "through": through_on(page), "next": "/"},
        follow=True,
    )

    assert "3 messages marked as read." in response.content.decode()
    read = dict(Message.objects.filter(folder=inbox_of_three).values_list("subject", "is_seen"))
    assert read == {"Shown 0": True, "Shown 1": True, "Shown 2": True, "Arrived after": False}
    expected = {
        b"Subject: Shown 0": True,
        b"Subject: Shown 1": True,
        b"Subject: Shown 2": True,
        b"Subject: Arrived after": False,
    }
    wait_until(lambda: seen_on_server(other_device, "INBOX") == expected)


def test_all_unread_spans_folders_but_leaves_the_bins_alone(
    alice_client, account, inbox_of_three, other_device, action_worker
):
    other_device.append("Archive", make_message(5, "Archived, unread"))
    other_device.append("Trash", make_message(6, "Binned, unread"))
    account_sync.sync_account(account)
    page = alice_client.get(reverse("webmail:unified", args=["unread"])).content.decode()

    alice_client.post(
        reverse("webmail:mark_all_read"),
        {"scope": "unified:unread", "through": through_on(page), "next": "/"},
    )

    unread = Message.objects.filter(account=account, is_seen=False)
    assert list(unread.values_list("subject", flat=True)) == ["Binned, unread"]
    wait_until(
        lambda: seen_on_server(other_device, "Archive") == {b"Subject: Archived, unread": True}
    )
    assert seen_on_server(other_device, "Trash") == {b"Subject: Binned, unread": False}


def test_the_button_is_offered_only_while_something_is_unread(
    alice_client, inbox_of_three, action_worker
):
    url = reverse("webmail:folder", args=[inbox_of_three.pk])
    page = alice_client.get(url).content.decode()
    alice_client.post(
        reverse("webmail:mark_all_read"),
        {"scope": f"folder:{inbox_of_three.pk}", "through": through_on(page), "next": url},
    )
    assert "Mark all as read" not in alice_client.get(url).content.decode()


def test_nobody_marks_another_persons_mail(client, bob, inbox_of_three):
    client.force_login(bob)
    response = client.post(
        reverse("webmail:mark_all_read"),
        {"scope": f"folder:{inbox_of_three.pk}", "through": "999999999", "next": "/"},
        follow=True,
    )
    assert "0 messages marked as read." in response.content.decode()
    assert not Message.objects.filter(folder=inbox_of_three, is_seen=True).exists()


@pytest.mark.parametrize("data", [{"scope": "folder:1"}, {"scope": "nowhere", "through": "5"}])
def test_an_unknown_list_or_a_missing_bound_is_refused(alice_client, data):
    assert alice_client.post(reverse("webmail:mark_all_read"), data).status_code == 400


@pytest.fixture
def trash_of_two(account, other_device):
    for number in (1, 2):
        other_device.append("Trash", make_message(number, f"Binned {number}"))
    account_sync.sync_account(account)
    return folder(account, "Trash")


def test_emptying_the_trash_asks_then_deletes_what_it_counted_here_and_on_the_server(
    alice_client, account, inbox_of_three, trash_of_two, other_device, action_worker
):
    url = reverse("webmail:empty_folder", args=[trash_of_two.pk])
    listing = alice_client.get(reverse("webmail:folder", args=[trash_of_two.pk])).content.decode()
    assert url in listing and "Empty Trash" in listing
    question = alice_client.get(url).content.decode()
    assert f"2 messages in the Trash of {account.email} will be deleted for good." in question
    assert "deleted on the server too" in question
    assert Message.objects.filter(folder=trash_of_two).count() == 2  # asking changed nothing
    other_device.append("Trash", make_message(3, "Binned meanwhile"))
    account_sync.sync_account(account)

    response = alice_client.post(url, {"through": through_on(question)}, follow=True)

    assert "2 messages deleted for good." in response.content.decode()
    left = Message.objects.filter(folder=trash_of_two).values_list("subject", flat=True)
    assert list(left) == ["Binned meanwhile"]
    wait_until(lambda: subjects_on_server(other_device, "Trash") == [b"Subject: Binned meanwhile"])
    assert len(subjects_on_server(other_device, "INBOX")) == 3


def test_only_bins_are_emptied_and_only_by_their_owner(
    client, alice_client, bob, account, inbox_of_three, trash_of_two
):
    assert (
        alice_client.get(reverse("webmail:empty_folder", args=[inbox_of_three.pk])).status_code
        == 404
    )
    with pytest.raises(NotABin):
        empty_folder(inbox_of_three, through=10**9)
    client.force_login(bob)
    url = reverse("webmail:empty_folder", args=[trash_of_two.pk])
    assert client.post(url, {"through": "999999999"}).status_code == 404
    assert Message.objects.filter(folder=trash_of_two).count() == 2
    listing = alice_client.get(reverse("webmail:folder", args=[inbox_of_three.pk])).content.decode()
    assert "Empty Trash" not in listing and "Empty Junk" not in listing


def test_in_french(alice_client, inbox_of_three, trash_of_two):
    listing = alice_client.get(
        reverse("webmail:folder", args=[trash_of_two.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "Tout marquer comme lu" in listing and "Vider la corbeille" in listing
    question = alice_client.get(
        reverse("webmail:empty_folder", args=[trash_of_two.pk]), HTTP_ACCEPT_LANGUAGE="fr"
    ).content.decode()
    assert "2 messages de la corbeille de" in question
