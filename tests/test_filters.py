"""Filters on an IMAP account: new mail in the Inbox sorted on the real Dovecot,
through a real Celery worker, as a person's own actions would be."""

from email import message_from_bytes, policy

import pytest

from tests.conftest import wait_until
from tests.messages import make_message
from webmail import tasks
from webmail.engine import account_sync
from webmail.models import Folder, Message, MessageFilter
from webmail.services import filters
from webmail.services.actions import act_on_messages

pytestmark = pytest.mark.django_db(transaction=True)

NEWS = "Weekly News <news@lists.example.org>"


def condition(field: str, operator: str, value: str) -> dict:
    return {"field": field, "operator": operator, "value": value}


def make_filter(account, *conditions, position=0, **options) -> MessageFilter:
    """Saved as the settings page saves one (Inboxes marked before the first)."""
    filters.start_marks(account)
    return MessageFilter.objects.create(
        account=account, name=f"Filter {position}", position=position,
        conditions=list(conditions), **options,
    )  # fmt: skip


@pytest.fixture
def synced(account, other_device):
    other_device.create_folder("Lists")
    account_sync.sync_account(account)
    return account


def folder(account, name: str) -> Folder:
    return Folder.objects.get(account=account, name=name)


def subjects_on_server(other_device, name: str) -> list[str]:
    other_device.select_folder(name, readonly=True)
    uids = other_device.search("ALL")
    found = other_device.fetch(uids, ["ENVELOPE"]) if uids else {}
    return sorted(data[b"ENVELOPE"].subject.decode() for data in found.values())


def flags_on_server(other_device, subject: str) -> set[bytes]:
    other_device.select_folder("INBOX", readonly=True)
    uids = other_device.search(["SUBJECT", subject])
    return set(other_device.get_flags(uids)[uids[0]])


def subjects_in(account, name: str) -> list[str]:
    rows = Message.objects.filter(account=account, folder__name=name)
    return sorted(rows.values_list("subject", flat=True))


def letter(number: int, subject: str, **headers) -> bytes:
    """tests.messages.make_message, with its From, To and Cc replaceable."""
    message = message_from_bytes(make_message(number, subject), policy=policy.default)
    for name, value in headers.items():
        del message[name]
        message[name] = value
    return bytes(message)


def deliver(dovecot, mail_user, number: int, subject: str, **headers) -> None:
    dovecot.deliver(mail_user, letter(number, subject, **headers))


def test_new_mail_that_matches_moves_to_the_folder_on_the_server_and_in_the_index(
    synced, dovecot, mail_user, other_device, action_worker
):
    make_filter(
        synced, condition("from", "contains", "NEWS@lists"), move_to=folder(synced, "Lists")
    )
    deliver(dovecot, mail_user, 1, "Issue 42", From=NEWS)
    deliver(dovecot, mail_user, 2, "Lunch?")
    account_sync.sync_account(synced)
    assert subjects_in(synced, "INBOX") == ["Lunch?"]  # at once, like a person's move
    wait_until(lambda: subjects_on_server(other_device, "Lists") == ["Issue 42"])
    wait_until(lambda: subjects_in(synced, "Lists") == ["Issue 42"])
    assert subjects_on_server(other_device, "INBOX") == ["Lunch?"]


def test_read_and_flag_reach_the_server_and_leave_the_rest_alone(
    synced, dovecot, mail_user, other_device, action_worker
):
    make_filter(synced, condition("subject", "contains", "invoice"), mark_read=True, flag=True)
    deliver(dovecot, mail_user, 1, "Your INVOICE for May")
    deliver(dovecot, mail_user, 2, "Holiday photos")
    account_sync.sync_account(synced)
    invoice = Message.objects.get(account=synced, subject="Your INVOICE for May")
    photos = Message.objects.get(account=synced, subject="Holiday photos")
    assert (invoice.is_seen, invoice.is_flagged) == (True, True)
    assert (photos.is_seen, photos.is_flagged) == (False, False)
    wait_until(lambda: {b"\\Seen", b"\\Flagged"} <= flags_on_server(other_device, "INVOICE"))
    assert flags_on_server(other_device, "Holiday") == set()


def test_stop_here_keeps_later_filters_off_what_it_matched(synced, dovecot, mail_user):
    make_filter(synced, condition("subject", "contains", "report"), flag=True, stop=True)
    make_filter(synced, condition("subject", "contains", "weekly"), mark_read=True, position=1)
    deliver(dovecot, mail_user, 1, "Weekly report")
    deliver(dovecot, mail_user, 2, "Weekly digest")
    account_sync.sync_account(synced)
    report = Message.objects.get(account=synced, subject="Weekly report")
    digest = Message.objects.get(account=synced, subject="Weekly digest")
    assert (report.is_flagged, report.is_seen) == (True, False)
    assert (digest.is_flagged, digest.is_seen) == (False, True)


def test_all_needs_every_condition_and_any_needs_one(synced, dovecot, mail_user):
    conditions = [
        condition("from", "contains", "boss@"),
        condition("subject", "contains", "urgent"),
    ]
    make_filter(synced, *conditions, match_all=True, flag=True)
    make_filter(synced, *conditions, match_all=False, mark_read=True, position=1)
    deliver(dovecot, mail_user, 1, "Urgent: sign", From="The Boss <boss@example.org>")
    deliver(dovecot, mail_user, 2, "Urgent: newsletter")
    deliver(dovecot, mail_user, 3, "Lunch", From="The Boss <boss@example.org>")
    deliver(dovecot, mail_user, 4, "Nothing to see")
    account_sync.sync_account(synced)
    state = {m.subject: (m.is_flagged, m.is_seen) for m in Message.objects.filter(account=synced)}
    assert state == {
        "Urgent: sign": (True, True),
        "Urgent: newsletter": (False, True),
        "Lunch": (False, True),
        "Nothing to see": (False, False),
    }


def test_a_message_moved_back_to_the_inbox_by_hand_stays_there(
    synced, dovecot, mail_user, other_device, action_worker
):
    make_filter(synced, condition("subject", "is", "build failed"), move_to=folder(synced, "Lists"))
    deliver(dovecot, mail_user, 1, "Build failed")
    account_sync.sync_account(synced)
    wait_until(lambda: subjects_on_server(other_device, "Lists") == ["Build failed"])
    other_device.select_folder("Lists")
    other_device.move(other_device.search("ALL"), "INBOX")  # on the phone
    account_sync.sync_account(synced)
    assert subjects_in(synced, "INBOX") == ["Build failed"]
    deliver(dovecot, mail_user, 2, "Build failed")  # a new one still goes
    account_sync.sync_account(synced)
    wait_until(lambda: subjects_on_server(other_device, "Lists") == ["Build failed"])
    account_sync.sync_account(synced)
    assert subjects_on_server(other_device, "INBOX") == ["Build failed"]
    assert subjects_in(synced, "INBOX") == ["Build failed"]


def test_a_message_moved_back_in_courriel_stays_there(
    alice, synced, dovecot, mail_user, other_device, action_worker
):
    lists = folder(synced, "Lists")
    make_filter(synced, condition("subject", "contains", "build"), move_to=lists)
    deliver(dovecot, mail_user, 1, "Build failed")
    account_sync.sync_account(synced)
    wait_until(lambda: subjects_in(synced, "Lists") == ["Build failed"])
    moved = Message.objects.get(folder=lists)
    act_on_messages(alice, [moved.pk], "move", folder(synced, "INBOX").pk)
    wait_until(lambda: subjects_in(synced, "INBOX") == ["Build failed"])
    account_sync.sync_account(synced)
    assert subjects_on_server(other_device, "INBOX") == ["Build failed"]
    assert subjects_in(synced, "INBOX") == ["Build failed"]


def test_the_first_sync_filters_nothing_and_run_now_does(
    account, dovecot, mail_user, other_device, action_worker
):
    other_device.create_folder("Lists")
    deliver(dovecot, mail_user, 1, "Old newsletter", From=NEWS)
    deliver(dovecot, mail_user, 2, "Old letter")
    account_sync.sync_account(account)  # a newly added account: its folders appear now
    news = make_filter(
        account, condition("from", "is", "Weekly News"), move_to=folder(account, "Lists")
    )
    MessageFilter.objects.filter(pk=news.pk).update(position=0)
    deliver(dovecot, mail_user, 3, "Unrelated")
    account_sync.sync_account(account)
    assert subjects_in(account, "INBOX") == ["Old letter", "Old newsletter", "Unrelated"]
    assert filters.run_now(news) == 1
    wait_until(lambda: subjects_on_server(other_device, "Lists") == ["Old newsletter"])
    assert subjects_in(account, "INBOX") == ["Old letter", "Unrelated"]


def test_the_initial_sync_of_an_existing_mailbox_filters_nothing_even_with_filters(
    account, dovecot, mail_user
):
    make_filter(account, condition("subject", "contains", "old"), mark_read=True)
    deliver(dovecot, mail_user, 1, "Old letter")
    account_sync.sync_account(account)
    assert Message.objects.get(account=account).is_seen is False


def test_the_trash_action_moves_to_the_trash(
    synced, dovecot, mail_user, other_device, action_worker
):
    make_filter(synced, condition("recipients", "contains", "spam-trap@"), trash=True)
    deliver(dovecot, mail_user, 1, "Win a prize", To="spam-trap@courriel.test")
    deliver(dovecot, mail_user, 2, "Minutes", Cc="Team <team@courriel.test>")
    account_sync.sync_account(synced)
    wait_until(lambda: subjects_on_server(other_device, "Trash") == ["Win a prize"])
    assert subjects_on_server(other_device, "INBOX") == ["Minutes"]


def test_after_the_admins_rebuild_old_mail_is_left_and_new_mail_filtered(
    synced, dovecot, mail_user
):
    make_filter(synced, condition("subject", "contains", "report"), flag=True)
    deliver(dovecot, mail_user, 1, "Old report")
    account_sync.sync_account(synced)
    Message.objects.filter(account=synced).update(is_flagged=False)  # unflagged by hand
    account_sync.rebuild_account(synced)
    account_sync.sync_account(synced)  # nothing changed on the server
    deliver(dovecot, mail_user, 2, "New report")
    account_sync.sync_account(synced)
    flagged = Message.objects.filter(account=synced, is_flagged=True)
    assert list(flagged.values_list("subject", flat=True)) == ["New report"]


def test_a_filter_without_conditions_matches_nothing(synced, dovecot, mail_user):
    make_filter(synced, mark_read=True)
    deliver(dovecot, mail_user, 1, "Anything")
    account_sync.sync_account(synced)
    assert Message.objects.get(account=synced).is_seen is False


def test_a_move_stores_the_filters_flags_before_it_moves(synced, dovecot, mail_user, other_device):
    """Run alone, as when a second worker takes it before the flag task."""
    deliver(dovecot, mail_user, 1, "Receipt")
    account_sync.sync_account(synced)
    inbox, message = folder(synced, "INBOX"), Message.objects.get(account=synced)
    lists = folder(synced, "Lists")
    tasks.move_messages(inbox.pk, [message.uid], inbox.uidvalidity, lists.pk, None, ["\\Seen"])
    other_device.select_folder("Lists", readonly=True)
    uid = other_device.search("ALL")[0]
    assert b"\\Seen" in other_device.get_flags([uid])[uid]
