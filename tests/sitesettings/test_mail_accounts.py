"""Site settings that decide which mail accounts can be added, against real Dovecot and SMTP."""

import pytest
from django.urls import reverse

from tests.sitesettings.conftest import make_preset, save_site_settings
from tests.test_mail_account_views import manual_settings as base_settings
from webmail.models import MailAccount

pytestmark = pytest.mark.django_db

ADD_SETTINGS = "webmail:account_add_settings"


def start(client, address, password):
    return client.post(
        reverse("webmail:account_add"),
        {"display_name": "Alice", "email": address, "password": password},
    )


def manual_settings(dovecot, smtp, user, **overrides):
    """The settings page's form, with the password typed (tests.test_mail_account_views)."""
    return base_settings(dovecot, smtp, user, **{"password": user.password, **overrides})


def plain_text(dovecot, smtp, user):
    """Both servers without any encryption, the person having said yes to it."""
    return manual_settings(
        dovecot, smtp, user,
        incoming_port=dovecot.imap_port, incoming_security="plain",
        smtp_port=smtp.plain_port, smtp_security="plain", allow_insecure="on",
    )  # fmt: skip


def test_forbidding_plain_text_refuses_such_an_account_with_a_clear_message(
    alice_client, mail_servers, dovecot, smtp, settings
):
    settings.ALLOW_INSECURE_MAIL_CONNECTIONS = True  # the saved record wins
    save_site_settings(allow_insecure_connections=False)
    start(alice_client, mail_servers.address, "wrong password")
    response = alice_client.post(reverse(ADD_SETTINGS), plain_text(dovecot, smtp, mail_servers))
    assert "This site does not allow unencrypted connections" in response.content.decode()
    assert not MailAccount.objects.exists()


def test_allowing_plain_text_lets_the_same_account_in(alice_client, mail_servers, dovecot, smtp):
    save_site_settings(allow_insecure_connections=True)
    start(alice_client, mail_servers.address, "wrong password")
    response = alice_client.post(reverse(ADD_SETTINGS), plain_text(dovecot, smtp, mail_servers))
    assert response.status_code == 302, response.content.decode()
    account = MailAccount.objects.get()
    assert (account.incoming_security, account.smtp_security) == ("plain", "plain")


@pytest.mark.parametrize(
    "rules",
    [
        {"mail_hosts_blocked": "localhost"},
        {"mail_hosts_blocked": "127.0.0.0/8"},
        {"mail_hosts_allowed": "*.example.org"},
    ],
)
def test_a_host_the_administrator_blocks_cannot_be_added(
    alice_client, mail_servers, dovecot, smtp, rules
):
    save_site_settings(**rules)
    start(alice_client, mail_servers.address, "wrong password")
    data = manual_settings(dovecot, smtp, mail_servers)
    if "127.0.0.0/8" in rules.values():
        data |= {"incoming_host": "127.0.0.1", "smtp_host": "127.0.0.1"}
    response = alice_client.post(reverse(ADD_SETTINGS), data)
    assert "The administrator does not allow connections to this server." in (
        response.content.decode()
    )
    assert not MailAccount.objects.exists()


def test_a_new_account_checks_for_mail_at_the_sites_default_interval(
    alice_client, mail_servers, dovecot, smtp
):
    save_site_settings(default_sync_interval=900, minimum_sync_interval=120)
    start(alice_client, mail_servers.address, "wrong password")
    alice_client.post(reverse(ADD_SETTINGS), manual_settings(dovecot, smtp, mail_servers))
    assert MailAccount.objects.get().sync_interval == 900


def test_an_interval_below_the_sites_minimum_is_refused(alice_client, mail_servers, dovecot, smtp):
    save_site_settings(default_sync_interval=900, minimum_sync_interval=600)
    start(alice_client, mail_servers.address, "wrong password")
    data = manual_settings(dovecot, smtp, mail_servers)
    refused = alice_client.post(reverse(ADD_SETTINGS), data | {"sync_interval_minutes": 5})
    assert "every 10 minutes at the most often" in refused.content.decode()
    assert not MailAccount.objects.exists()
    alice_client.post(reverse(ADD_SETTINGS), data | {"sync_interval_minutes": 30})
    assert MailAccount.objects.get().sync_interval == 30 * 60


# --- A site locked to one organisation's server ------------------------------------


@pytest.fixture
def locked_to_dovecot(mail_servers, dovecot, smtp):
    """The site only connects to the fixtures' servers, whatever the address says."""
    preset = make_preset(
        name="Our organisation", domains="",
        imap_host="localhost", imap_port=dovecot.imaps_port,
        smtp_host="localhost", smtp_port=smtp.smtps_port,
    )  # fmt: skip
    save_site_settings(locked_preset=preset)
    return preset


def test_on_a_locked_site_an_address_and_password_are_enough(
    alice_client, mail_servers, locked_to_dovecot, dovecot, smtp
):
    # A domain nobody can look up: only the lock can have found the servers.
    address = f"{mail_servers.name}@org.invalid"
    smtp.add_user(address, mail_servers.password)
    response = start(alice_client, address, mail_servers.password)
    assert response.status_code == 302 and response.url == reverse("webmail:home")
    account = MailAccount.objects.get()
    assert (account.incoming_host, account.incoming_port) == ("localhost", dovecot.imaps_port)


def test_on_a_locked_site_the_settings_page_hides_the_servers(
    alice_client, mail_servers, locked_to_dovecot
):
    start(alice_client, mail_servers.address, "wrong password")
    page = alice_client.get(reverse(ADD_SETTINGS)).content.decode()
    assert "This site connects to the mail servers of Our organisation" in page
    assert 'type="hidden" name="incoming_host"' in page
    assert 'type="text" name="incoming_host"' not in page


@pytest.mark.parametrize(
    "change", [{"incoming_host": "127.0.0.1"}, {"smtp_port": 25}, {"incoming_security": "starttls"}]
)
def test_on_a_locked_site_a_post_with_another_server_is_refused(
    alice_client, mail_servers, locked_to_dovecot, dovecot, smtp, change
):
    start(alice_client, mail_servers.address, "wrong password")
    data = manual_settings(dovecot, smtp, mail_servers) | change
    response = alice_client.post(reverse(ADD_SETTINGS), data)
    assert "This site connects only to its organisation" in response.content.decode()
    assert not MailAccount.objects.exists()


def test_on_a_locked_site_the_edit_page_refuses_another_server(
    alice_client, alice, mail_servers, locked_to_dovecot, dovecot, smtp
):
    start(alice_client, mail_servers.address, mail_servers.password)
    account = MailAccount.objects.get()
    data = manual_settings(dovecot, smtp, mail_servers, incoming_host="127.0.0.1")
    response = alice_client.post(reverse("webmail:account_edit", args=[account.pk]), data)
    assert "This site connects only to its organisation" in response.content.decode()
    assert MailAccount.objects.get().incoming_host == "localhost"


def test_a_locked_preset_with_domains_refuses_other_addresses(alice_client, locked_to_dovecot):
    locked_to_dovecot.domains = "org.example"
    locked_to_dovecot.save()
    response = start(alice_client, "someone@elsewhere.example", "secret")
    assert "only connects addresses of its organisation" in response.content.decode()
    assert not MailAccount.objects.exists()


def test_the_edit_page_shows_the_accounts_interval(alice_client, alice):
    account = MailAccount.objects.create(
        user=alice, email="a@example.org", incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username="a", smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls", sync_interval=1800,
    )  # fmt: skip
    page = alice_client.get(reverse("webmail:account_edit", args=[account.pk]))
    assert page.status_code == 200
    assert page.context["form"]["sync_interval_minutes"].value() == 30


@pytest.mark.django_db(transaction=True)
def test_an_existing_account_on_a_host_blocked_later_is_not_dialled_any_more(account):
    from webmail.engine import account_sync
    from webmail.mail.errors import MailError
    from webmail.models import AccountStatus

    save_site_settings(mail_hosts_blocked=account.incoming_host)

    with pytest.raises(MailError, match="host_blocked"):
        account_sync.sync_account(account)  # recorded, and not retried by the task

    account.refresh_from_db()
    assert (account.status, account.last_error) == (AccountStatus.ERROR, "host_blocked")
    assert not account.folders.exists()  # nothing was read from the server


@pytest.mark.django_db(transaction=True)
def test_an_existing_plain_text_account_stops_once_plain_text_is_forbidden(
    alice, dovecot, mail_user
):
    from webmail.engine import account_sync
    from webmail.mail.errors import MailError

    account = MailAccount(
        user=alice, email="plain@courriel.test", incoming_host="127.0.0.1",
        incoming_port=dovecot.imap_port, incoming_security="plain",
        incoming_username=mail_user.name, smtp_host="127.0.0.1", smtp_port=25,
        smtp_security="plain",
    )  # fmt: skip
    account.set_incoming_password(mail_user.password)
    account.save()
    account_sync.sync_account(account)
    assert account.folders.filter(name="INBOX").exists()  # allowed: it syncs

    save_site_settings(allow_insecure_connections=False)
    with pytest.raises(MailError, match="insecure_forbidden"):
        account_sync.sync_account(account)
    account.refresh_from_db()
    assert account.last_error == "insecure_forbidden"


@pytest.mark.django_db(transaction=True)
def test_the_edit_page_of_an_account_on_a_host_blocked_since_answers_clearly(
    alice_client, account, dovecot, smtp, mail_user
):
    save_site_settings(mail_hosts_blocked=account.incoming_host)
    url = reverse("webmail:account_edit", args=[account.pk])
    assert alice_client.get(url).status_code == 200
    same = manual_settings(dovecot, smtp, mail_user, incoming_host=account.incoming_host,
                           smtp_host=account.incoming_host, password="")  # fmt: skip
    assert (
        "does not allow connections to this server" in alice_client.post(url, same).content.decode()
    )
    # Moving it to a server that is allowed: checked for real, never a server error
    # for the old, blocked one.
    moved = {**same, "incoming_host": "127.0.0.1", "smtp_host": "127.0.0.1"}
    response = alice_client.post(url, moved)
    assert response.status_code == 200
    assert "Outgoing server: The server refused" in response.content.decode()  # tried for real
