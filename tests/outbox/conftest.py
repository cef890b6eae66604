"""Outbox fixtures: accounts that send through the SMTP fixture, and messages to send."""

import pytest

from tests.harness.certs import SERVER_HOSTNAME
from webmail.mail.compose import Mailbox, build_message
from webmail.models import MailAccount
from webmail.outbox import services
from webmail.outbox.models import OutboxMessage

SMTP_USER = "sender@courriel.test"
SMTP_PASSWORD = "smtp password 1234"
BOB = "bob@example.net"
CAROL = "carol@example.net"
DAVE = "dave@example.net"


def smtp_port(smtp, security: str) -> int:
    return {"tls": smtp.smtps_port, "starttls": smtp.submission_port, "plain": smtp.plain_port}[
        security
    ]


@pytest.fixture(autouse=True)
def outbox_settings(settings, tmp_path):
    settings.MAIL_TIMEOUT = 5
    settings.MEDIA_ROOT = str(tmp_path / "media")  # POP3 accounts keep Sent copies here
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.CELERY_TASK_ALWAYS_EAGER = False


@pytest.fixture
def sender(alice, smtp, mail_ca):
    """alice's account sending through the SMTP fixture (implicit TLS). Its incoming
    side is POP3, so no Sent copy is attempted: tests of the copy use imap_sender."""
    smtp.add_user(SMTP_USER, SMTP_PASSWORD)
    account = MailAccount(
        user=alice,
        email="alice@courriel.test",
        protocol="pop3",
        incoming_host=SERVER_HOSTNAME,
        incoming_port=995,
        incoming_security="tls",
        incoming_username=SMTP_USER,
        smtp_host=SERVER_HOSTNAME,
        smtp_port=smtp.smtps_port,
        smtp_security="tls",
    )
    account.set_incoming_password(SMTP_PASSWORD)
    account.save()
    return account


def point_at(
    account: MailAccount, port: int, security: str = "plain", host: str = "127.0.0.1"
) -> None:
    account.smtp_host, account.smtp_port, account.smtp_security = host, port, security
    account.save()


def raw_message(account: MailAccount, subject: str = "Hello", to=(BOB,), size: int = 0) -> bytes:
    text = "Hello.\n" + ("x" * 70 + "\n") * (size // 71)
    return build_message(
        sender=Mailbox(account.email, "Alice"),
        to=[Mailbox(address) for address in to],
        subject=subject,
        text=text,
    )


def queue(account: MailAccount, subject: str = "Hello", to=(BOB,), **options) -> OutboxMessage:
    raw = raw_message(account, subject, to)
    return services.queue_message(account, raw, recipients=list(to), **options)


def reload(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


def make_due(*messages: OutboxMessage) -> None:
    """Skip the backoff wait, as if its time had come."""
    from django.utils import timezone

    pks = [message.pk for message in messages]
    OutboxMessage.objects.filter(pk__in=pks).update(next_attempt_at=timezone.now())


def received_ids(smtp) -> list[str]:
    return [message.parsed()["Message-ID"] for message in smtp.messages]
