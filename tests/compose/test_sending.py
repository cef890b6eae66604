"""Writing, saving and sending against the real servers: drafts in Dovecot's Drafts,
delivery through the SMTP fixture, the copy in Sent, the original marked answered."""

import email
import email.policy

import pytest
from django.urls import reverse

from webmail import tasks as mail_tasks
from webmail.compose import services
from webmail.compose import tasks as compose_tasks
from webmail.compose.models import Draft, DraftState
from webmail.models import Message
from webmail.outbox import engine
from webmail.outbox.models import OutboxMessage, State

pytestmark = pytest.mark.django_db


def folder_messages(other_device, name: str) -> list[email.message.EmailMessage]:
    other_device.select_folder(name, readonly=True)
    uids = other_device.search("ALL")
    fetched = other_device.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
    return [
        email.message_from_bytes(item[b"BODY[]"], policy=email.policy.default)
        for item in fetched.values()
    ]


def fields(draft: Draft, **changes) -> dict:
    values = {
        "sender": f"account-{draft.account_id}",
        "to": draft.to,
        "cc": draft.cc,
        "bcc": draft.bcc,
        "subject": draft.subject,
        "format": draft.format,
        "body_html": draft.body_html,
        "body_text": draft.body_text,
    }
    return {**values, **changes}


def new_draft(client) -> Draft:
    response = client.get(reverse("compose:new"))
    assert response.status_code == 302
    return Draft.objects.get(pk=int(response.url.strip("/").split("/")[-1]))


def test_autosave_keeps_one_draft_in_drafts_replacing_the_previous_version(
    alice_client, imap_sender, other_device
):
    draft = new_draft(alice_client)
    url = reverse("compose:autosave", args=[draft.pk])

    first = alice_client.post(url, fields(draft, to="bob@example.net", subject="First try"))
    assert first.json()["saved"] is True
    assert compose_tasks.mirror_draft(draft.pk) is True
    assert [m["Subject"] for m in folder_messages(other_device, "Drafts")] == ["First try"]

    second = fields(draft, to="bob@example.net", bcc="carol@example.net", subject="Second try")
    alice_client.post(url, second)
    compose_tasks.mirror_draft(draft.pk)

    [copy] = folder_messages(other_device, "Drafts")
    assert copy["Subject"] == "Second try" and copy["To"] == "bob@example.net"
    assert copy["Bcc"] == "carol@example.net"
    assert compose_tasks.mirror_draft(draft.pk) is False  # nothing new: no APPEND


def test_autosave_flags_invalid_addresses_and_keeps_them(alice_client, imap_sender):
    draft = new_draft(alice_client)
    response = alice_client.post(
        reverse("compose:autosave", args=[draft.pk]),
        fields(draft, to="bob@example.net, bob at example"),
    )
    assert response.json()["invalid"] == ["bob at example"]
    draft.refresh_from_db()
    assert draft.to == "bob@example.net, bob at example"


def test_a_draft_is_kept_locally_when_the_imap_server_is_down(alice_client, imap_sender):
    from tests.harness.ports import free_port
    from webmail.mail.errors import MailError

    draft = new_draft(alice_client)
    imap_sender.incoming_port = free_port()
    imap_sender.save()
    alice_client.post(reverse("compose:autosave", args=[draft.pk]), fields(draft, subject="Kept"))

    with pytest.raises(MailError):
        compose_tasks.mirror_draft.run(draft.pk)

    draft.refresh_from_db()
    assert draft.subject == "Kept" and draft.server_uid is None and draft.server_error


def test_a_reply_is_sent_threaded_filed_in_sent_and_its_draft_removed(
    alice_client, imap_sender, original, smtp, other_device
):
    response = alice_client.get(reverse("compose:from_message", args=[original.pk, "reply_all"]))
    draft = Draft.objects.get(pk=int(response.url.strip("/").split("/")[-1]))
    assert draft.subject == "Re: Lunch on Friday"
    assert draft.to == "Bob <bob@example.net>"
    assert draft.cc == "Carol <carol@example.net>, dave@example.net"
    body = "<p>Noon is fine.</p>" + draft.body_html
    alice_client.post(reverse("compose:autosave", args=[draft.pk]), fields(draft, body_html=body))
    compose_tasks.mirror_draft(draft.pk)
    assert len(folder_messages(other_device, "Drafts")) == 1

    values = {**fields(draft, body_html=body), "action": "send"}
    sent = alice_client.post(reverse("compose:edit", args=[draft.pk]), values)
    assert sent.status_code == 302 and sent.url == reverse("compose:sent", args=[draft.pk])
    outbox = OutboxMessage.objects.get(user=imap_sender.user)
    engine.deliver(outbox.pk)

    [received] = smtp.messages
    message = received.parsed()
    assert message["In-Reply-To"] == "<lunch-2@example.net>"
    assert message["References"] == "<lunch-1@example.net> <lunch-2@example.net>"
    assert set(received.rcpt_tos) == {"bob@example.net", "carol@example.net", "dave@example.net"}
    html = message.get_body(("html",)).get_content()
    assert "Noon is fine." in html and "at noon" in html
    assert "script" not in html and "onclick" not in html and "tracker" not in html
    text = message.get_body(("plain",)).get_content()
    assert "Noon is fine." in text and "> Shall we meet at noon?" in text
    assert [m["Subject"] for m in folder_messages(other_device, "Sent")] == ["Re: Lunch on Friday"]

    assert services.follow_up(draft.pk) == "done"
    assert folder_messages(other_device, "Drafts") == []
    assert not Draft.objects.filter(pk=draft.pk).exists()
    original.refresh_from_db()
    assert original.is_answered
    folder = original.folder
    mail_tasks.apply_flags(folder.pk, [original.uid], folder.uidvalidity, ["\\Answered"], [])
    other_device.select_folder("INBOX", readonly=True)
    assert b"\\Answered" in other_device.get_flags([original.uid])[original.uid]


def test_a_forward_carries_the_attachments_and_marks_the_original_forwarded(
    alice_client, imap_sender, original, smtp
):
    response = alice_client.get(reverse("compose:from_message", args=[original.pk, "forward"]))
    draft = Draft.objects.get(pk=int(response.url.strip("/").split("/")[-1]))
    assert draft.subject == "Fwd: Re: Lunch on Friday" and draft.to == ""
    assert [a.filename for a in draft.attachments.all()] == ["menu.txt"]
    alice_client.post(
        reverse("compose:edit", args=[draft.pk]),
        {**fields(draft, to="erin@example.net"), "action": "send"},
    )
    engine.deliver(OutboxMessage.objects.get(user=imap_sender.user).pk)

    message = smtp.messages[0].parsed()
    [attachment] = message.iter_attachments()
    assert attachment.get_filename() == "menu.txt"
    assert attachment.get_content().strip() == "Soup of the day"
    assert "Forwarded message" in message.get_body(("plain",)).get_content()
    services.follow_up(draft.pk)
    original.refresh_from_db()
    assert "$Forwarded" in original.keywords


def test_undo_returns_the_message_to_the_editor_with_everything_intact(
    alice_client, alice, imap_sender, smtp
):
    from webmail.models.preferences import Preferences

    Preferences.objects.create(user=alice, undo_send_seconds=20)
    draft = new_draft(alice_client)
    values = fields(draft, to="bob@example.net", bcc="carol@example.net", subject="Oops")
    alice_client.post(reverse("compose:edit", args=[draft.pk]), {**values, "action": "send"})
    outbox = OutboxMessage.objects.get(user=alice)
    assert (outbox.send_after - outbox.created_at).total_seconds() >= 19
    page = alice_client.get(reverse("compose:sent", args=[draft.pk])).content.decode()
    assert "Sent" in page and "Undo" in page

    response = alice_client.post(reverse("compose:undo", args=[draft.pk]))

    assert response.url == reverse("compose:edit", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.state == DraftState.EDITING
    assert (draft.to, draft.bcc, draft.subject) == ("bob@example.net", "carol@example.net", "Oops")
    assert OutboxMessage.objects.get(pk=outbox.pk).state == State.CANCELLED
    engine.deliver(outbox.pk)
    assert smtp.messages == []


def test_a_scheduled_message_waits_and_can_be_rescheduled_from_the_outbox(
    alice_client, alice, imap_sender
):
    draft = new_draft(alice_client)
    values = {**fields(draft, to="bob@example.net"), "action": "schedule",
              "send_at": "2099-01-02T09:30"}  # fmt: skip
    response = alice_client.post(reverse("compose:edit", args=[draft.pk]), values)
    assert response.url == reverse("outbox:list")
    outbox = OutboxMessage.objects.get(user=alice)
    assert outbox.is_scheduled and outbox.send_at.year == 2099

    later = {"send_at": "2099-03-04T08:00"}
    alice_client.post(reverse("outbox:reschedule", args=[outbox.pk]), later)
    outbox.refresh_from_db()
    assert (outbox.send_at.month, outbox.send_at.day) == (3, 4)

    alice_client.post(reverse("compose:edit_outbox", args=[outbox.pk]))
    draft.refresh_from_db()
    assert draft.state == DraftState.EDITING
    assert OutboxMessage.objects.get(pk=outbox.pk).state == State.CANCELLED


def test_a_time_in_the_past_is_refused_and_the_draft_kept(alice_client, alice, imap_sender):
    draft = new_draft(alice_client)
    values = {**fields(draft, to="bob@example.net", subject="Later"), "action": "schedule",
              "send_at": "2001-01-01T09:30"}  # fmt: skip
    response = alice_client.post(reverse("compose:edit", args=[draft.pk]), values, follow=True)
    assert "Choose a time in the future." in response.content.decode()
    assert not OutboxMessage.objects.filter(user=alice).exists()
    draft.refresh_from_db()
    assert draft.subject == "Later"


def test_a_pop3_account_keeps_its_drafts_locally(alice_client, sender):
    draft = new_draft(alice_client)
    alice_client.post(reverse("compose:autosave", args=[draft.pk]), fields(draft, subject="Here"))
    assert compose_tasks.mirror_draft(draft.pk) is False
    page = alice_client.get(reverse("compose:drafts")).content.decode()
    assert "Here" in page


def test_a_draft_from_the_drafts_folder_reopens_and_replaces_itself(
    alice_client, imap_sender, dovecot, mail_user, other_device
):
    raw = (b"From: Alice <" + imap_sender.email.encode() + b">\r\nTo: bob@example.net\r\n"
           b"Bcc: carol@example.net\r\nSubject: Half written\r\nMessage-ID: <d1@example.org>\r\n"
           b"\r\nSo far so good\r\n")  # fmt: skip
    dovecot.deliver(mail_user, raw, folder="Drafts", flags=["\\Draft"])
    from webmail.engine import account_sync

    account_sync.sync_account(imap_sender)
    message = Message.objects.get(subject="Half written")
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert "Continue editing" in page

    response = alice_client.get(reverse("compose:from_message", args=[message.pk, "continue"]))
    draft = Draft.objects.get(pk=int(response.url.strip("/").split("/")[-1]))
    assert (draft.to, draft.bcc, draft.body_text.strip()) == (
        "bob@example.net", "carol@example.net", "So far so good")  # fmt: skip
    alice_client.post(
        reverse("compose:autosave", args=[draft.pk]), fields(draft, subject="Now finished")
    )
    compose_tasks.mirror_draft(draft.pk)
    assert [m["Subject"] for m in folder_messages(other_device, "Drafts")] == ["Now finished"]


def test_deleting_a_draft_removes_its_copy_from_drafts(
    alice_client, imap_sender, other_device, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(compose_tasks.delete_draft_copy, "delay", compose_tasks.delete_draft_copy)
    draft = new_draft(alice_client)
    alice_client.post(reverse("compose:autosave", args=[draft.pk]), fields(draft, subject="Bin"))
    compose_tasks.mirror_draft(draft.pk)
    assert len(folder_messages(other_device, "Drafts")) == 1

    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(reverse("compose:discard", args=[draft.pk]))

    assert folder_messages(other_device, "Drafts") == []
    assert not Draft.objects.filter(pk=draft.pk).exists()


def test_a_message_cancelled_from_the_outbox_comes_back_to_the_drafts(alice_client, imap_sender):
    from datetime import timedelta

    from django.utils import timezone

    draft = new_draft(alice_client)
    draft.to, draft.subject = "bob@example.net", "Next week"
    draft.save()
    outbox = services.send_draft(draft, send_at=timezone.now() + timedelta(days=7))

    alice_client.post(reverse("outbox:cancel", args=[outbox.pk]))
    page = alice_client.get(reverse("compose:drafts")).content.decode()

    assert "Next week" in page
    draft.refresh_from_db()
    assert draft.state == DraftState.EDITING and draft.outbox is None


def test_undo_once_the_message_has_gone_says_so(alice_client, imap_sender, smtp):
    draft = new_draft(alice_client)
    values = {**fields(draft, to="bob@example.net", subject="Gone"), "action": "send"}
    alice_client.post(reverse("compose:edit", args=[draft.pk]), values)
    engine.deliver(OutboxMessage.objects.get(user=imap_sender.user).pk)

    response = alice_client.post(reverse("compose:undo", args=[draft.pk]), follow=True)

    assert "Too late: the message has already gone." in response.content.decode()
    assert len(smtp.messages) == 1


def test_a_message_the_server_refuses_becomes_a_draft_again(alice_client, imap_sender, smtp):
    smtp.refuse_recipient("nobody@example.net", 550, "5.1.1 No such user")
    draft = new_draft(alice_client)
    values = {**fields(draft, to="nobody@example.net", subject="Bounce"), "action": "send"}
    alice_client.post(reverse("compose:edit", args=[draft.pk]), values)
    outbox = OutboxMessage.objects.get(user=imap_sender.user)
    engine.deliver(outbox.pk)
    assert OutboxMessage.objects.get(pk=outbox.pk).state == State.FAILED

    assert services.follow_up(draft.pk) == "back"

    draft.refresh_from_db()
    assert draft.state == DraftState.EDITING and draft.subject == "Bounce"


def test_a_sent_reply_joins_its_original_in_the_conversation_view(
    alice_client, imap_sender, original, smtp
):
    from webmail.engine import account_sync

    response = alice_client.get(reverse("compose:from_message", args=[original.pk, "reply"]))
    draft = Draft.objects.get(pk=int(response.url.strip("/").split("/")[-1]))
    values = {**fields(draft, body_html="<p>Noon it is.</p>" + draft.body_html), "action": "send"}
    alice_client.post(reverse("compose:edit", args=[draft.pk]), values)
    engine.deliver(OutboxMessage.objects.get(user=imap_sender.user).pk)  # and files it in Sent
    account_sync.sync_account(imap_sender)

    reply = Message.objects.get(folder__special_use="sent", subject="Re: Lunch on Friday")
    original.refresh_from_db()
    assert reply.thread_id == original.thread_id is not None
    page = alice_client.get(reverse("webmail:conversation", args=[original.thread_id]))
    assert page.content.decode().count('class="conversation__item"') == 2


def test_beat_settles_drafts_whose_follow_up_was_lost(alice_client, imap_sender):
    from datetime import timedelta

    from django.utils import timezone

    draft = new_draft(alice_client)
    draft.to, draft.subject = "bob@example.net", "Lost follow-up"
    draft.save()
    outbox = services.send_draft(draft, send_at=timezone.now() + timedelta(days=7))
    OutboxMessage.objects.filter(pk=outbox.pk).update(state=State.CANCELLED)  # nobody looked

    compose_tasks.settle_all_drafts()

    draft.refresh_from_db()
    assert draft.state == DraftState.EDITING and draft.outbox is None


def test_a_version_left_behind_in_drafts_goes_with_the_next_save(
    alice_client, imap_sender, other_device
):
    from webmail.compose.building import draft_copy

    draft = new_draft(alice_client)
    url = reverse("compose:autosave", args=[draft.pk])
    alice_client.post(url, fields(draft, to="bob@example.net", subject="Left behind"))
    draft.refresh_from_db()
    # An earlier version whose UID was never learnt (no APPENDUID, or a cut connection).
    other_device.append("Drafts", draft_copy(draft), flags=["\\Draft"])
    alice_client.post(url, fields(draft, to="bob@example.net", subject="Latest"))
    compose_tasks.mirror_draft(draft.pk)

    assert [m["Subject"] for m in folder_messages(other_device, "Drafts")] == ["Latest"]
