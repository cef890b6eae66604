"""The lists by conversation, the conversation page, and the switch between modes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from webmail.engine.threads import thread_pending
from webmail.models import Folder, MailAccount, Message, Preferences
from webmail.raw_store import store_raw

pytestmark = pytest.mark.django_db
START = datetime(2026, 11, 1, 9, tzinfo=UTC)


def mailbox(user) -> dict[str, Folder]:
    account = MailAccount.objects.create(
        user=user, email=user.email, incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username="x", smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    return {
        use: Folder.objects.create(account=account, name=use.upper(), special_use=use)
        for use in ["inbox", "sent", "archive", "trash"]
    }


def add(
    folder: Folder, number: int, *, parent: int | None = None, seen=True, hours=0, body="", **fields
):
    text = body or f"Body {number}.\r\n"
    raw = f"Subject: Message {number}\r\nMessage-ID: <m{number}@x>\r\n\r\n{text}"
    message = Message.objects.create(
        account=folder.account, folder=folder, uid=Message.objects.count() + 1,
        message_id=f"<m{number}@x>", in_reply_to=f"<m{parent}@x>" if parent else "",
        subject=fields.pop("subject", f"Message {number}"),
        from_name=fields.pop("from_name", f"Sender {number}"), from_email=f"s{number}@x",
        internal_date=START + timedelta(hours=hours), is_seen=seen,
        raw_sha256=store_raw(raw.encode()), body_state="indexed", **fields,
    )  # fmt: skip
    thread_pending(folder)
    message.refresh_from_db()
    return message


def list_mode(user, mode: str) -> None:
    Preferences.objects.update_or_create(user=user, defaults={"list_mode": mode})


def rows(response) -> list:
    return response.context["messages_list"]


@pytest.fixture
def conversation(alice, media):
    """Alice's inbox: a question, her reply in Sent, an answer; and an unrelated message."""
    folders = mailbox(alice)
    question = add(folders["inbox"], 1, from_name="Bob", hours=0)
    reply = add(folders["sent"], 2, parent=1, from_name="Alice", hours=1)
    answer = add(folders["inbox"], 3, parent=2, from_name="Carol", seen=False, hours=2)
    other = add(folders["inbox"], 4, from_name="Dan", hours=3)
    return folders, [question, reply, answer, other]


def test_a_folder_lists_one_row_per_conversation(alice_client, conversation):
    folders, (_question, _reply, answer, other) = conversation
    response = alice_client.get(reverse("webmail:folder", args=[folders["inbox"].pk]))
    listed = rows(response)
    assert [row.pk for row in listed] == [other.pk, answer.pk]
    summary = listed[1].conversation
    assert summary.count == 3 and summary.unread and summary.you_took_part
    assert summary.participants == ["Bob", "Carol"]
    page = response.content.decode()
    assert reverse("webmail:conversation", args=[answer.thread_id]) in page
    assert "Bob, Carol, me" in page


def test_the_messages_mode_lists_every_message(alice_client, alice, conversation):
    folders, (question, _reply, answer, other) = conversation
    list_mode(alice, "messages")
    response = alice_client.get(reverse("webmail:folder", args=[folders["inbox"].pk]))
    assert [row.pk for row in rows(response)] == [other.pk, answer.pk, question.pk]
    assert reverse("webmail:conversation", args=[answer.thread_id]) not in response.content.decode()


def test_the_unified_inbox_lists_conversations_too(alice_client, conversation):
    _folders, (_question, _reply, answer, other) = conversation
    response = alice_client.get(reverse("webmail:unified", args=["inbox"]))
    assert [row.pk for row in rows(response)] == [other.pk, answer.pk]


def test_pages_of_conversations_follow_one_another(alice_client, alice, media):
    folders = mailbox(alice)
    for number in range(60):
        add(folders["inbox"], 1000 + number, hours=number)
        add(folders["inbox"], 2000 + number, parent=1000 + number, hours=number + 0.5)
    url = reverse("webmail:folder", args=[folders["inbox"].pk])
    first = alice_client.get(url)
    second = alice_client.get(url, {"before": first.context["older_cursor"]})
    seen = [row.thread_id for row in rows(first) + rows(second)]
    assert len(rows(first)) == 50 and len(rows(second)) == 10
    assert len(set(seen)) == 60 and second.context["older_cursor"] is None


def test_a_bulk_action_on_a_conversation_row_stays_in_its_folder(alice_client, conversation):
    folders, (question, reply, answer, other) = conversation
    Message.objects.update(is_seen=False)
    response = alice_client.post(
        reverse("webmail:act"),
        {"action": "read", "threads": [answer.thread_id], "scope": f"folder:{folders['inbox'].pk}"},
    )
    assert response.status_code == 302
    seen = dict(Message.objects.values_list("pk", "is_seen"))
    assert seen == {question.pk: True, answer.pk: True, reply.pk: False, other.pk: False}


def test_a_strangers_conversation_cannot_be_acted_on(client, bob, conversation):
    _folders, (question, *_rest) = conversation
    Message.objects.update(is_seen=False)
    client.force_login(bob)
    client.post(reverse("webmail:act"), {"action": "read", "threads": [question.thread_id]})
    assert not Message.objects.filter(is_seen=True).exists()


def test_the_switch_saves_the_mode(alice_client, alice, conversation):
    folders, _messages = conversation
    url = reverse("webmail:folder", args=[folders["inbox"].pk])
    response = alice_client.post(reverse("webmail:list_mode"), {"mode": "messages", "next": url})
    assert response.url == url
    assert Preferences.objects.get(user=alice).list_mode == "messages"
    assert alice_client.post(reverse("webmail:list_mode"), {"mode": "x"}).status_code == 400


def test_the_conversation_page_shows_every_folder_in_date_order(alice_client, conversation):
    _folders, (question, reply, answer, _other) = conversation
    Message.objects.filter(pk=question.pk).update(is_seen=False)
    response = alice_client.get(reverse("webmail:conversation", args=[answer.thread_id]))
    items = response.context["items"]
    assert [item["message"].pk for item in items] == [question.pk, reply.pk, answer.pk]
    # Unread ones and the last are open; the read reply waits for a click.
    assert [item["expanded"] for item in items] == [True, False, True]
    page = response.content.decode()
    assert reverse("webmail:message_body", args=[question.pk]) in page
    assert reverse("webmail:message_body", args=[reply.pk]) not in page
    assert f'hx-get="{reverse("webmail:message", args=[reply.pk])}"' in page
    assert Message.objects.get(pk=question.pk).is_seen and Message.objects.get(pk=answer.pk).is_seen


def test_a_collapsed_message_expands_into_the_page(alice_client, conversation):
    _folders, (_question, reply, *_rest) = conversation
    response = alice_client.get(
        reverse("webmail:message", args=[reply.pk]), headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert reverse("webmail:message_body", args=[reply.pk]) in page


def test_one_messages_own_moves_wait_behind_more_in_a_conversation(alice_client, conversation):
    """The conversation's bar acts on all of it; a message's own Archive, Delete and
    Move sit in its "More" there, and in plain sight on the message's own page."""
    _folders, (_question, reply, answer, _other) = conversation
    in_conversation = [
        alice_client.get(reverse("webmail:conversation", args=[answer.thread_id])),
        alice_client.get(
            reverse("webmail:message", args=[reply.pk]), headers={"HX-Request": "true"}
        ),
    ]
    for response, message in zip(in_conversation, [answer, reply], strict=True):
        article = response.content.decode().split(f'id="show-addresses-{message.pk}"', 1)[1]
        more, own_moves = article.index('class="more-menu"'), article.index("move-destination-")
        assert more < own_moves
    page = alice_client.get(reverse("webmail:message", args=[answer.pk])).content.decode()
    assert page.index("move-destination-") < page.index('class="more-menu"')


def test_reading_a_conversation_can_leave_it_unread(alice_client, alice, conversation):
    _folders, (_question, _reply, answer, _other) = conversation
    Preferences.objects.create(user=alice, mark_read_on_open=False)
    alice_client.get(reverse("webmail:conversation", args=[answer.thread_id]))
    assert not Message.objects.get(pk=answer.pk).is_seen


def test_a_stranger_gets_404_for_a_conversation(client, bob, conversation):
    _folders, (question, *_rest) = conversation
    client.force_login(bob)
    assert client.get(reverse("webmail:conversation", args=[question.thread_id])).status_code == 404
    assert client.get(reverse("webmail:conversation", args=[999999])).status_code == 404


def test_a_conversation_needs_signing_in(client, conversation):
    _folders, (question, *_rest) = conversation
    response = client.get(reverse("webmail:conversation", args=[question.thread_id]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_conversation_can_be_deleted_from_its_page(alice_client, conversation):
    _folders, (_question, _reply, answer, other) = conversation
    alice_client.post(reverse("webmail:act"), {"action": "delete", "threads": [answer.thread_id]})
    assert set(Message.objects.values_list("pk", flat=True)) == {other.pk}


@pytest.mark.parametrize("window", [3, 12, 100])
def test_search_pages_are_the_same_whether_the_newest_window_suffices_or_not(
    alice_client, alice, media, monkeypatch, window
):
    from webmail.views import folders as folder_views

    monkeypatch.setattr(folder_views, "PAGE_SIZE", 4)
    monkeypatch.setattr(folder_views, "SEARCH_WINDOW", window)
    inbox = mailbox(alice)["inbox"]
    for number in range(30):
        add(inbox, number, subject="budget" if number % 2 else "lunch", hours=number)
    expected = list(
        Message.objects.filter(subject="budget")
        .order_by("-internal_date")
        .values_list("pk", flat=True)
    )
    found, cursor = [], None
    while True:
        response = alice_client.get(
            reverse("webmail:search"), {"q": "budget", **({"before": cursor} if cursor else {})}
        )
        found += [row.pk for row in rows(response)]
        cursor = response.context["older_cursor"]
        if not cursor:
            break
    assert found == expected


def test_a_long_unread_conversation_opens_only_its_latest_messages(alice_client, alice, media):
    inbox = mailbox(alice)["inbox"]
    first = add(inbox, 1, seen=False)
    for number in range(2, 16):
        add(inbox, number, parent=number - 1, seen=False, hours=number)
    response = alice_client.get(reverse("webmail:conversation", args=[first.thread_id]))
    expanded = [item["expanded"] for item in response.context["items"]]
    assert expanded == [False] * 5 + [True] * 10
    assert Message.objects.filter(is_seen=False).count() == 5


def test_a_bulk_action_from_all_inboxes_stays_in_the_inboxes(alice_client, conversation):
    _folders, (question, reply, answer, other) = conversation
    Message.objects.update(is_seen=False)
    alice_client.post(
        reverse("webmail:act"),
        {"action": "read", "threads": [answer.thread_id], "scope": "unified:inbox"},
    )
    seen = dict(Message.objects.values_list("pk", "is_seen"))
    assert seen == {question.pk: True, answer.pk: True, reply.pk: False, other.pk: False}


def test_the_conversation_page_moves_the_whole_conversation(alice_client, conversation):
    folders, (_question, _reply, answer, other) = conversation
    page = alice_client.get(reverse("webmail:conversation", args=[answer.thread_id]))
    menu = page.content.decode().split('id="conversation-destination"', 1)[1].split("</select>")[0]
    assert f'value="{folders["archive"].pk}"' in menu
    data = {"action": "move", "threads": [answer.thread_id], "destination": folders["archive"].pk}
    alice_client.post(reverse("webmail:act"), data)
    # IMAP: the rows leave at once; the server's new UIDs come with the next sync.
    assert list(Message.objects.filter(folder=folders["inbox"])) == [other]


def test_mail_in_junk_offers_not_spam(alice_client, alice, media):
    junk = Folder.objects.create(account=mailbox(alice)["inbox"].account, name="Junk",
                                 special_use="junk")  # fmt: skip
    message = add(junk, 9)
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert 'value="not_spam"' in page and 'value="spam"' not in page
    listing = alice_client.get(reverse("webmail:folder", args=[junk.pk])).content.decode()
    assert 'value="not_spam"' in listing
