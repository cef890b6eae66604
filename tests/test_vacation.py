"""The vacation reply on an IMAP account: mail delivered to the real Dovecot, synced,
answered through the outbox to the real SMTP fixture (RFC 3834), or not."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests.test_filters import letter, make_filter
from webmail.compose.models import Identity
from webmail.contacts.models import Contact
from webmail.engine import account_sync
from webmail.models import Folder, Preferences, VacationRecipient, VacationReply
from webmail.outbox import engine as outbox
from webmail.outbox.models import CopyState, OutboxMessage
from webmail.services import vacation

pytestmark = pytest.mark.django_db(transaction=True)

AWAY = "I am away until Monday."


@pytest.fixture(autouse=True)
def outbox_settings(settings, tmp_path):
    settings.MAIL_TIMEOUT = 5
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def away(imap_sender, other_device):
    """That account synced once (its Inbox marked), its vacation reply switched on."""
    other_device.create_folder("Junk")
    account_sync.sync_account(imap_sender)
    switch_on(imap_sender)
    return imap_sender


def switch_on(account, **fields) -> VacationReply:
    reply = VacationReply.objects.filter(account=account).first() or VacationReply(account=account)
    was_enabled = reply.enabled
    for name, value in ({"enabled": True, "text": AWAY} | fields).items():
        setattr(reply, name, value)
    vacation.switched(reply, was_enabled)
    return reply


@pytest.fixture
def arrive(dovecot, mail_user, smtp):
    """Deliver, sync, send what the outbox holds: the messages the SMTP server got."""

    def run(account, *letters: bytes, **options) -> list:
        for raw in letters:
            dovecot.deliver(mail_user, raw, **options)
        account_sync.sync_account(account)
        outbox.deliver_due_for_account(account.pk)
        return [received.parsed() for received in smtp.messages]

    return run


def test_new_mail_gets_one_reply_with_the_rfc_3834_headers(away, arrive, smtp):
    original = letter(1, "Lunch on Friday?", References="<root@example.org>")
    [reply] = arrive(away, original)

    [received] = smtp.messages
    assert received.mail_from == away.email
    assert received.rcpt_tos == ("sender1@example.org",)
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == "<m1@example.org>"
    assert reply["References"] == "<root@example.org> <m1@example.org>"
    assert reply["Subject"] == "Re: Lunch on Friday?"
    assert reply["To"] == "sender1@example.org"
    assert reply["From"].addresses[0].addr_spec == away.email
    assert reply.get_content().strip() == AWAY
    assert reply["Precedence"] is None


def test_the_reply_is_filed_in_sent(away, arrive, other_device):
    arrive(away, letter(1, "Hello"))
    assert OutboxMessage.objects.get().copy_state == CopyState.SAVED
    other_device.select_folder("Sent", readonly=True)
    assert len(other_device.search("ALL")) == 1


def test_the_return_path_is_answered_before_reply_to(away, arrive):
    original = letter(1, "Hi", **{"Return-Path": "<bob@example.net>", "Reply-To": "x@example.net"})
    [reply] = arrive(away, original)
    assert reply["To"] == "bob@example.net"


def test_reply_to_is_answered_without_a_return_path(away, arrive):
    [reply] = arrive(away, letter(1, "Hi", **{"Reply-To": "desk@example.net"}))
    assert reply["To"] == "desk@example.net"


def test_a_fixed_subject_is_used_as_written(away, arrive):
    switch_on(away, subject="Out of office")
    [reply] = arrive(away, letter(1, "Hi"))
    assert reply["Subject"] == "Out of office"


def test_the_same_sender_is_answered_once_within_the_days(away, arrive, smtp):
    arrive(away, letter(1, "First"), letter(2, "Other sender"))
    replies = arrive(away, letter(3, "Again", From="sender1@example.org"))
    assert sorted(reply["To"] for reply in replies) == [
        "sender1@example.org",
        "sender2@example.org",
    ]


def test_the_same_sender_is_answered_again_after_the_days(away, arrive):
    arrive(away, letter(1, "First"))
    VacationRecipient.objects.update(replied_at=timezone.now() - timedelta(days=5))
    replies = arrive(away, letter(2, "Again", From="sender1@example.org"))
    assert [reply["Subject"] for reply in replies] == ["Re: First", "Re: Again"]


NEVER = {
    "auto_submitted": {"Auto-Submitted": "auto-generated"},
    "auto_replied": {"Auto-Submitted": "auto-replied"},
    "precedence_bulk": {"Precedence": "bulk"},
    "precedence_list": {"Precedence": "list"},
    "precedence_junk": {"Precedence": "junk"},
    "list_id": {"List-Id": "Weekly <weekly.lists.example.org>"},
    "list_unsubscribe": {"List-Unsubscribe": "<mailto:leave@lists.example.org>"},
    "mailer_daemon": {"From": "Mail Delivery System <MAILER-DAEMON@example.org>"},
    "postmaster": {"From": "postmaster@example.org"},
    "noreply": {"From": "Shop <noreply@shop.example>"},
    "no_reply": {"From": "no-reply@shop.example"},
    "donotreply": {"From": "DoNotReply@bank.example"},
    "spam": {"X-Spam-Flag": "YES"},
    "empty_sender": {"From": ""},
    "unparseable_sender": {"From": "Bob <bob@>"},
    "null_return_path": {"Return-Path": "<>"},
    "own_address": {"From": "alice-self"},  # replaced by the account's address below
    "own_reply_to": {"Reply-To": "alice-self"},
}


@pytest.mark.parametrize("case", NEVER)
def test_never_answered(away, arrive, smtp, case):
    headers = {
        name: away.email if value == "alice-self" else value for name, value in NEVER[case].items()
    }
    arrive(away, letter(1, "Hello", **headers))
    assert smtp.messages == []
    assert not OutboxMessage.objects.exists()


def test_an_identitys_address_is_never_answered(away, arrive, smtp):
    Identity.objects.create(account=away, email="alice.alias@example.com")
    arrive(away, letter(1, "Hi", From="Me <ALICE.alias@example.com>"))
    assert smtp.messages == []


@pytest.mark.parametrize("action", [{"move_to": "Junk"}, {"trash": True}])
def test_mail_a_filter_takes_out_of_the_inbox_is_not_answered(away, arrive, smtp, action):
    if "move_to" in action:
        action = {"move_to": Folder.objects.get(account=away, name="Junk")}
    make_filter(away, {"field": "subject", "operator": "contains", "value": "prize"}, **action)
    replies = arrive(away, letter(1, "You won a PRIZE"), letter(2, "Hello"))
    assert [reply["Subject"] for reply in replies] == ["Re: Hello"]


def test_mail_from_before_it_was_switched_on_is_not_answered(
    imap_sender, arrive, dovecot, mail_user
):
    account_sync.sync_account(imap_sender)  # the Inbox is marked
    earlier = timezone.now() - timedelta(minutes=5)
    dovecot.deliver(mail_user, letter(1, "Sent while I was here"), received_at=earlier)
    switch_on(imap_sender)  # switched on before the next sync saw that message
    replies = arrive(imap_sender, letter(2, "Sent while away"))
    assert [reply["Subject"] for reply in replies] == ["Re: Sent while away"]


def test_a_first_sync_after_switching_on_does_not_answer_the_backlog(
    imap_sender, arrive, dovecot, mail_user
):
    dovecot.deliver(mail_user, letter(1, "Old mail"))
    switch_on(imap_sender)  # never synced: nothing in the index yet
    assert arrive(imap_sender) == []


@pytest.mark.parametrize(
    ("first", "last"),
    [(1, None), (None, -1), (1, 3), (-3, -1)],
    ids=["not_yet", "over", "ahead", "past"],
)
def test_mail_outside_the_days_is_not_answered(away, arrive, smtp, first, last):
    today = timezone.localdate()
    days = {
        "first_day": None if first is None else today + timedelta(days=first),
        "last_day": None if last is None else today + timedelta(days=last),
    }
    switch_on(away, **days)
    arrive(away, letter(1, "Hello"))
    assert smtp.messages == []


def test_the_days_are_the_persons_own(away, arrive, alice):
    """23:30 on 1 July in Tahiti (UTC-10) is 2 July in UTC: a last day of 1 July,
    in Tahiti's time, still answers it."""
    Preferences.objects.create(user=alice, time_zone="Pacific/Tahiti")
    arrival = datetime(2026, 7, 2, 9, 30, tzinfo=UTC)
    switch_on(away, first_day=datetime(2026, 7, 1).date(), last_day=datetime(2026, 7, 1).date())
    VacationReply.objects.filter(account=away).update(enabled_at=arrival - timedelta(days=1))
    replies = arrive(away, letter(1, "Late"), received_at=arrival)
    assert [reply["Subject"] for reply in replies] == ["Re: Late"]


def test_contacts_only_answers_contacts_alone(away, arrive, alice):
    switch_on(away, contacts_only=True)
    Contact.objects.create(user=alice, email="Sender2@Example.org")
    replies = arrive(away, letter(1, "Stranger"), letter(2, "Friend"))
    assert [reply["Subject"] for reply in replies] == ["Re: Friend"]


def test_nothing_is_sent_once_it_is_off(away, arrive, smtp):
    reply = away.vacation_reply
    reply.enabled = False
    vacation.switched(reply, True)
    arrive(away, letter(1, "Hello"))
    assert smtp.messages == []
