"""POP3 accounts on the Dovecot fixture, and Courriel's store in a temporary folder."""

import pytest

from tests.harness.certs import SERVER_HOSTNAME
from tests.harness.dovecot import MailUser
from tests.harness.ports import LOOPBACK
from webmail.mail.pop3 import check_pop3_login
from webmail.models import MailAccount, Message


@pytest.fixture(autouse=True)
def raw_storage(settings, tmp_path):
    """Raw messages go to a folder of this test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def pop3_user(dovecot):
    """A fresh maildrop, separate from ``mail_user`` (the IMAP account's)."""
    return dovecot.add_user()


def make_pop3_account(
    owner, user, port: int, security: str = "tls", host: str = SERVER_HOSTNAME
) -> MailAccount:
    account = MailAccount(
        user=owner,
        email=f"{user.name}@courriel.test",
        protocol="pop3",
        incoming_host=host,
        incoming_port=port,
        incoming_security=security,
        incoming_username=user.name,
        smtp_host=SERVER_HOSTNAME,
        smtp_port=465,
        smtp_security="tls",
    )
    account.set_incoming_password(user.password)
    account.save()
    return account


def scripted_account(owner, server) -> MailAccount:
    """An account on a tests.pop3.scripted_server (plain text on loopback)."""
    return make_pop3_account(owner, MailUser("scripted", "secret"), server.port, "plain", LOOPBACK)


@pytest.fixture
def pop3_account(alice, dovecot, pop3_user, mail_ca):
    """alice's POP3 account on the Dovecot fixture (implicit TLS, verified)."""
    return make_pop3_account(alice, pop3_user, dovecot.pop3s_port)


def waiting_on_server(account: MailAccount) -> int:
    return check_pop3_login(account.incoming_settings()).message_count


def stored_message_ids(account: MailAccount) -> list[str]:
    return sorted(Message.objects.filter(account=account).values_list("message_id", flat=True))
