"""Plain words for what servers answer."""

import pytest

from webmail.outbox.reasons import message_code_for_refusal, message_reason, recipient_reason


@pytest.mark.parametrize(
    ("code", "reply", "expected"),
    [
        (550, "5.1.1 <x@example.net>: Recipient address rejected", "This address does not exist."),
        (550, "5.1.2 Host unknown", "This domain does not exist or does not receive mail."),
        (552, "5.2.2 Mailbox full", "This mailbox is full."),
        (452, "Too many recipients", "fewer recipients per message"),
        (450, "4.2.0 Greylisted, come back later", "try again later"),
        (554, "5.7.1 Relay access denied", "a policy or security rule"),
        (550, "No such user", "The server refused this address."),
        (250, "2.1.5 OK", ""),
        (None, "", ""),
    ],
)
def test_each_recipient_answer_reads_as_a_sentence(code, reply, expected):
    assert expected in recipient_reason(code, reply)
    assert bool(recipient_reason(code, reply)) == bool(expected)


@pytest.mark.parametrize(
    ("step", "code", "reply", "expected"),
    [
        ("mail", 550, "5.7.1 Sender refused", "sender_refused"),
        ("rcpt", None, "", "recipients_refused"),
        ("dot", 554, "5.7.1 Spam", "message_refused"),
        ("dot", 552, "Message size exceeds limit", "message_too_large"),
        ("mail", 552, "5.3.4 Too big", "message_too_large"),
    ],
)
def test_a_whole_message_refusal_gets_its_code(step, code, reply, expected):
    assert message_code_for_refusal(step, code, reply) == expected


def test_connection_codes_reuse_the_account_sentences_and_unknown_ones_are_generic():
    assert message_reason("timeout").startswith("The server did not answer in time")
    assert message_reason("gave_up").startswith("The server kept refusing")
    assert message_reason("something-new") == "The mail server reported an error."
