"""Compose fixtures: alice's Dovecot account sending through the SMTP fixture, and a
message in her INBOX to answer."""

import pytest

from tests.outbox.conftest import outbox_settings, sender  # noqa: F401
from webmail.engine import account_sync
from webmail.models import MailAccount, Message
from webmail.raw_store import store_raw

ORIGINAL = (
    b"From: Bob <bob@example.net>\r\n"
    b"To: Alice <{me}>, Carol <carol@example.net>\r\n"
    b"Cc: dave@example.net\r\n"
    b"Subject: Re: Lunch on Friday\r\n"
    b"Message-ID: <lunch-2@example.net>\r\n"
    b"References: <lunch-1@example.net>\r\n"
    b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p onclick="steal()">Shall we meet <b>at noon</b>?</p><script>alert(1)</script>'
    b'<img src="https://tracker.example/p.gif">\r\n'
    b"--b\r\nContent-Type: text/plain; name=menu.txt\r\n"
    b"Content-Disposition: attachment; filename=menu.txt\r\n\r\nSoup of the day\r\n"
    b"--b--\r\n"
)


@pytest.fixture(autouse=True)
def no_undo_delay_by_default(settings):
    """The site's default undo delay is 5 s; these tests send at once unless they
    choose a delay as the person would (Preferences.undo_send_seconds)."""
    settings.UNDO_SEND_SECONDS = 0


@pytest.fixture
def imap_sender(account, smtp, mail_user, media):
    """The Dovecot account of the `account` fixture, sending through the SMTP fixture."""
    smtp.add_user(mail_user.name, mail_user.password)
    account.smtp_port = smtp.smtps_port
    account.display_name = "Alice"
    account.save()
    account_sync.sync_account(account)
    return account


@pytest.fixture
def original(imap_sender, dovecot, mail_user) -> Message:
    """Bob's message in alice's INBOX, synced into the index."""
    dovecot.deliver(mail_user, ORIGINAL.replace(b"{me}", imap_sender.email.encode()))
    account_sync.sync_account(imap_sender)
    return Message.objects.get(account=imap_sender, message_id="<lunch-2@example.net>")


def local_message(account: MailAccount, raw: bytes, folder_name="INBOX") -> Message:
    """A message in the index whose raw bytes are already stored (no server needed)."""
    folder, _ = account.folders.get_or_create(name=folder_name, defaults={"special_use": "inbox"})
    return Message.objects.create(
        account=account, folder=folder, uid=Message.objects.filter(folder=folder).count() + 1,
        internal_date="2026-11-01T10:00Z", raw_sha256=store_raw(raw), body_state="indexed",
        message_id="<lunch-2@example.net>", from_email="bob@example.net",
    )  # fmt: skip
