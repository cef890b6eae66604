"""An unsubscribe request by mail goes through the outbox like any message: to the
SMTP fixture, once, and into Sent."""

import pytest
from django.urls import reverse

from tests.messages import newsletter
from tests.test_reading_views import stored
from webmail.models import Message, SpecialUse
from webmail.outbox import engine
from webmail.outbox.models import CopyState, OutboxMessage, State

pytestmark = pytest.mark.django_db


def test_the_request_reaches_the_list_and_is_kept_in_sent(alice_client, alice, sender, smtp):
    uri = "mailto:leave@lists.example.org?subject=unsubscribe%20weekly&bcc=victim@example.net"
    message = stored(alice, newsletter(f"<{uri}>", one_click=False), account=sender)

    alice_client.post(reverse("webmail:unsubscribe", args=[message.pk]), {"method": "mail"})
    engine.deliver_due_for_account(sender.pk)

    [received] = smtp.messages
    assert received.mail_from == sender.email
    assert received.rcpt_tos == ("leave@lists.example.org",)
    assert received.parsed()["Subject"] == "unsubscribe weekly"
    [queued] = OutboxMessage.objects.all()
    assert (queued.state, queued.copy_state) == (State.SENT, CopyState.SAVED)
    [kept] = Message.objects.filter(account=sender, folder__special_use=SpecialUse.SENT)
    assert kept.subject == "unsubscribe weekly"
