"""A POP3 account's folders live only in Courriel: create, nest, rename, delete."""

import pytest
from django.urls import reverse

from tests.messages import make_message
from webmail.models import Folder, Message, SpecialUse
from webmail.pop3 import engine
from webmail.services.actions import act_on_messages

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fetched(pop3_account, dovecot, pop3_user):
    dovecot.deliver_many(pop3_user, [make_message(n) for n in range(2)])
    engine.fetch_account(pop3_account)
    return pop3_account


def test_local_folders_can_be_made_nested_renamed_and_deleted(alice_client, fetched):
    manage = reverse("webmail:manage_folders", args=[fetched.pk])
    assert alice_client.post(manage, {"name": "Receipts"}).status_code == 302
    receipts = Folder.objects.get(account=fetched, name="Receipts")
    assert receipts.complete  # nothing to sync: it is whatever is stored here
    alice_client.post(manage, {"name": "2026", "parent": receipts.pk})
    assert Folder.objects.filter(account=fetched, name="Receipts/2026").exists()

    message = Message.objects.filter(account=fetched, folder__special_use=SpecialUse.INBOX)[0]
    nested = Folder.objects.get(account=fetched, name="Receipts/2026")
    act_on_messages(fetched.user, [message.pk], "move", nested.pk)

    alice_client.post(reverse("webmail:rename_folder", args=[receipts.pk]), {"name": "Bills"})
    assert Message.objects.get(pk=message.pk).folder.name == "Bills/2026"

    url = reverse("webmail:delete_folder", args=[receipts.pk])
    assert "It holds 1 message" in alice_client.post(url).content.decode()
    alice_client.post(url, {"confirm": "yes"})
    assert not Folder.objects.filter(account=fetched, name__startswith="Bills").exists()
    assert not Message.objects.filter(pk=message.pk).exists()
    assert Message.objects.filter(account=fetched).count() == 1  # the Inbox keeps the rest
