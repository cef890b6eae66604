"""The compose pages: owner only, identities and signatures, attachments within limits,
address suggestions from the person's own mail."""

import email.policy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.compose.conftest import ORIGINAL, local_message
from webmail.compose import limits, tasks
from webmail.compose.models import Draft, Identity
from webmail.compose.starting import new_draft, reply_draft
from webmail.models import MailAccount, Message
from webmail.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def make_account(user, email=None, **extra) -> MailAccount:
    return MailAccount.objects.create(
        user=user, email=email or user.email, incoming_host="imap.example.org",
        incoming_port=993, incoming_security="tls", incoming_username="x",
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls", **extra,
    )  # fmt: skip


@pytest.fixture
def alice_account(alice, media):
    return make_account(alice, display_name="Alice", protocol="pop3")


@pytest.fixture
def alice_draft(alice, alice_account) -> Draft:
    return new_draft(alice, alice_account, to="bob@example.net", subject="Private plans")


@pytest.fixture
def bob_client(client, bob):
    client.force_login(bob)
    return client


def form(draft: Draft, **changes) -> dict:
    values = {"sender": f"account-{draft.account_id}", "to": draft.to, "cc": "", "bcc": "",
              "subject": draft.subject, "format": "plain", "body_text": draft.body_text,
              "body_html": ""}  # fmt: skip
    return {**values, **changes}


@pytest.mark.parametrize("name", ["compose:new", "compose:drafts", "compose:identities",
                                  "compose:addresses"])  # fmt: skip
def test_every_page_needs_a_signed_in_person(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "login" in response.url


@pytest.mark.parametrize(
    ("name", "method"),
    [("compose:edit", "get"), ("compose:edit", "post"), ("compose:autosave", "post"),
     ("compose:sent", "get"), ("compose:undo", "post"), ("compose:discard", "post")],
)  # fmt: skip
def test_a_stranger_gets_404_for_alices_draft(bob_client, bob, alice_draft, name, method):
    make_account(bob)
    response = getattr(bob_client, method)(reverse(name, args=[alice_draft.pk]), form(alice_draft))
    assert response.status_code == 404
    alice_draft.refresh_from_db()
    assert alice_draft.subject == "Private plans"


@pytest.mark.parametrize("how", ["reply", "reply_all", "forward", "forward_attached",
                                 "edit_as_new", "continue"])  # fmt: skip
def test_a_stranger_cannot_answer_alices_message(bob_client, alice_account, how):
    message = local_message(alice_account, ORIGINAL)
    response = bob_client.get(reverse("compose:from_message", args=[message.pk, how]))
    assert response.status_code == 404
    assert not Draft.objects.exists()


def test_a_stranger_cannot_send_from_alices_account_or_identity(bob_client, bob, alice_account):
    identity = Identity.objects.create(account=alice_account, email="ceo@example.org")
    draft = new_draft(bob, make_account(bob))
    for sender in (f"identity-{identity.pk}", f"account-{alice_account.pk}"):
        response = bob_client.post(
            reverse("compose:autosave", args=[draft.pk]), form(draft, sender=sender)
        )
        assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.account.user == bob and draft.identity is None


def test_a_stranger_cannot_touch_alices_identities(bob_client, alice_account):
    identity = Identity.objects.create(account=alice_account, email="ceo@example.org")
    assert bob_client.get(reverse("compose:identity_edit", args=[identity.pk])).status_code == 404
    response = bob_client.post(reverse("compose:identity_delete", args=[identity.pk]))
    assert response.status_code == 404
    assert Identity.objects.filter(pk=identity.pk).exists()
    assert "ceo@example.org" not in bob_client.get(reverse("compose:identities")).content.decode()


def test_a_stranger_cannot_add_an_identity_to_alices_account(bob_client, bob, alice_account):
    make_account(bob)
    bob_client.post(reverse("compose:identities"),
                    {"account": alice_account.pk, "email": "x@example.org"})  # fmt: skip
    assert not Identity.objects.exists()


def test_a_stranger_cannot_edit_alices_outbox_message(bob_client, alice, alice_draft):
    from webmail.compose.services import send_draft

    outbox = send_draft(alice_draft)
    response = bob_client.post(reverse("compose:edit_outbox", args=[outbox.pk]))
    assert response.status_code == 404
    assert OutboxMessage.objects.get(pk=outbox.pk).state == "queued"


def test_a_new_message_can_only_start_from_ones_own_account(bob_client, bob, alice_account):
    own = make_account(bob)
    response = bob_client.get(reverse("compose:new") + f"?account={alice_account.pk}")
    assert Draft.objects.get(pk=response.url.strip("/").split("/")[-1]).account == own


def test_without_an_account_the_person_is_sent_to_add_one(alice_client):
    assert alice_client.get(reverse("compose:new")).url == reverse("webmail:account_add")


def test_an_identity_gives_its_from_reply_to_and_signature(alice_client, alice, alice_account):
    alice_client.post(
        reverse("compose:identities"),
        {
            "account": alice_account.pk,
            "display_name": "Alice at work",
            "email": "al@work.example",
            "reply_to": "team@work.example",
            "signature": "Alice\nWork Inc.",
            "is_default": "on",
        },
    )
    identity = Identity.objects.get()
    draft = Draft.objects.get(pk=alice_client.get(reverse("compose:new")).url.split("/")[-2])
    assert draft.identity == identity
    assert "-- <br>Alice<br>Work Inc." in draft.body_html
    page = alice_client.get(reverse("compose:edit", args=[draft.pk])).content.decode()
    assert "Alice at work &lt;al@work.example&gt;" in page

    from webmail.compose.building import build_draft_message

    draft.to = "bob@example.net"
    raw = build_draft_message(draft)
    assert b"From: Alice at work <al@work.example>" in raw
    assert b"Reply-To: team@work.example" in raw


def test_the_signature_goes_above_the_quote_in_a_reply(alice, alice_account):
    Identity.objects.create(account=alice_account, email=alice_account.email,
                            signature="Cheers, Alice")  # fmt: skip
    message = local_message(alice_account, ORIGINAL.replace(b"{me}", alice.email.encode()))
    draft = reply_draft(alice, message, reply_all=False)
    html = draft.body_html
    assert html.index("Cheers, Alice") < html.index("<blockquote")
    assert "onclick" not in html and "<script" not in html and "tracker" not in html
    assert "at noon" in html


def test_the_compose_page_shows_a_stored_hostile_body_harmlessly(alice_client, alice_draft):
    Draft.objects.filter(pk=alice_draft.pk).update(
        format="html", body_html='<p>Hi</p><img src=x onerror="alert(1)"><script>alert(2)</script>'
    )
    page = alice_client.get(reverse("compose:edit", args=[alice_draft.pk])).content.decode()
    assert "onerror" not in page and "alert(2)" not in page
    assert 'id="compose-editor"' in page


def test_a_file_over_the_limit_is_refused_clearly_and_nothing_is_lost(
    alice_client, settings, alice_draft
):
    settings.ATTACHMENT_MAX_BYTES = 1000
    small = SimpleUploadedFile("notes.txt", b"x" * 400, content_type="text/plain")
    large = SimpleUploadedFile("film.mp4", b"x" * 2000, content_type="video/mp4")
    values = form(alice_draft, subject="With files", body_text="Everything I wrote")

    response = alice_client.post(
        reverse("compose:edit", args=[alice_draft.pk]),
        {**values, "action": "attach", "files": [small, large]},
        follow=True,
    )

    page = response.content.decode()
    assert "film.mp4" in page and "files may be at most 1000" in page
    alice_draft.refresh_from_db()
    assert (alice_draft.subject, alice_draft.body_text) == ("With files", "Everything I wrote")
    assert [a.filename for a in alice_draft.attachments.all()] == ["notes.txt"]
    assert "notes.txt" in page and "400" in page


def test_attachments_can_be_removed_before_sending(alice_client, alice_draft):
    upload = SimpleUploadedFile("a.txt", b"abc", content_type="text/plain")
    url = reverse("compose:edit", args=[alice_draft.pk])
    alice_client.post(url, {**form(alice_draft), "action": "attach", "files": [upload]})
    attachment = alice_draft.attachments.get()
    alice_client.post(url, {**form(alice_draft), "action": f"remove-{attachment.pk}"})
    assert not alice_draft.attachments.exists()


def test_a_message_over_the_servers_size_is_refused_and_kept(alice_client, alice_draft):
    limits.remember_smtp_size(alice_draft.account_id, 2000)
    values = form(alice_draft, body_text="y" * 5000)
    response = alice_client.post(reverse("compose:edit", args=[alice_draft.pk]),
                                 {**values, "action": "send"}, follow=True)  # fmt: skip
    assert "the outgoing server accepts at most" in response.content.decode()
    assert not OutboxMessage.objects.exists()
    alice_draft.refresh_from_db()
    assert alice_draft.body_text == "y" * 5000 and alice_draft.state == "editing"


def test_the_smtp_size_is_learnt_from_the_real_server(sender, smtp):
    assert tasks.learn_smtp_size(sender.pk) == smtp.size_limit
    assert limits.known_smtp_size(sender.pk) == smtp.size_limit


def test_invalid_recipients_are_refused_with_their_names(alice_client, alice_draft):
    values = form(alice_draft, to="bob@example.net, not-an-address")
    response = alice_client.post(reverse("compose:edit", args=[alice_draft.pk]),
                                 {**values, "action": "send"}, follow=True)  # fmt: skip
    assert "This is not a valid address: not-an-address" in response.content.decode()
    assert not OutboxMessage.objects.exists()


def test_suggestions_come_from_the_persons_own_mail_most_used_first(
    alice_client, alice, bob, alice_account
):
    folder = alice_account.folders.create(name="INBOX")
    for uid, (name, address) in enumerate(
        [("Carla", "carla@example.net"), ("Carl", "carl@example.net"), ("Carl", "carl@example.net")]
    ):
        Message.objects.create(account=alice_account, folder=folder, uid=uid + 1,
                               internal_date="2026-11-01T10:00Z", from_name=name,
                               from_email=address, to=[["Alice", alice.email]])  # fmt: skip
    bobs = make_account(bob)
    Message.objects.create(account=bobs, folder=bobs.folders.create(name="INBOX"), uid=1,
                           internal_date="2026-11-01T10:00Z", from_email="carlos@secret.example",
                           cc=[["Carmen", "carmen@secret.example"]])  # fmt: skip

    found = alice_client.get(reverse("compose:addresses"), {"q": "car"}).json()["addresses"]

    assert [item["address"] for item in found] == ["carl@example.net", "carla@example.net"]
    assert found[0]["name"] == "Carl"


def test_the_message_page_offers_reply_and_forward(alice_client, alice_account):
    message = local_message(alice_account, ORIGINAL)
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    for shortcut in ('data-shortcut="reply"', 'data-shortcut="reply_all"',
                     'data-shortcut="forward"'):  # fmt: skip
        assert shortcut in page
    assert "Continue editing" not in page


def test_forward_as_attachment_carries_the_whole_original(alice, alice_account):
    from webmail.compose.building import build_draft_message
    from webmail.compose.starting import forward_draft

    message = local_message(alice_account, ORIGINAL)
    draft = forward_draft(alice, message, as_attachment=True)
    [attachment] = draft.attachments.all()
    assert attachment.filename == "Re: Lunch on Friday.eml"
    assert bytes(attachment.content) == ORIGINAL
    draft.to = "erin@example.net"
    sent = email.message_from_bytes(build_draft_message(draft), policy=email.policy.default)
    [forwarded] = sent.iter_attachments()
    if ORIGINAL.isascii():  # a 7-bit original travels as a message readers can open
        assert forwarded.get_content_type() == "message/rfc822"
        assert forwarded.get_content()["Subject"] == "Re: Lunch on Friday"
    else:  # message/rfc822 cannot be base64: the original goes as an .eml file
        assert forwarded.get_content_type() == "application/octet-stream"
    assert forwarded.get_filename() == "Re: Lunch on Friday.eml"


def test_edit_as_new_copies_the_content_without_the_thread(alice, alice_account):
    from webmail.compose.starting import reopened_draft

    message = local_message(alice_account, ORIGINAL)
    draft = reopened_draft(alice, message, as_new=True)
    assert draft.subject == "Re: Lunch on Friday" and "at noon" in draft.body_html
    assert "onclick" not in draft.body_html and "<script" not in draft.body_html
    assert draft.in_reply_to == "" and draft.server_uid is None
    assert [a.filename for a in draft.attachments.all()] == ["menu.txt"]


def test_a_stranger_cannot_reschedule_alices_message(bob_client, alice_draft):
    from datetime import timedelta

    from django.utils import timezone

    from webmail.compose.services import send_draft

    when = timezone.now() + timedelta(days=2)
    outbox = send_draft(alice_draft, send_at=when)
    response = bob_client.post(reverse("outbox:reschedule", args=[outbox.pk]),
                               {"send_at": "2099-01-01T10:00"})  # fmt: skip
    assert response.status_code == 404
    assert OutboxMessage.objects.get(pk=outbox.pk).send_at == when


def test_the_undo_delay_is_the_persons_else_the_sites(alice, settings):
    from webmail.compose.services import undo_seconds_for
    from webmail.models import Preferences

    settings.UNDO_SEND_SECONDS = 10
    assert undo_seconds_for(alice) == {"undo_seconds": 10}
    Preferences.objects.create(user=alice, undo_send_seconds=0)
    alice.refresh_from_db()
    assert undo_seconds_for(alice) == {"undo_seconds": 0}


def test_a_rich_signature_is_cleaned_and_used_in_rich_messages(alice_client, alice, alice_account):
    alice_client.post(
        reverse("compose:identities"),
        {
            "account": alice_account.pk,
            "email": "al@work.example",
            "signature": "Alice, Work Inc.",
            "signature_html": '<p><b>Alice</b> — <a href="https://work.example" '
            'onclick="steal()">Work Inc.</a></p><script>alert(1)</script>'
            '<img src="https://tracker.example/p.gif">',
            "is_default": "on",
        },
    )
    identity = Identity.objects.get()
    assert "<b>Alice</b>" in identity.signature_html
    assert "onclick" not in identity.signature_html and "<script" not in identity.signature_html
    assert "tracker" not in identity.signature_html

    draft = Draft.objects.get(pk=alice_client.get(reverse("compose:new")).url.split("/")[-2])
    assert "<p>-- </p><p><b>Alice</b>" in draft.body_html  # rich mode: the rich one
    from webmail.compose.starting import signature_block

    block = signature_block(identity.signature, identity.signature_html)
    assert block["text"] == "-- \nAlice, Work Inc."  # plain mode: the plain one
