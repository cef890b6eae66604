"""Adding, editing and removing mail accounts, against real Dovecot, SMTP and DNS."""

import pytest
import redis
from django.urls import reverse

from webmail.models import Folder, MailAccount, Message

pytestmark = pytest.mark.django_db(transaction=True)


def start(client, user, password):
    return client.post(
        reverse("webmail:account_add"),
        {"display_name": "Alice", "email": user.address, "password": password},
    )


def manual_settings(dovecot, smtp, user, **overrides):
    return {
        "protocol": "imap",
        "incoming_host": "localhost",
        "incoming_port": dovecot.imaps_port,
        "incoming_security": "tls",
        "incoming_username": user.address,
        "smtp_host": "localhost",
        "smtp_port": smtp.smtps_port,
        "smtp_security": "tls",
        "smtp_username": user.address,
        **overrides,
    }


@pytest.fixture
def sync_queue(settings):
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(settings.CELERY_SYNC_QUEUE)
    yield lambda: broker.llen(settings.CELERY_SYNC_QUEUE)
    broker.delete(settings.CELERY_SYNC_QUEUE)


def test_an_address_and_password_are_enough_to_connect_an_account(
    alice_client, alice, mail_servers, dovecot, sync_queue
):
    response = start(alice_client, mail_servers, mail_servers.password)
    assert response.status_code == 302 and response.url == reverse("webmail:home")
    account = MailAccount.objects.get(user=alice)
    assert account.incoming_settings().password == mail_servers.password
    assert (account.incoming_port, account.incoming_security) == (dovecot.imaps_port, "tls")
    assert sync_queue() == 1  # the first sync is queued once the account is saved


def test_a_wrong_password_is_explained_and_nothing_is_saved(alice_client, mail_servers):
    response = start(alice_client, mail_servers, "wrong password")
    assert response.url == reverse("webmail:account_add_settings")
    page = alice_client.get(response.url).content.decode()
    assert "The server refused this user name and password." in page
    assert not MailAccount.objects.exists()


def test_the_password_is_never_sent_back_to_the_browser(alice_client, mail_servers):
    start(alice_client, mail_servers, "wrong-but-secret")
    page = alice_client.get(reverse("webmail:account_add_settings")).content.decode()
    assert "wrong-but-secret" not in page


def test_settings_can_be_corrected_by_hand(alice_client, mail_servers, dovecot, smtp):
    start(alice_client, mail_servers, "wrong password")
    response = alice_client.post(
        reverse("webmail:account_add_settings"),
        manual_settings(dovecot, smtp, mail_servers, password=mail_servers.password),
    )
    assert response.status_code == 302
    assert MailAccount.objects.filter(email=mail_servers.address).exists()


def test_pop3_is_offered_when_the_server_has_both(alice_client, mail_servers, dovecot):
    start(alice_client, mail_servers, "wrong password")
    proposal = alice_client.session["pending_mail_account"]["proposal"]
    unchanged_but_pop3 = {
        key: value for key, value in proposal.items() if key != "pop3_alternative"
    } | {"protocol": "pop3", "password": mail_servers.password}
    response = alice_client.post(reverse("webmail:account_add_settings"), unchanged_but_pop3)
    assert response.status_code == 302
    account = MailAccount.objects.get()
    assert (account.protocol, account.incoming_port) == ("pop3", dovecot.pop3s_port)


def test_a_wrong_port_says_the_connection_was_refused(alice_client, mail_servers, dovecot, smtp):
    from tests.harness.ports import free_port

    start(alice_client, mail_servers, "wrong password")
    response = alice_client.post(
        reverse("webmail:account_add_settings"),
        manual_settings(
            dovecot, smtp, mail_servers, incoming_port=free_port(), password=mail_servers.password
        ),
    )
    assert "The server refused the connection." in response.content.decode()


def test_an_untrusted_certificate_can_be_pinned_after_confirmation(
    alice_client, mail_servers, dovecot, smtp, certs
):
    bad = dovecot.start_tls_variant(certs.self_signed_cert, certs.self_signed_key)
    start(alice_client, mail_servers, "wrong password")
    data = manual_settings(
        dovecot, smtp, mail_servers, incoming_port=bad.imaps_port, password=mail_servers.password
    )
    refused = alice_client.post(reverse("webmail:account_add_settings"), data)
    assert "not signed by a known authority" in refused.content.decode()
    assert "SHA-256" in refused.content.decode()

    trusted = alice_client.post(
        reverse("webmail:account_add_settings"), {**data, "trust_incoming_certificate": "on"}
    )
    assert trusted.status_code == 302
    assert MailAccount.objects.get().incoming_pinned_certificate.startswith("-----BEGIN")


def test_plain_text_connections_need_the_administrators_permission(
    alice_client, mail_servers, dovecot, smtp, settings
):
    settings.ALLOW_INSECURE_MAIL_CONNECTIONS = False
    start(alice_client, mail_servers, "wrong password")
    response = alice_client.post(
        reverse("webmail:account_add_settings"),
        manual_settings(
            dovecot, smtp, mail_servers, incoming_port=dovecot.imap_port,
            incoming_security="plain", allow_insecure="on", password=mail_servers.password,
        ),
    )  # fmt: skip
    assert "does not allow unencrypted connections" in response.content.decode()
    assert not MailAccount.objects.exists()


def test_a_blocked_server_cannot_be_added(alice_client, mail_servers, dovecot, smtp, settings):
    settings.MAIL_HOSTS_BLOCKED = ["localhost"]
    start(alice_client, mail_servers, "wrong password")
    response = alice_client.post(
        reverse("webmail:account_add_settings"),
        manual_settings(dovecot, smtp, mail_servers, password=mail_servers.password),
    )
    assert "The administrator does not allow connections to this server." in (
        response.content.decode()
    )


def test_removing_an_account_removes_its_cached_mail(alice_client, alice):
    account = MailAccount.objects.create(
        user=alice, email="old@example.org", incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username="old", smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    folder = Folder.objects.create(account=account, name="INBOX")
    Message.objects.create(account=account, folder=folder, uid=1, internal_date="2026-01-01T00:00Z")
    alice_client.post(reverse("webmail:account_delete", args=[account.pk]))
    assert not MailAccount.objects.exists() and not Message.objects.exists()


@pytest.mark.parametrize("view", ["webmail:account_edit", "webmail:account_delete"])
def test_nobody_reaches_another_persons_account(client, bob, alice, view):
    account = MailAccount.objects.create(
        user=alice, email="a@example.org", incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username="a", smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    client.force_login(bob)
    assert client.get(reverse(view, args=[account.pk])).status_code == 404
    assert client.post(reverse(view, args=[account.pk])).status_code == 404
    assert MailAccount.objects.filter(pk=account.pk).exists()
