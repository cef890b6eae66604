"""Queueing, undo, scheduled send, resend and dismiss, with a controllable clock."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.outbox.conftest import BOB, CAROL, queue, raw_message, received_ids, reload
from webmail.outbox import engine, services
from webmail.outbox.models import CopyState, OutboxMessage, RecipientStatus, State
from webmail.outbox.states import ALLOWED, TransitionRefused, check

pytestmark = pytest.mark.django_db

START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def deliver(account) -> engine.RunReport:
    return engine.deliver_due_for_account(account.pk)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


# --- queueing -------------------------------------------------------------------------------


def test_queueing_stores_the_message_and_returns_at_once(sender, smtp):
    raw = raw_message(sender, "Café")

    message = services.queue_message(sender, raw, recipients=[BOB, "Bob@Example.NET", CAROL])

    stored = reload(message)
    assert bytes(stored.raw) == raw
    assert stored.state == State.QUEUED
    assert stored.subject == "Café"
    assert stored.size == len(raw)
    assert stored.envelope_from == sender.email
    assert stored.user == sender.user
    assert [r.address for r in stored.recipient_results] == [BOB, CAROL]
    assert smtp.messages == []


@pytest.mark.parametrize(
    "problem",
    [
        {"recipients": []},
        {"recipients": ["not an address"]},
        {"undo_seconds": 7},
        {"send_at": datetime(2026, 6, 1, 9, 0)},
    ],
)
def test_queueing_refuses_what_cannot_be_sent(sender, problem):
    options = {"recipients": [BOB], **problem}
    with pytest.raises(ValueError):
        services.queue_message(sender, raw_message(sender), **options)


def test_a_message_without_message_id_is_refused(sender):
    with pytest.raises(ValueError, match="Message-ID"):
        services.queue_message(sender, b"Subject: x\r\n\r\nHi\r\n", recipients=[BOB])


def test_delivery_is_queued_only_after_the_commit(sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        queue(sender)
        queue(sender, undo_seconds=10)
        queue(sender, send_at=timezone.now() + timedelta(hours=2))

    # The scheduled one is left to beat's dispatcher.
    assert len(callbacks) == 2


def test_a_broker_that_is_down_does_not_fail_the_send(
    sender, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(services.deliver_outbox, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(sender)

    assert reload(message).state == State.QUEUED
    assert engine.dispatch_due() == [sender.pk]  # beat delivers it once Redis is back


# --- undo -----------------------------------------------------------------------------------


def test_nothing_is_handed_to_smtp_during_the_undo_delay(sender, smtp, clock):
    message = queue(sender, undo_seconds=10)

    clock.shift(9)
    deliver(sender)
    assert smtp.messages == []

    clock.shift(2)
    deliver(sender)
    assert received_ids(smtp) == [message.message_id]


def test_undo_within_the_delay_returns_the_message_and_nothing_is_sent(sender, smtp, clock):
    message = queue(sender, undo_seconds=5)
    clock.shift(3)

    raw = services.undo(message.pk)

    assert raw == bytes(message.raw)
    assert reload(message).state == State.CANCELLED
    clock.shift(60)
    deliver(sender)
    assert smtp.messages == []


def test_undo_is_refused_once_the_message_went(sender, smtp, clock):
    message = queue(sender, undo_seconds=5)
    clock.shift(6)
    deliver(sender)

    with pytest.raises(TransitionRefused):
        services.undo(message.pk)

    assert reload(message).state == State.SENT


def test_undo_is_refused_once_some_recipient_accepted_it(sender, smtp):
    smtp.fail_next("rcpt", 452, "4.5.3 Too many recipients")
    message = queue(sender, to=(BOB, CAROL))
    deliver(sender)  # CAROL got it, BOB waits

    with pytest.raises(TransitionRefused):
        services.undo(message.pk)


def test_a_message_being_sent_cannot_be_undone(sender):
    message = queue(sender)
    engine.claim(message.pk, "a-worker")

    with pytest.raises(TransitionRefused):
        services.undo(message.pk)


# --- scheduled send -------------------------------------------------------------------------


def test_a_scheduled_message_waits_for_its_time_then_goes(sender, smtp, clock):
    message = queue(sender, send_at=START + timedelta(hours=3))

    clock.shift(timedelta(hours=2, minutes=59))
    assert engine.dispatch_due() == []
    deliver(sender)
    assert smtp.messages == []

    clock.shift(timedelta(minutes=1))
    assert engine.dispatch_due() == [sender.pk]
    deliver(sender)
    assert received_ids(smtp) == [message.message_id]


def test_a_scheduled_message_is_shown_as_scheduled(sender):
    message = queue(sender, send_at=timezone.now() + timedelta(days=1))

    assert reload(message).is_scheduled
    assert not reload(queue(sender)).is_scheduled


def test_a_scheduled_message_can_be_rescheduled(sender, smtp, clock):
    message = queue(sender, send_at=START + timedelta(hours=1))

    services.reschedule(message.pk, START + timedelta(hours=5))
    clock.shift(timedelta(hours=2))
    deliver(sender)
    assert smtp.messages == []

    clock.shift(timedelta(hours=3))
    deliver(sender)
    assert len(smtp.messages) == 1


def test_a_scheduled_message_can_be_cancelled_and_comes_back_for_editing(sender, smtp, clock):
    message = queue(sender, send_at=START + timedelta(hours=1))

    raw = services.cancel_scheduled(message.pk)

    assert b"Subject: Hello" in raw
    clock.shift(timedelta(hours=2))
    deliver(sender)
    assert smtp.messages == []


def test_the_dispatcher_finds_messages_due_after_a_restart(sender, clock):
    queue(sender, send_at=START + timedelta(minutes=10))
    # Whatever happened to the workers meanwhile, the row is all the dispatcher needs.
    clock.shift(timedelta(minutes=10, seconds=15))

    assert engine.dispatch_due() == [sender.pk]


# --- resend and dismiss ---------------------------------------------------------------------


def test_a_maybe_sent_message_is_resent_with_the_same_message_id(sender, smtp):
    smtp.drop_after_data()
    message = queue(sender)
    deliver(sender)
    assert reload(message).state == State.MAYBE_SENT

    services.resend(message.pk)
    deliver(sender)

    first, second = smtp.messages
    assert first.data == second.data
    assert received_ids(smtp) == [message.message_id, message.message_id]
    assert reload(message).state == State.SENT


def test_resending_never_sends_again_to_recipients_who_accepted(sender, smtp):
    smtp.fail_next("rcpt", 452, "4.5.3 Too many recipients")
    message = queue(sender, to=(BOB, CAROL))
    deliver(sender)
    OutboxMessage.objects.filter(pk=message.pk).update(state=State.FAILED)

    services.resend(message.pk)
    deliver(sender)

    assert [m.rcpt_tos for m in smtp.messages] == [(CAROL,), (BOB,)]


def test_dismissing_a_maybe_sent_message_keeps_it_and_files_its_copy(imap_sender, smtp):
    smtp.drop_after_data()
    message = queue(imap_sender)
    engine.deliver_due_for_account(imap_sender.pk)

    services.dismiss(message.pk)

    dismissed = reload(message)
    assert dismissed.state == State.MAYBE_SENT
    assert dismissed.dismissed_at is not None
    assert dismissed.copy_state == CopyState.PENDING
    engine.deliver_due_for_account(imap_sender.pk)
    assert reload(message).copy_state == CopyState.SAVED
    assert len(smtp.messages) == 1  # filed, not sent again


@pytest.mark.parametrize("service", [services.resend, services.dismiss])
def test_resend_and_dismiss_refuse_a_queued_message(sender, service):
    message = queue(sender)

    with pytest.raises(TransitionRefused):
        service(message.pk)


def test_retry_now_makes_a_waiting_message_due(sender, smtp):
    smtp.fail_next("mail", 451, "4.3.0 Try later")
    message = queue(sender)
    deliver(sender)

    services.retry_now(message.pk)
    deliver(sender)

    assert reload(message).state == State.SENT


def test_retry_now_refuses_a_maybe_sent_message(sender, smtp):
    smtp.drop_after_data()
    message = queue(sender)
    deliver(sender)

    with pytest.raises(TransitionRefused):
        services.retry_now(message.pk)


# --- the state machine ------------------------------------------------------------------------


def test_finished_states_never_change():
    assert ALLOWED[State.SENT] == ALLOWED[State.CANCELLED] == frozenset()


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        (State.SENT, State.QUEUED),
        (State.CANCELLED, State.QUEUED),
        (State.MAYBE_SENT, State.SENDING),
        (State.FAILED, State.SENDING),
        (State.QUEUED, State.SENT),
    ],
)
def test_a_move_not_in_the_table_is_refused(current, wanted):
    with pytest.raises(TransitionRefused):
        check(current, wanted)


def test_only_a_person_can_take_a_maybe_sent_message_back_to_the_queue():
    # The engine never claims a maybe-sent message: it is not queued.
    assert State.SENDING not in ALLOWED[State.MAYBE_SENT]
    assert RecipientStatus.IN_FLIGHT.label == "Maybe delivered"
