"""Filters on a POP3 account: downloaded mail sorted into its local folders."""

import pytest

from tests.messages import make_message
from webmail.models import Folder, Message, MessageFilter, SpecialUse
from webmail.pop3 import engine
from webmail.services import filters
from webmail.services.actions import act_on_messages

pytestmark = pytest.mark.django_db(transaction=True)


def subjects_in(folder: Folder) -> list[str]:
    return sorted(Message.objects.filter(folder=folder).values_list("subject", flat=True))


@pytest.fixture
def local_folders(pop3_account):
    engine.fetch_account(pop3_account)  # the first download, of an empty maildrop
    return engine.local.ensure_local_folders(pop3_account)


def test_downloaded_mail_is_filtered_into_local_folders(
    pop3_account, local_folders, dovecot, pop3_user
):
    archive, inbox = local_folders[SpecialUse.ARCHIVE], local_folders[SpecialUse.INBOX]
    MessageFilter.objects.create(
        account=pop3_account, name="Sender 1", move_to=archive, mark_read=True,
        conditions=[{"field": "from", "operator": "contains", "value": "SENDER1@"}],
    )  # fmt: skip
    dovecot.deliver_many(pop3_user, [make_message(1, "From one"), make_message(2, "From two")])
    engine.fetch_account(pop3_account)
    assert subjects_in(archive) == ["From one"]
    assert subjects_in(inbox) == ["From two"]
    assert Message.objects.get(folder=archive).is_seen


def test_the_first_download_is_not_filtered_and_a_message_moved_back_stays(
    alice, pop3_account, dovecot, pop3_user
):
    dovecot.deliver(pop3_user, make_message(1, "Before"))
    engine.fetch_account(pop3_account)  # a newly added account: old mail stays
    folders = engine.local.ensure_local_folders(pop3_account)
    inbox, junk = folders[SpecialUse.INBOX], folders[SpecialUse.JUNK]
    filters.start_marks(pop3_account)
    MessageFilter.objects.create(
        account=pop3_account, name="Anything", move_to=junk,
        conditions=[{"field": "subject", "operator": "not_contains", "value": "zzz"}],
    )  # fmt: skip
    dovecot.deliver(pop3_user, make_message(2, "After"))
    engine.fetch_account(pop3_account)
    assert subjects_in(junk) == ["After"]
    act_on_messages(alice, [Message.objects.get(folder=junk).pk], "move", inbox.pk)
    dovecot.deliver(pop3_user, make_message(3, "Later"))
    engine.fetch_account(pop3_account)
    assert subjects_in(inbox) == ["After", "Before"]
    assert subjects_in(junk) == ["Later"]
