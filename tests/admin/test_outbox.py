"""The outbox in the admin: every state listed, raw bodies never shown, and retry now
and cancel through the outbox's state machine, one clear message per refusal."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import make_account, run_action, shown_messages
from webmail.mail.compose import Mailbox, build_message
from webmail.outbox import services
from webmail.outbox.models import OutboxMessage, RecipientStatus, State

pytestmark = pytest.mark.django_db

SECRET_BODY = "The body only Alice and Bob may read."


@pytest.fixture
def sender(alice):
    return make_account(alice, "alice@example.net")


def queue(account, subject: str, **options) -> OutboxMessage:
    raw = build_message(
        sender=Mailbox(account.email, "Alice"),
        to=[Mailbox("bob@example.net"), Mailbox("carol@example.net")],
        subject=subject,
        text=SECRET_BODY,
    )
    return services.queue_message(
        account, raw, recipients=["bob@example.net", "carol@example.net"], **options
    )


def in_state(message: OutboxMessage, state: str, **fields) -> OutboxMessage:
    OutboxMessage.objects.filter(pk=message.pk).update(state=state, **fields)
    return OutboxMessage.objects.get(pk=message.pk)


def test_queued_scheduled_failed_and_sent_messages_are_listed(staff_client, sender):
    queue(sender, "Queued one")
    queue(sender, "Scheduled one", send_at=timezone.now() + timedelta(days=1))
    in_state(queue(sender, "Failed one"), State.FAILED, error_code="rejected", attempts=3)
    in_state(queue(sender, "Sent one"), State.SENT)
    url = reverse("admin:outbox_outboxmessage_changelist")
    page = staff_client.get(url).content.decode()
    for subject in ["Queued one", "Scheduled one", "Failed one", "Sent one"]:
        assert subject in page
    assert "bob@example.net, carol@example.net" in page
    failed = staff_client.get(url, {"state__exact": "failed"}).content.decode()
    assert "Failed one" in failed and "Sent one" not in failed
    scheduled = staff_client.get(url, {"scheduled": "yes"}).content.decode()
    assert "Scheduled one" in scheduled and "Queued one" not in scheduled


def test_the_message_itself_is_never_shown(staff_client, sender):
    message = queue(sender, "Private")
    page = staff_client.get(reverse("admin:outbox_outboxmessage_change", args=[message.pk]))
    assert page.status_code == 200
    assert "Private" in page.content.decode()
    assert SECRET_BODY not in page.content.decode()
    assert "bob@example.net: Waiting" in page.content.decode()


def test_retry_now_resends_a_failed_message_and_is_logged(staff_client, sender):
    message = in_state(queue(sender, "Failed"), State.FAILED, error_code="rejected")
    response = run_action(staff_client, "outbox.outboxmessage", "retry_now", [message])
    assert "1 message done." in shown_messages(response)
    assert OutboxMessage.objects.get(pk=message.pk).state == State.QUEUED
    assert LogEntry.objects.get(object_id=str(message.pk)).change_message == "Retry now"


def test_retry_now_skips_the_wait_of_a_queued_message(staff_client, sender):
    later = timezone.now() + timedelta(minutes=30)
    message = in_state(queue(sender, "Waiting"), State.QUEUED, next_attempt_at=later, attempts=1)
    run_action(staff_client, "outbox.outboxmessage", "retry_now", [message])
    assert OutboxMessage.objects.get(pk=message.pk).next_attempt_at < later


def test_each_refusal_is_reported_and_the_others_still_done(staff_client, sender):
    maybe = in_state(queue(sender, "Maybe"), State.MAYBE_SENT)
    sent = in_state(queue(sender, "Gone"), State.SENT)
    failed = in_state(queue(sender, "Failed"), State.FAILED)
    response = run_action(staff_client, "outbox.outboxmessage", "retry_now", [maybe, sent, failed])
    assert sorted(shown_messages(response)) == sorted([
        "“Maybe” was left as it is: it may have been sent; only its author may decide to "
        "send it again.",
        "“Gone” was left as it is: its state (Sent) does not allow it.",
        "1 message done.",
    ])  # fmt: skip
    states = dict(OutboxMessage.objects.values_list("subject", "state"))
    assert states == {"Maybe": "maybe_sent", "Gone": "sent", "Failed": "queued"}
    assert LogEntry.objects.count() == 1


def test_cancel_takes_back_a_waiting_message_but_not_one_partly_delivered(staff_client, sender):
    waiting = queue(sender, "Waiting", send_at=timezone.now() + timedelta(days=1))
    partly = queue(sender, "Partly")
    recipients = partly.recipients
    recipients[0]["status"] = RecipientStatus.ACCEPTED
    partly = in_state(partly, State.QUEUED, recipients=recipients)
    response = run_action(staff_client, "outbox.outboxmessage", "cancel", [waiting, partly])
    assert "“Partly” was left as it is: some recipients already received it." in shown_messages(
        response
    )
    assert OutboxMessage.objects.get(pk=waiting.pk).state == State.CANCELLED
    assert OutboxMessage.objects.get(pk=partly.pk).state == State.QUEUED


def test_the_outbox_cannot_be_edited_by_hand(staff_client, sender):
    message = queue(sender, "Hands off")
    url = reverse("admin:outbox_outboxmessage_change", args=[message.pk])
    staff_client.post(url, {"subject": "Changed", "state": "sent"})
    assert OutboxMessage.objects.get(pk=message.pk).subject == "Hands off"
