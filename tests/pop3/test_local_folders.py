"""A POP3 account's folders live only in Courriel: create, nest, rename, delete."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.messages import make_message
from tests.pop3.conftest import waiting_on_server
from webmail.models import Folder, Message, SpecialUse
from webmail.pop3 import bulk_copy, engine, local
from webmail.pop3.headers import describe
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


def test_rows_stored_here_go_in_with_their_conversation(fetched):
    if not bulk_copy.available():
        pytest.skip("threading as rows are inserted is PostgreSQL's path")
    inbox = Folder.objects.get(account=fetched, special_use=SpecialUse.INBOX)
    original = Message.objects.get(folder=inbox, message_id="<m1@example.org>")
    now = timezone.now()
    reply = local.message_row(
        inbox,
        describe(make_message(3, "Re: Message", In_Reply_To="<m1@example.org>")),
        digest="ab" * 32,
        size=100,
        now=now,
    )
    other = local.message_row(
        inbox, describe(make_message(4, "Unrelated")), digest="cd" * 32, size=100, now=now
    )

    reply_id, other_id = local.insert_rows(inbox, [reply, other])  # no threading pass after

    threads = dict(Message.objects.filter(folder=inbox).values_list("pk", "thread_id"))
    assert threads[reply_id] == threads[original.pk] is not None
    assert threads[other_id] not in (None, threads[original.pk])


def test_emptying_the_local_trash_deletes_here_then_on_the_server_if_asked(
    alice_client, pop3_account, dovecot, pop3_user
):
    options = engine.options_for(pop3_account)
    options.leave_on_server, options.delete_when_deleted_here = True, True
    options.save()
    dovecot.deliver_many(pop3_user, [make_message(n) for n in range(2)])
    engine.fetch_account(pop3_account)
    trash = Folder.objects.get(account=pop3_account, special_use=SpecialUse.TRASH)
    Message.objects.filter(account=pop3_account).update(folder=trash)
    url = reverse("webmail:empty_folder", args=[trash.pk])
    question = alice_client.get(url).content.decode()
    assert "2 messages in the Trash" in question
    assert "on the server too" not in question  # POP3: the copy here is the mail
    through = re.search(r'name="through" value="(\d+)"', question).group(1)

    alice_client.post(url, {"through": through})

    assert not Message.objects.filter(account=pop3_account).exists()
    assert waiting_on_server(pop3_account) == 2  # still there until the next fetch
    engine.fetch_account(pop3_account)
    assert waiting_on_server(pop3_account) == 0
    assert not Message.objects.filter(account=pop3_account).exists()  # not downloaded again


def test_a_move_between_local_folders_is_undone_at_once(alice_client, fetched):
    message = Message.objects.filter(account=fetched, folder__special_use=SpecialUse.INBOX)[0]
    data = {"action": "archive", "ids": [message.pk], "next": "/"}
    page = alice_client.post(reverse("webmail:act"), data, follow=True).content.decode()
    assert Message.objects.get(pk=message.pk).folder.special_use == SpecialUse.ARCHIVE
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)

    alice_client.post(reverse("webmail:undo"), {"token": token, "next": "/"})

    assert Message.objects.get(pk=message.pk).folder.special_use == SpecialUse.INBOX
