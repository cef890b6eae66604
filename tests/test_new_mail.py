"""What a desktop notification says: unread inbox mail that arrived since the page asked."""

import pytest
from django.urls import reverse

from tests.messages import offline_account
from webmail.models import Folder, Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def folders(alice):
    account = offline_account(alice)
    return {
        use: Folder.objects.create(account=account, name=use.title(), special_use=use)
        for use in ("inbox", "archive", "trash")
    }


def deliver(folder: Folder, subject: str, sender: str = "Ann", **fields) -> Message:
    return Message.objects.create(
        account=folder.account, folder=folder, uid=Message.objects.count() + 1,
        internal_date="2026-11-28T10:00Z", subject=subject, from_name=sender,
        from_email="ann@example.org", **fields,
    )  # fmt: skip


def news(client, after=None, **headers) -> dict:
    query = {} if after is None else {"after": after}
    return client.get(reverse("webmail:new_mail"), query, **headers).json()


def test_the_first_answer_only_says_where_to_start(alice_client, folders):
    latest = deliver(folders["inbox"], "Old news")
    assert news(alice_client) == {"newest": latest.pk, "count": 0}


def test_one_new_message_names_its_sender_and_subject(alice_client, folders):
    start = news(alice_client)["newest"]
    message = deliver(folders["inbox"], "Lunch?", sender="Bob Martin")
    assert news(alice_client, start) == {
        "newest": message.pk,
        "count": 1,
        "title": "Bob Martin",
        "body": "Lunch?",
        "url": reverse("webmail:message", args=[message.pk]),
    }


def test_only_unread_inbox_mail_counts(alice_client, bob, folders):
    start = news(alice_client)["newest"]
    deliver(folders["inbox"], "Read on the phone already", is_seen=True)
    deliver(folders["archive"], "Filed by a rule elsewhere")
    deliver(folders["trash"], "Binned")
    assert news(alice_client, start)["count"] == 0
    deliver(folders["inbox"], "Fresh")
    alice_client.force_login(bob)
    assert news(alice_client, start) == {"newest": 0, "count": 0}  # not bob's mail


def test_many_new_messages_are_summed_up_in_one_notification(alice_client, folders):
    start = news(alice_client)["newest"]
    for number in range(5):
        deliver(folders["inbox"], f"Subject {number}", sender=f"Sender {number}")
    answer = news(alice_client, start)
    assert answer["count"] == 5 and answer["title"] == "5 new messages"
    assert answer["body"].split("\n") == [
        "Sender 4: Subject 4",
        "Sender 3: Subject 3",
        "Sender 2: Subject 2",
        "and 2 more",
    ]
    assert answer["url"] == reverse("webmail:unified", args=["inbox"])
    french = news(alice_client, start, HTTP_ACCEPT_LANGUAGE="fr")
    assert french["title"] == "5 nouveaux messages" and french["body"].endswith("et 2 autres")


def test_lists_with_live_updates_say_where_to_ask(alice_client, folders, settings):
    page = alice_client.get(reverse("webmail:folder", args=[folders["inbox"].pk])).content
    # Only ASGI streams live updates; under the test client (WSGI) nothing asks.
    assert b"data-new-mail" not in page
    settings_page = alice_client.get(reverse("webmail:settings")).content.decode()
    assert "data-notifications-panel" in settings_page and "Desktop notifications" in settings_page
