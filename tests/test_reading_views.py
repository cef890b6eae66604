"""Reading a message: owner only, safe headers, fetched once from the server."""

from pathlib import Path

import pytest
from django.core import signing
from django.urls import reverse

from webmail import tasks
from webmail.engine import account_sync
from webmail.models import Folder, MailAccount, Message
from webmail.raw_store import store_raw
from webmail.services.rendering import MAX_REMOTE_IMAGES, image_proxy_url

pytestmark = pytest.mark.django_db
CORPUS = Path(__file__).resolve().parent / "fixtures" / "eml"
HOSTILE = (
    b"From: Mallory <mallory@evil.example>\r\nSubject: Hostile\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<p>Hi</p><script>parent.document.title='pwned'</script>"
    b'<img src="https://tracker.example/pixel.gif">'
)


def stored(user, raw: bytes, account: MailAccount | None = None, **fields) -> Message:
    """A message of ``user``'s (in ``account``'s INBOX, else their own account's)."""
    account = account or MailAccount.objects.get_or_create(
        user=user, email=f"{user.email}",
        defaults={"incoming_host": "imap.example.org", "incoming_port": 993,
                  "incoming_security": "tls", "incoming_username": "x",
                  "smtp_host": "smtp.example.org", "smtp_port": 465, "smtp_security": "tls"},
    )[0]  # fmt: skip
    folder, _ = Folder.objects.get_or_create(account=account, name="INBOX", special_use="inbox")
    return Message.objects.create(
        account=account, folder=folder, uid=Message.objects.count() + 1,
        internal_date="2026-11-01T10:00Z", raw_sha256=store_raw(raw), body_state="indexed",
        from_email="mallory@evil.example", **fields,
    )  # fmt: skip


VIEWS = ["message", "message_body", "message_print", "message_raw", "message_source"]


@pytest.mark.parametrize("view", VIEWS)
def test_the_owner_reads_and_a_stranger_gets_404(client, alice, bob, media, view):
    message = stored(alice, HOSTILE)
    client.force_login(alice)
    assert client.get(reverse(f"webmail:{view}", args=[message.pk])).status_code == 200
    client.force_login(bob)
    assert client.get(reverse(f"webmail:{view}", args=[message.pk])).status_code == 404


def test_a_strangers_attachment_is_out_of_reach(client, alice, bob, media):
    message = stored(alice, (CORPUS / "attachment-names.eml").read_bytes())
    client.force_login(bob)
    assert client.get(reverse("webmail:message_part", args=[message.pk, 1])).status_code == 404


def test_a_tampered_image_proxy_url_is_refused(client, alice):
    url = image_proxy_url(alice.pk, "https://example.org/a.png")
    assert client.get(url[:-3] + "abc").status_code == 404


def test_inline_part_urls_cannot_be_forged_for_another_message(client, alice, media):
    message = stored(alice, HOSTILE)
    forged = signing.dumps([message.pk, "logo"], salt="not-the-real-salt", compress=True)
    assert client.get(reverse("webmail:message_cid", args=[forged])).status_code == 404


def test_the_body_is_sanitized_and_served_under_a_sandboxing_csp(alice_client, alice, media):
    message = stored(alice, HOSTILE)
    response = alice_client.get(reverse("webmail:message_body", args=[message.pk]))
    body = response.content.decode()
    assert "<script" not in body and "tracker.example" not in body
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_the_body_is_sandboxed_same_origin_without_scripts_even_opened_alone(
    alice_client, alice, media
):
    # Same-origin so that the message page can measure it; never allow-scripts
    # with it (together they would lift the sandbox).
    message = stored(alice, HOSTILE)
    response = alice_client.get(reverse("webmail:message_body", args=[message.pk]))
    directives = [
        directive.split() for directive in response.headers["Content-Security-Policy"].split(";")
    ]
    sandbox = [directive[1:] for directive in directives if directive[0] == "sandbox"]
    assert sandbox == [["allow-same-origin", "allow-popups", "allow-popups-to-escape-sandbox"]]
    assert "allow-scripts" not in response.headers["Content-Security-Policy"]
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert 'sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"' in page
    assert "allow-scripts" not in page


def test_the_page_offers_to_show_blocked_images(alice_client, alice, media):
    message = stored(alice, HOSTILE)
    page = alice_client.get(reverse("webmail:message", args=[message.pk])).content.decode()
    assert "Remote images are blocked" in page


def test_always_showing_a_senders_images(alice_client, alice, media):
    message = stored(alice, HOSTILE)
    alice_client.post(reverse("webmail:trust_sender", args=[message.pk]))
    body = alice_client.get(reverse("webmail:message_body", args=[message.pk])).content.decode()
    assert "/image-proxy/?u=" in body


def test_shown_remote_images_are_capped_per_message(alice_client, alice, media):
    images = "".join(f'<img src="https://example.org/{n}.png">' for n in range(250))
    raw = f"From: a@example.org\r\nContent-Type: text/html\r\n\r\n<p>{images}</p>".encode()
    message = stored(alice, raw)
    url = reverse("webmail:message_body", args=[message.pk]) + "?images=1"
    body = alice_client.get(url).content.decode()
    assert body.count("/image-proxy/?u=") == MAX_REMOTE_IMAGES


def test_attachments_download_with_safe_headers(alice_client, alice, media):
    message = stored(alice, (CORPUS / "attachment-names.eml").read_bytes())
    response = alice_client.get(reverse("webmail:message_part", args=[message.pk, 1]))
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "/" not in disposition.split("filename", 1)[1].replace("utf-8''", "")
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.content == b"hello"


def test_an_html_attachment_is_never_served_as_html(alice_client, alice, media):
    message = stored(alice, (CORPUS / "attachment-names.eml").read_bytes())
    response = alice_client.get(
        reverse("webmail:message_part", args=[message.pk, 2]), {"preview": "1"}
    )
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert "\u202e" not in response.headers["Content-Disposition"]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.stem)
def test_every_corpus_message_opens_without_a_server_error(alice_client, alice, media, path):
    message = stored(alice, path.read_bytes())
    assert alice_client.get(reverse("webmail:message", args=[message.pk])).status_code == 200
    body = alice_client.get(reverse("webmail:message_body", args=[message.pk]))
    assert body.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_opening_fetches_the_body_once_and_marks_it_read_everywhere(
    client, alice, account, dovecot, mail_user, other_device, media
):
    dovecot.deliver(mail_user, b"From: a@example.org\r\nSubject: Fresh\r\n\r\nHello there\r\n")
    account_sync.sync_account(account)
    message = Message.objects.get(subject="Fresh")
    client.force_login(alice)
    page = client.get(reverse("webmail:message", args=[message.pk]))
    assert page.status_code == 200
    message.refresh_from_db()
    assert message.is_seen and message.raw_sha256 and message.body_text == "Hello there"
    folder = message.folder
    tasks.apply_flags(folder.pk, [message.uid], folder.uidvalidity, ["\\Seen"], [])
    other_device.select_folder("INBOX", readonly=True)
    assert b"\\Seen" in other_device.get_flags([message.uid])[message.uid]
