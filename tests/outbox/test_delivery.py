"""Delivery against the real SMTP fixture: each message arrives exactly once, or is
reported failed, or (only for a cut after the final ".") is shown as maybe sent."""

import threading

import pytest
from django.db import connections
from django.utils import timezone

from tests.harness.faulty_proxy import FaultyProxy
from tests.harness.ports import free_port
from tests.outbox.conftest import (
    BOB,
    CAROL,
    DAVE,
    SMTP_PASSWORD,
    point_at,
    queue,
    received_ids,
    reload,
    smtp_port,
)
from webmail.outbox import engine
from webmail.outbox.backoff import lease_seconds, retry_delay
from webmail.outbox.models import OutboxMessage, RecipientStatus, State
from webmail.outbox.reasons import message_reason, recipient_reason

pytestmark = pytest.mark.django_db


def deliver(account) -> engine.RunReport:
    return engine.deliver_due_for_account(account.pk)


def retry_now(*messages) -> None:
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
        next_attempt_at=timezone.now()
    )


# --- security modes and authentication ------------------------------------------------------


@pytest.mark.parametrize("security", ["tls", "starttls", "plain"])
def test_it_delivers_with_every_security_mode(sender, smtp, security):
    point_at(sender, smtp_port(smtp, security), security, host="localhost")
    message = queue(sender)

    report = deliver(sender)

    [received] = smtp.messages
    assert report.sent == 1
    assert received.auth_user == sender.incoming_username
    assert received.rcpt_tos == (BOB,)
    assert received.mail_from == sender.email
    assert received.parsed()["Message-ID"] == message.message_id
    message = reload(message)
    assert message.state == State.SENT
    assert message.sent_at is not None
    assert message.recipient_results[0].accepted
    assert message.lease_until is None


def test_a_refused_password_fails_every_due_message_at_once_with_plain_words(sender, smtp):
    sender.set_incoming_password("not the password")
    sender.save()
    first, second = queue(sender), queue(sender, "Second")

    deliver(sender)

    assert smtp.messages == []
    for message in (reload(first), reload(second)):
        assert message.state == State.FAILED
        assert message.error_code == "bad_credentials"
        assert message_reason(message.error_code) == (
            "The server refused this user name and password."
        )


def test_a_certificate_problem_fails_the_message(sender, smtp, settings):
    settings.MAIL_CA_FILE = ""  # the fixture's CA is no longer trusted
    message = queue(sender)

    deliver(sender)

    assert reload(message).state == State.FAILED
    assert reload(message).error_code == "certificate_untrusted"


# --- temporary refusals: retried ------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "code", "text"),
    [
        ("connect", 421, "4.3.2 Service not available, try later"),
        ("mail", 451, "4.3.0 Temporary local problem"),
        ("rcpt", 452, "4.5.3 Too many recipients"),
        ("data", 451, "4.3.0 Try again"),
    ],
)
def test_a_temporary_refusal_is_retried_then_delivered_once(sender, smtp, stage, code, text):
    smtp.fail_next(stage, code, text)
    message = queue(sender)

    deliver(sender)

    waiting = reload(message)
    assert waiting.state == State.QUEUED
    assert waiting.attempts == 1
    assert waiting.next_attempt_at > timezone.now()
    assert deliver(sender).sent == 0  # not due yet: backoff
    retry_now(message)
    deliver(sender)

    assert reload(message).state == State.SENT
    assert received_ids(smtp) == [message.message_id]


def test_the_backoff_grows_with_each_attempt(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 3600
    delays = [retry_delay(attempt).total_seconds() for attempt in range(1, 9)]

    assert 54 <= delays[0] <= 66
    assert 108 <= delays[1] <= 132
    assert delays[:6] == sorted(delays[:6])
    assert 3240 <= delays[-1] <= 3960  # capped


def test_it_gives_up_after_the_retry_period(sender, smtp, settings):
    settings.OUTBOX_RETRY_FOR_SECONDS = 30  # shorter than the first backoff
    smtp.fail_next("mail", 451, "4.3.0 Temporary local problem")
    message = queue(sender)

    deliver(sender)

    failed = reload(message)
    assert failed.state == State.FAILED
    assert failed.error_code == "gave_up"
    assert failed.last_error == "451 4.3.0 Temporary local problem"


# --- permanent refusals: reported per recipient ---------------------------------------------


def test_one_refused_recipient_of_three_gets_a_per_recipient_reason(sender, smtp):
    smtp.refuse_recipient(CAROL, 550, "5.1.1 No such user here")
    message = queue(sender, to=(BOB, CAROL, DAVE))

    deliver(sender)

    [received] = smtp.messages
    assert received.rcpt_tos == (BOB, DAVE)
    sent = reload(message)
    assert sent.state == State.SENT
    by_address = {r.address: r for r in sent.recipient_results}
    assert by_address[BOB].accepted and by_address[DAVE].accepted
    carol = by_address[CAROL]
    assert carol.status == RecipientStatus.REFUSED
    assert (carol.code, carol.reply) == (550, "5.1.1 No such user here")
    assert recipient_reason(carol.code, carol.reply) == "This address does not exist."


def test_a_recipient_deferred_with_452_gets_the_message_later_and_the_others_only_once(
    sender, smtp
):
    smtp.fail_next("rcpt", 452, "4.5.3 Too many recipients")  # the first RCPT only
    message = queue(sender, to=(BOB, CAROL))

    deliver(sender)
    assert reload(message).state == State.QUEUED
    retry_now(message)
    deliver(sender)

    first, second = smtp.messages
    assert first.rcpt_tos == (CAROL,)
    assert second.rcpt_tos == (BOB,)
    assert reload(message).state == State.SENT


def test_every_recipient_refused_fails_the_message(sender, smtp):
    for address in (BOB, CAROL):
        smtp.refuse_recipient(address, 550, "5.1.1 No such user here")
    message = queue(sender, to=(BOB, CAROL))

    deliver(sender)

    failed = reload(message)
    assert smtp.messages == []
    assert failed.state == State.FAILED
    assert failed.error_code == "recipients_refused"
    assert {r.status for r in failed.recipient_results} == {RecipientStatus.REFUSED}


@pytest.mark.parametrize(
    ("stage", "code", "expected"),
    [("mail", 550, "sender_refused"), ("data", 554, "message_refused")],
)
def test_a_permanent_refusal_fails_at_once(sender, smtp, stage, code, expected):
    smtp.fail_next(stage, code, "5.7.1 Refused")
    message = queue(sender)

    deliver(sender)

    failed = reload(message)
    assert failed.state == State.FAILED
    assert failed.error_code == expected
    assert failed.attempts == 1
    assert failed.recipient_results[0].status == RecipientStatus.REFUSED


def test_a_refused_message_leaves_the_connection_usable_for_the_next(sender, smtp):
    smtp.fail_next("mail", 550, "5.7.1 Sender refused")
    refused, accepted = queue(sender, "First"), queue(sender, "Second")

    deliver(sender)

    assert reload(refused).state == State.FAILED
    assert reload(accepted).state == State.SENT
    assert received_ids(smtp) == [accepted.message_id]


# --- connections ----------------------------------------------------------------------------


def test_all_due_messages_of_an_account_share_one_connection(sender, smtp):
    with FaultyProxy(smtp.plain_port) as proxy:
        point_at(sender, proxy.port)
        messages = [queue(sender, f"Message {n}") for n in range(5)]

        report = deliver(sender)

    assert report.sent == 5
    assert proxy.connections == 1
    assert sorted(received_ids(smtp)) == sorted(m.message_id for m in messages)
    for message in map(reload, messages):
        assert message.state == State.SENT
        assert message.recipient_results[0].accepted
        assert message.sent_at and message.data_sent_at and not message.lease_until


def test_a_server_closing_with_421_mid_run_gets_a_new_connection(sender, smtp):
    smtp.fail_next("rcpt", 421, "4.7.0 Too many messages, closing")
    with FaultyProxy(smtp.plain_port) as proxy:
        point_at(sender, proxy.port)
        messages = [queue(sender, f"Message {n}") for n in range(3)]

        deliver(sender)
        retry_now(*messages)
        deliver(sender)

    assert sorted(received_ids(smtp)) == sorted(m.message_id for m in messages)
    assert all(reload(m).state == State.SENT for m in messages)


def test_a_connection_dropped_before_data_is_retried_and_arrives_once(sender, smtp):
    with FaultyProxy(smtp.plain_port) as proxy:
        point_at(sender, proxy.port)
        proxy.cut_when_client_sends(b"DATA\r\n")
        message = queue(sender)

        deliver(sender)
        waiting = reload(message)
        retry_now(message)
        deliver(sender)

    assert waiting.state == State.QUEUED
    assert waiting.data_sent_at is None
    assert received_ids(smtp) == [message.message_id]
    assert reload(message).state == State.SENT


def test_a_connection_lost_after_the_final_dot_is_maybe_sent_and_arrived_once(sender, smtp):
    smtp.drop_after_data()
    message = queue(sender)

    report = deliver(sender)

    maybe = reload(message)
    assert report.maybe_sent == 1
    assert maybe.state == State.MAYBE_SENT
    assert maybe.error_code == "lost_after_data"
    assert maybe.data_sent_at is not None
    assert maybe.recipient_results[0].status == RecipientStatus.IN_FLIGHT
    assert received_ids(smtp) == [message.message_id]
    deliver(sender)  # never retried on its own
    assert len(smtp.messages) == 1


def test_a_server_silent_after_the_final_dot_is_maybe_sent(sender, smtp, settings):
    settings.MAIL_TIMEOUT = 1
    smtp.hang_after_data()
    message = queue(sender)

    deliver(sender)

    assert reload(message).state == State.MAYBE_SENT
    assert len(smtp.messages) == 1


def test_an_unreachable_server_is_retried_until_it_is_back(sender, smtp):
    port = free_port()
    point_at(sender, port)
    messages = [queue(sender, f"Message {n}") for n in range(3)]

    deliver(sender)
    waiting = [reload(m) for m in messages]
    retry_now(*messages)
    with FaultyProxy(smtp.plain_port, port=port):
        deliver(sender)

    assert {m.state for m in waiting} == {State.QUEUED}
    assert {m.error_code for m in waiting} == {"refused"}
    assert {m.attempts for m in waiting} == {1}  # one connection attempt, all deferred
    assert sorted(received_ids(smtp)) == sorted(m.message_id for m in messages)


# --- claims -----------------------------------------------------------------------------------


def test_a_claim_is_taken_once(sender):
    message = queue(sender)

    assert engine.claim(message.pk, "first") is not None
    assert engine.claim(message.pk, "second") is None
    assert reload(message).claimed_by == "first"


@pytest.mark.django_db(transaction=True)
def test_two_workers_running_at_once_deliver_each_message_once(sender, smtp):
    messages = [queue(sender, f"Message {n}") for n in range(12)]
    barrier = threading.Barrier(2)
    reports = []

    def worker():
        barrier.wait()
        try:
            reports.append(deliver(sender))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(received_ids(smtp)) == sorted(m.message_id for m in messages)
    assert sum(report.sent for report in reports) == 12


def test_the_same_task_delivered_twice_sends_once(sender, smtp):
    message = queue(sender)

    engine.deliver(message.pk)
    engine.deliver(message.pk)
    deliver(sender)

    assert received_ids(smtp) == [message.message_id]


def test_a_message_claimed_elsewhere_is_left_alone(sender, smtp):
    message = queue(sender)
    assert engine.claim(message.pk, "someone-else") is not None

    deliver(sender)

    assert smtp.messages == []
    assert reload(message).claimed_by == "someone-else"


def test_an_expired_claim_before_the_final_dot_is_queued_again(sender, smtp):
    message = queue(sender)
    engine.claim(message.pk, "vanished-worker")
    later = timezone.now() + timezone.timedelta(seconds=lease_seconds() + 1)

    assert engine.recover_expired_leases(later) == (1, 0)

    assert reload(message).state == State.QUEUED
    deliver(sender)
    assert received_ids(smtp) == [message.message_id]


def test_an_expired_claim_after_the_final_dot_is_maybe_sent(sender, smtp):
    message = queue(sender)
    engine.claim(message.pk, "vanished-worker")
    OutboxMessage.objects.filter(pk=message.pk).update(data_sent_at=timezone.now())
    later = timezone.now() + timezone.timedelta(seconds=lease_seconds() + 1)

    assert engine.recover_expired_leases(later) == (0, 1)

    maybe = reload(message)
    assert maybe.state == State.MAYBE_SENT
    assert maybe.error_code == "worker_lost_after_data"
    deliver(sender)
    assert smtp.messages == []


def test_a_claim_that_expired_is_not_completed_by_its_old_holder(sender, smtp):
    message = queue(sender)
    run = engine._Run(sender)
    claimed = engine.claim(message.pk, run.token)
    OutboxMessage.objects.filter(pk=message.pk).update(lease_until=timezone.now())

    with pytest.raises(engine.LeaseLost):
        run._before_final_dot(claimed, [])

    assert reload(message).data_sent_at is None


def test_a_late_reply_after_maybe_sent_still_counts(sender, smtp):
    message = queue(sender)
    run = engine._Run(sender)
    claimed = engine.claim(message.pk, run.token)
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=State.MAYBE_SENT, data_sent_at=timezone.now()
    )

    run._finish(claimed, engine._Outcome(State.SENT, claimed.recipient_results))
    run._record_unrecorded()

    assert reload(message).state == State.SENT


def sent_outcome(message) -> engine._Outcome:
    return engine._Outcome(State.SENT, message.recipient_results)


def test_a_result_written_with_the_next_dot_record_lands_even_if_that_record_fails(sender):
    first, second = queue(sender, "First"), queue(sender, "Second")
    run = engine._Run(sender)
    claimed_first, claimed_second = engine.claim_batch([first.pk, second.pk], run.token)
    run._finish(claimed_first, sent_outcome(claimed_first))
    OutboxMessage.objects.filter(pk=second.pk).update(lease_until=timezone.now())

    with pytest.raises(engine.LeaseLost):
        run._before_final_dot(claimed_second, [])

    assert reload(first).state == State.SENT
    assert reload(second).data_sent_at is None
    assert run.report.sent == 1


def test_the_dot_record_is_made_even_if_the_previous_result_moved_on(sender):
    first, second = queue(sender, "First"), queue(sender, "Second")
    run = engine._Run(sender)
    claimed_first, claimed_second = engine.claim_batch([first.pk, second.pk], run.token)
    run._finish(claimed_first, sent_outcome(claimed_first))
    OutboxMessage.objects.filter(pk=first.pk).update(claimed_by="another-run")

    assert run._before_final_dot(claimed_second, [])

    assert reload(first).state == State.SENDING  # not ours to settle any more
    assert reload(second).data_sent_at is not None
    assert run.report.sent == 0


def test_the_password_is_the_smtp_one_when_set(sender, smtp):
    sender.smtp_username = "other@courriel.test"
    sender.set_smtp_password(SMTP_PASSWORD)
    sender.save()
    smtp.add_user("other@courriel.test", SMTP_PASSWORD)
    queue(sender)

    deliver(sender)

    assert smtp.messages[0].auth_user == "other@courriel.test"
