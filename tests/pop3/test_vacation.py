"""The vacation reply on a POP3 account: downloaded mail answered through the outbox,
its header fields read from Courriel's own store."""

import pytest

from tests.messages import make_message
from webmail.models import VacationReply
from webmail.outbox import engine as outbox
from webmail.outbox.models import CopyState, OutboxMessage
from webmail.pop3 import engine
from webmail.services import vacation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def away(pop3_account, smtp, pop3_user, settings):
    """alice's POP3 account, sending through the SMTP fixture, downloaded once (an
    empty maildrop), its vacation reply switched on."""
    settings.MAIL_TIMEOUT = 5
    smtp.add_user(pop3_user.name, pop3_user.password)
    pop3_account.smtp_port = smtp.smtps_port
    pop3_account.save()
    engine.fetch_account(pop3_account)
    vacation.switched(VacationReply(account=pop3_account, enabled=True, text="Away."), False)
    return pop3_account


def test_a_downloaded_message_gets_its_reply(away, dovecot, pop3_user, smtp):
    dovecot.deliver(pop3_user, make_message(1, "Projet", References="<root@example.org>"))
    engine.fetch_account(away)
    outbox.deliver_due_for_account(away.pk)

    [received] = smtp.messages
    reply = received.parsed()
    assert received.rcpt_tos == ("sender1@example.org",)
    assert reply["Auto-Submitted"] == "auto-replied"
    assert (reply["Subject"], reply["In-Reply-To"]) == ("Re: Projet", "<m1@example.org>")
    assert reply["References"] == "<root@example.org> <m1@example.org>"
    assert OutboxMessage.objects.get().copy_state == CopyState.SAVED  # in the local Sent


def test_a_list_message_downloaded_gets_none(away, dovecot, pop3_user, smtp):
    dovecot.deliver(pop3_user, make_message(1, "Issue 42", List_Id="<weekly.example.org>"))
    engine.fetch_account(away)
    outbox.deliver_due_for_account(away.pk)
    assert smtp.messages == []
