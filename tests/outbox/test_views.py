"""The person's outbox page and its buttons; the admin's list and actions. Owner, stranger,
staff: each sees what they should."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.outbox.conftest import queue, reload
from webmail.outbox.models import OutboxMessage, RecipientStatus, State

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.outbox.urls")]


def set_state(message: OutboxMessage, state: str, **fields) -> OutboxMessage:
    OutboxMessage.objects.filter(pk=message.pk).update(state=state, **fields)
    return reload(message)


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def test_the_outbox_lists_waiting_scheduled_failed_and_maybe_sent_messages(alice_client, sender):
    queue(sender, "Waiting one")
    queue(sender, "Later one", send_at=timezone.now() + timedelta(days=1))
    set_state(queue(sender, "Refused one"), State.FAILED, error_code="recipients_refused")
    set_state(queue(sender, "Unsure one"), State.MAYBE_SENT, error_code="lost_after_data")
    set_state(queue(sender, "Gone one"), State.SENT)
    set_state(queue(sender, "Taken back"), State.CANCELLED)

    page = alice_client.get(reverse("outbox:list")).content.decode()

    for subject in ("Waiting one", "Later one", "Refused one", "Unsure one"):
        assert subject in page
    assert "Gone one" not in page and "Taken back" not in page
    assert "The server refused every recipient." in page
    assert "it may have been sent" in page
    assert "Scheduled" in page and "Maybe sent" in page


def test_a_partly_sent_message_shows_which_recipient_failed_and_why(alice_client, sender):
    message = queue(sender, "Partly", to=("bob@example.net", "carol@example.net"))
    recipients = [
        {"address": "bob@example.net", "status": RecipientStatus.ACCEPTED, "code": 250,
         "reply": "2.0.0 OK"},
        {"address": "carol@example.net", "status": RecipientStatus.REFUSED, "code": 550,
         "reply": "5.1.1 No such user"},
    ]  # fmt: skip
    set_state(message, State.SENT, recipients=recipients)

    page = alice_client.get(reverse("outbox:list")).content.decode()

    assert "Sent, but not to everyone" in page
    assert "carol@example.net · Refused · This address does not exist." in page
    assert "bob@example.net · Accepted</li>" in page


def test_the_outbox_needs_a_signed_in_person(client, db):
    response = client.get(reverse("outbox:list"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_stranger_sees_none_of_alices_messages(bob_client, sender):
    queue(sender, "Alice's secret")

    assert "Alice's secret" not in bob_client.get(reverse("outbox:list")).content.decode()


@pytest.mark.parametrize("name", ["outbox:resend", "outbox:dismiss", "outbox:cancel"])
def test_a_stranger_gets_404_for_every_action(bob_client, sender, name):
    message = set_state(queue(sender), State.MAYBE_SENT)

    response = bob_client.post(reverse(name, args=[message.pk]))

    assert response.status_code == 404
    assert reload(message).state == State.MAYBE_SENT


@pytest.mark.parametrize("name", ["outbox:resend", "outbox:dismiss", "outbox:cancel"])
def test_actions_refuse_a_get(alice_client, sender, name):
    message = queue(sender)

    assert alice_client.get(reverse(name, args=[message.pk])).status_code == 405


def test_the_owner_resends_a_maybe_sent_message(alice_client, sender):
    message = set_state(queue(sender), State.MAYBE_SENT)

    response = alice_client.post(reverse("outbox:resend", args=[message.pk]))

    assert response.url == reverse("outbox:list")
    assert reload(message).state == State.QUEUED


def test_the_owner_dismisses_a_maybe_sent_message_and_it_leaves_the_page(alice_client, sender):
    message = set_state(queue(sender, "Unsure one"), State.MAYBE_SENT)

    alice_client.post(reverse("outbox:dismiss", args=[message.pk]))

    assert reload(message).dismissed_at is not None
    assert "Unsure one" not in alice_client.get(reverse("outbox:list")).content.decode()


def test_the_owner_cancels_a_scheduled_message(alice_client, sender):
    message = queue(sender, send_at=timezone.now() + timedelta(hours=1))

    alice_client.post(reverse("outbox:cancel", args=[message.pk]))

    assert reload(message).state == State.CANCELLED


def test_an_action_on_a_message_that_moved_on_changes_nothing_and_says_so(alice_client, sender):
    message = set_state(queue(sender), State.SENT)

    response = alice_client.post(reverse("outbox:cancel", args=[message.pk]), follow=True)

    assert reload(message).state == State.SENT
    assert "moved on meanwhile" in response.content.decode()


# --- the admin --------------------------------------------------------------------------------


def test_the_admin_lists_the_outbox(client, charlie, sender):
    set_state(queue(sender, "Stuck one"), State.FAILED, error_code="refused", attempts=3)
    client.force_login(charlie)

    page = client.get(reverse("admin:outbox_outboxmessage_changelist")).content.decode()

    assert "Stuck one" in page
    assert "The server refused the connection." in page


def test_the_admin_retries_a_failed_message_now_and_cancels_a_waiting_one(client, charlie, sender):
    failed = set_state(queue(sender, "Failed"), State.FAILED)
    waiting = queue(sender, "Waiting", send_at=timezone.now() + timedelta(days=1))
    unsure = set_state(queue(sender, "Unsure"), State.MAYBE_SENT)
    client.force_login(charlie)
    changelist = reverse("admin:outbox_outboxmessage_changelist")

    client.post(changelist, {"action": "retry_now", "_selected_action": [failed.pk, unsure.pk]})
    client.post(changelist, {"action": "cancel", "_selected_action": [waiting.pk]})

    assert reload(failed).state == State.QUEUED
    assert reload(unsure).state == State.MAYBE_SENT  # only its author may risk a duplicate
    assert reload(waiting).state == State.CANCELLED


def test_the_admin_page_of_a_message_never_shows_its_content(client, charlie, sender):
    message = queue(sender, "Private")
    client.force_login(charlie)

    page = client.get(reverse("admin:outbox_outboxmessage_change", args=[message.pk]))

    assert page.status_code == 200
    assert b"Hello." not in page.content
