"""The header rules of the vacation reply (RFC 3834), on hostile and ordinary headers."""

import pytest

from webmail.mail.auto_reply import is_robot_address, screen

OWN = {"alice@courriel.test", "alice.alias@example.com"}


def headers(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def verdict(*lines: str):
    return screen(headers(*lines), OWN)


def test_a_person_gets_a_reply_at_their_from_address():
    result = verdict("From: Bob Martin <bob@example.net>", "Subject: Hi")
    assert (result.may_reply, result.recipient, result.author) == (
        True,
        "bob@example.net",
        "bob@example.net",
    )


def test_the_return_path_wins_over_reply_to_and_from():
    result = verdict(
        "Return-Path: <bob-sender@example.net>",
        "From: bob@example.net",
        "Reply-To: team@example.net",
    )
    assert (result.recipient, result.author) == ("bob-sender@example.net", "bob@example.net")


def test_reply_to_is_used_without_a_return_path():
    assert verdict("From: bob@example.net", "Reply-To: Desk <desk@example.net>").recipient == (
        "desk@example.net"
    )


@pytest.mark.parametrize(
    "line",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: AUTO-NOTIFIED; owner-email=x@example.net",
        "Auto-Submitted: something-new",
        "Auto-Submitted:",
    ],
)
def test_auto_submitted_other_than_no_gets_none(line):
    assert verdict("From: bob@example.net", line).reason == "auto_submitted"


def test_auto_submitted_no_is_a_person():
    assert verdict("From: bob@example.net", "Auto-Submitted: No (written by hand)").may_reply


def test_a_second_auto_submitted_field_is_not_hidden_by_a_first_no():
    lines = ("From: bob@example.net", "Auto-Submitted: no", "Auto-Submitted: auto-replied")
    assert verdict(*lines).reason == "auto_submitted"


@pytest.mark.parametrize("value", ["bulk", "LIST", " junk "])
def test_bulk_precedence_gets_none(value):
    assert verdict("From: bob@example.net", f"Precedence: {value}").reason == "bulk"


def test_precedence_first_class_is_a_person():
    assert verdict("From: bob@example.net", "Precedence: first-class").may_reply


@pytest.mark.parametrize(
    "line", ["List-Id: <news.example.org>", "List-Unsubscribe: <mailto:leave@example.org>"]
)
def test_mailing_lists_get_none(line):
    assert verdict("From: bob@example.net", line).reason == "mailing_list"


@pytest.mark.parametrize("value", ["YES", "yes", " Yes "])
def test_spam_gets_none(value):
    assert verdict("From: bob@example.net", f"X-Spam-Flag: {value}").reason == "spam"


def test_a_spam_flag_no_is_fine():
    assert verdict("From: bob@example.net", "X-Spam-Flag: NO").may_reply


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@example.net",
        "postmaster@example.net",
        "noreply@example.net",
        "no-reply@example.net",
        "no_reply+tracking@example.net",
        "DoNotReply@example.net",
        "do-not-reply@example.net",
        "noreply-notifications@example.net",
        "users-request@lists.example.net",
        "owner-users@lists.example.net",
    ],
)
def test_robots_get_none(sender):
    assert verdict(f"From: Robot <{sender}>").reason == "robot_sender"


def test_a_robot_return_path_gets_none_even_from_a_person():
    lines = ("Return-Path: <MAILER-DAEMON@example.net>", "From: bob@example.net")
    assert verdict(*lines).reason == "robot_sender"


def test_a_null_return_path_gets_none():
    assert verdict("Return-Path: <>", "From: bob@example.net").reason == "null_return_path"


@pytest.mark.parametrize(
    "sender", ["alice@courriel.test", "ALICE@Courriel.Test", "Me <alice.alias@example.com>"]
)
def test_own_addresses_get_none(sender):
    assert verdict(f"From: {sender}").reason == "own_address"


def test_a_reply_to_pointing_at_oneself_gets_none():
    lines = ("From: bob@example.net", "Reply-To: alice@courriel.test")
    assert verdict(*lines).reason == "own_address"


@pytest.mark.parametrize(
    "line",
    [
        "From:",
        "From: undisclosed-recipients:;",
        "From: Bob",
        "From: <bob@>",
        "From: bob@localhost",
        "From: =?utf-8?q?=E9?= <\u00e9l\u00e8ve@example.net>",
        'From: "unterminated <bob@example.net',
        "From: bob@example.net\r\n\tinjected@evil.example",
    ],
)
def test_empty_or_unparseable_senders_get_none(line):
    assert verdict(line).reason == "no_sender"


def test_no_from_at_all_gets_none():
    assert verdict("Subject: no sender").reason == "no_sender"


def test_a_header_block_of_garbage_never_raises():
    raw = b"\xff\xfe\x00From: \x80\x81@\x82\r\nAuto-Submitted: \xe9\r\n\r\n"
    assert not screen(raw, OWN).may_reply


@pytest.mark.parametrize("address", ["norbert@example.net", "owen@example.net", "req@example.net"])
def test_an_ordinary_local_part_is_not_a_robot(address):
    assert not is_robot_address(address)
