"""webmail.mail.smtp.send_message against the real SMTP fixture: per-recipient answers,
refusals that leave the connection usable, and the final "." under the caller's control."""

import pytest

from tests.harness.certs import SERVER_HOSTNAME
from webmail.mail.errors import ConnectError
from webmail.mail.smtp import DeliveryAbandoned, open_smtp, send_message
from webmail.mail.types import Security, ServerSettings

USER = "sender@courriel.test"
PASSWORD = "smtp password 1234"
FROM = USER
RAW = b"From: sender@courriel.test\r\nTo: bob@example.net\r\nSubject: Hi\r\n\r\nHello.\r\n"


@pytest.fixture
def settings_for(smtp, certs):
    smtp.add_user(USER, PASSWORD)

    def make(timeout: float = 5.0) -> ServerSettings:
        return ServerSettings(
            SERVER_HOSTNAME,
            smtp.submission_port,
            Security.STARTTLS,
            USER,
            PASSWORD,
            ca_file=str(certs.ca_cert),
            timeout=timeout,
        )

    return make


def test_every_recipient_is_answered_and_the_message_delivered(smtp, settings_for):
    with open_smtp(settings_for()) as client:
        result = send_message(client, FROM, ["bob@example.net", "carol@example.net"], RAW)

    assert result.delivered
    assert [r.accepted for r in result.recipients] == [True, True]
    assert result.reply.code == 250
    [received] = smtp.messages
    assert received.rcpt_tos == ("bob@example.net", "carol@example.net")
    assert received.data == RAW
    assert any(option.startswith("SIZE=") for option in received.mail_options)


def test_a_refused_recipient_is_reported_and_the_others_get_it(smtp, settings_for):
    smtp.refuse_recipient("carol@example.net", 550, "5.1.1 No such user")

    with open_smtp(settings_for()) as client:
        result = send_message(client, FROM, ["bob@example.net", "carol@example.net"], RAW)

    assert result.delivered
    bob, carol = result.recipients
    assert bob.accepted and not carol.accepted
    assert (carol.reply.code, carol.reply.text) == (550, "5.1.1 No such user")
    assert smtp.messages[0].rcpt_tos == ("bob@example.net",)


@pytest.mark.parametrize(
    ("stage", "refused_at", "reply_code"),
    [("mail", "mail", 554), ("rcpt", "rcpt", None), ("data", "dot", 554)],
)
def test_a_refusal_is_returned_and_the_connection_serves_the_next_message(
    smtp, settings_for, stage, refused_at, reply_code
):
    smtp.fail_next(stage, 554, "5.7.1 Refused")

    with open_smtp(settings_for()) as client:
        refused = send_message(client, FROM, ["bob@example.net"], RAW)
        accepted = send_message(client, FROM, ["bob@example.net"], RAW)

    assert refused.refused_at == refused_at
    assert (refused.reply.code if refused.reply else None) == reply_code
    assert not refused.delivered and accepted.delivered
    assert len(smtp.messages) == 1


def test_a_421_closes_the_session(smtp, settings_for):
    smtp.fail_next("rcpt", 421, "4.7.0 Closing")

    with open_smtp(settings_for()) as client:
        result = send_message(client, FROM, ["bob@example.net", "carol@example.net"], RAW)

    assert result.session_closed
    assert result.refused_at == "rcpt"
    assert len(result.recipients) == 1  # nothing more was asked after the 421


def test_lines_starting_with_a_dot_and_bare_line_feeds_arrive_intact_and_alone(smtp, settings_for):
    # "\n.\n" is how SMTP smuggling ends a message early to start a forged one.
    raw = RAW + b".hidden line\r\n\n.\nMAIL FROM:<forged@example.org>\r\n"

    with open_smtp(settings_for()) as client:
        send_message(client, FROM, ["bob@example.net"], raw)

    [received] = smtp.messages
    assert received.data.endswith(b".hidden line\r\n\r\n.\r\nMAIL FROM:<forged@example.org>\r\n")


def test_the_caller_sees_the_answers_just_before_the_final_dot(smtp, settings_for):
    seen = []

    def before_final_dot(results) -> bool:
        seen.append([r.address for r in results if r.accepted])
        assert smtp.messages == []  # the server has not got the message yet
        return True

    with open_smtp(settings_for()) as client:
        send_message(client, FROM, ["bob@example.net"], RAW, before_final_dot=before_final_dot)

    assert seen == [["bob@example.net"]]
    assert len(smtp.messages) == 1


def test_an_abandoned_message_is_never_received(smtp, settings_for):
    with (
        pytest.raises(DeliveryAbandoned),
        open_smtp(settings_for()) as client,
    ):
        send_message(client, FROM, ["bob@example.net"], RAW, before_final_dot=lambda _: False)

    with open_smtp(settings_for()) as client:  # the server has moved on
        send_message(client, FROM, ["carol@example.net"], RAW)
    assert [m.rcpt_tos for m in smtp.messages] == [("carol@example.net",)]


def test_a_connection_lost_after_the_final_dot_raises_after_the_callback(smtp, settings_for):
    smtp.drop_after_data()
    called = []

    with pytest.raises(ConnectError), open_smtp(settings_for()) as client:
        send_message(
            client,
            FROM,
            ["bob@example.net"],
            RAW,
            before_final_dot=lambda _: called.append(1) or True,
        )

    assert called == [1]
    assert len(smtp.messages) == 1


def test_a_silent_server_after_the_final_dot_times_out(smtp, settings_for):
    smtp.hang_after_data()

    with pytest.raises(ConnectError) as failure, open_smtp(settings_for(timeout=0.5)) as client:
        send_message(client, FROM, ["bob@example.net"], RAW)

    assert failure.value.code == "timeout"
