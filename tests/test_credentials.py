"""Mail passwords are encrypted at rest, rotatable, and never shown back."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from webmail import credentials
from webmail.models import MailAccount

pytestmark = pytest.mark.django_db
SECRET = "hunter2-but-longer"


def make_account(user) -> MailAccount:
    account = MailAccount(
        user=user,
        email="alice@courriel.test",
        incoming_host="imap.courriel.test",
        incoming_port=993,
        incoming_security="tls",
        incoming_username="alice",
        smtp_host="smtp.courriel.test",
        smtp_port=465,
        smtp_security="tls",
    )
    account.set_incoming_password(SECRET)
    account.save()
    return account


def test_the_database_never_holds_the_password_in_clear(alice):
    make_account(alice)
    stored = MailAccount.objects.values_list("incoming_password", flat=True).get()
    assert SECRET not in stored
    assert credentials.decrypt(stored) == SECRET


def test_the_smtp_login_defaults_to_the_incoming_one(alice):
    settings = make_account(alice).smtp_settings()
    assert (settings.username, settings.password) == ("alice", SECRET)


def test_server_settings_never_show_the_password(alice):
    assert SECRET not in repr(make_account(alice).incoming_settings())


def test_keys_rotate_without_losing_a_password(alice, settings):
    old, new = settings.CREDENTIALS_KEYS[0], Fernet.generate_key().decode()
    make_account(alice)
    settings.CREDENTIALS_KEYS = [new, old]
    call_command("rotate_credentials", stdout=None)
    settings.CREDENTIALS_KEYS = [new]
    assert MailAccount.objects.get().incoming_settings().password == SECRET


def test_a_secret_no_key_opens_is_reported_not_garbled(alice, settings):
    make_account(alice)
    settings.CREDENTIALS_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(credentials.CredentialsUnreadable):
        MailAccount.objects.get().incoming_settings()
