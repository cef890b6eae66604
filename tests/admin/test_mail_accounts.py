"""Mail accounts in the admin: listed with their state, passwords write-only, and
the actions sync now, rebuild cache, disable and enable."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import make_account, run_action, shown_messages, text_of
from webmail import credentials
from webmail.models import AccountStatus, MailAccount

pytestmark = pytest.mark.django_db


def change_url(account) -> str:
    return reverse("admin:webmail_mailaccount_change", args=[account.pk])


def change_form(account, **changes) -> dict:
    data = {
        "email": account.email,
        "display_name": account.display_name,
        "incoming_host": account.incoming_host,
        "incoming_port": account.incoming_port,
        "incoming_security": account.incoming_security,
        "incoming_username": account.incoming_username,
        "new_incoming_password": "",
        "smtp_host": account.smtp_host,
        "smtp_port": account.smtp_port,
        "smtp_security": account.smtp_security,
        "smtp_username": account.smtp_username,
        "new_smtp_password": "",
        "sync_interval": account.sync_interval,
        "is_active": "on" if account.is_active else "",
    }
    return {**data, **changes}


def test_the_list_shows_protocol_server_status_last_sync_and_the_error(staff_client, alice):
    make_account(
        alice, "alice@example.net", status=AccountStatus.ERROR, last_error="timeout",
        last_synced_at=timezone.now(),
    )  # fmt: skip
    page = text_of(staff_client.get(reverse("admin:webmail_mailaccount_changelist")))
    assert "alice@example.net" in page and "alice@example.org" in page
    assert "imap.example.org:993" in page and "IMAP" in page
    assert "The server did not answer in time." in page


def test_the_list_searches_and_filters(staff_client, alice, bob):
    make_account(alice, "alice@example.net")
    make_account(bob, "bob@example.net", protocol="pop3", incoming_host="pop.example.com")
    url = reverse("admin:webmail_mailaccount_changelist")
    found = text_of(staff_client.get(url, {"q": "pop.example.com"}))
    assert "bob@example.net" in found and "alice@example.net" not in found
    pop3 = text_of(staff_client.get(url, {"protocol__exact": "pop3"}))
    assert "bob@example.net" in pop3 and "alice@example.net" not in pop3


def test_passwords_are_never_shown_not_even_encrypted(staff_client, alice):
    account = make_account(alice, "alice@example.net")
    account.set_smtp_password("the smtp password")
    account.save()
    page = staff_client.get(change_url(account)).content.decode()
    assert "the original password" not in page and "the smtp password" not in page
    assert account.incoming_password not in page and account.smtp_password not in page
    assert 'name="new_incoming_password"' in page and 'name="new_smtp_password"' in page


def test_a_new_password_replaces_the_old_one_and_blank_keeps_it(staff_client, alice):
    account = make_account(alice, "alice@example.net", status=AccountStatus.AUTH_FAILED)
    account.set_smtp_password("the smtp password")
    account.save()
    form = change_form(account, new_incoming_password="a new secret")
    response = staff_client.post(change_url(account), form)
    assert response.status_code == 302
    account.refresh_from_db()
    assert credentials.decrypt(account.incoming_password) == "a new secret"
    assert credentials.decrypt(account.smtp_password) == "the smtp password"
    # The refused password is gone: the workers may try again.
    assert account.status == AccountStatus.NEW


def test_saving_without_a_password_keeps_both(staff_client, alice):
    account = make_account(alice, "alice@example.net")
    staff_client.post(change_url(account), change_form(account, sync_interval=600))
    account.refresh_from_db()
    assert account.sync_interval == 600
    assert credentials.decrypt(account.incoming_password) == "the original password"
    assert account.smtp_password == ""


def test_the_owner_and_protocol_cannot_be_changed_here(staff_client, alice, bob):
    account = make_account(alice, "alice@example.net")
    staff_client.post(change_url(account), change_form(account, user=bob.pk, protocol="pop3"))
    account.refresh_from_db()
    assert account.user == alice and account.protocol == "imap"


def test_accounts_are_not_added_in_the_admin(staff_client):
    response = staff_client.get(reverse("admin:webmail_mailaccount_add"))
    assert response.status_code == 403


def test_disable_and_enable_are_logged(staff_client, alice, charlie):
    account = make_account(alice, "alice@example.net")
    run_action(staff_client, "webmail.mailaccount", "disable", [account])
    account.refresh_from_db()
    assert not account.is_active
    run_action(staff_client, "webmail.mailaccount", "enable", [account])
    account.refresh_from_db()
    assert account.is_active
    log = LogEntry.objects.filter(object_id=str(account.pk)).order_by("pk")
    assert [entry.change_message for entry in log] == ["Disabled", "Enabled"]
    assert {entry.user for entry in log} == {charlie}


def test_sync_now_queues_a_sync_and_logs_it(staff_client, alice, sync_queue):
    account = make_account(alice, "alice@example.net")
    response = run_action(staff_client, "webmail.mailaccount", "sync_now", [account])
    assert "1 account queued." in shown_messages(response)
    assert sync_queue() == 1
    assert LogEntry.objects.get(object_id=str(account.pk)).change_message == "Sync now"


def test_sync_now_says_why_each_account_it_skips(staff_client, alice, sync_queue):
    disabled = make_account(alice, "off@example.net", is_active=False)
    refused = make_account(alice, "refused@example.net", status=AccountStatus.AUTH_FAILED)
    response = run_action(staff_client, "webmail.mailaccount", "sync_now", [disabled, refused])
    assert shown_messages(response) == [
        "off@example.net: it is disabled; enable it first.",
        "refused@example.net: its password was refused; replace it first.",
    ]
    assert sync_queue() == 0
    assert not LogEntry.objects.exists()


def test_a_pop3_cache_is_not_rebuilt_because_it_is_the_only_copy(staff_client, alice, sync_queue):
    account = make_account(alice, "pop@example.net", protocol="pop3")
    response = run_action(staff_client, "webmail.mailaccount", "rebuild_cache", [account])
    assert shown_messages(response) == [
        "pop@example.net: POP3 mail is kept only here, not on the server: there is nothing "
        "to rebuild it from."
    ]
    assert sync_queue() == 0


def test_the_actions_speak_french(staff_client, alice, sync_queue):
    account = make_account(alice, "off@example.net", is_active=False)
    staff_client.post(reverse("set_language"), {"language": "fr", "next": "/admin/"})
    response = run_action(staff_client, "webmail.mailaccount", "sync_now", [account])
    disabled = "off@example.net: il est désactivé ; activez-le d\u2019abord."
    assert shown_messages(response) == [disabled]
    page = text_of(staff_client.get(reverse("admin:webmail_mailaccount_changelist")))
    assert "Synchroniser maintenant" in page


def test_the_list_and_page_use_the_admin_stylesheet(staff_client, alice):
    account = make_account(alice, "alice@example.net")
    page = staff_client.get(change_url(account)).content.decode()
    assert "admin-courriel/admin.css" in page
    assert MailAccount.objects.count() == 1


def test_long_addresses_may_wrap_but_stay_escaped(staff_client, alice):
    make_account(alice, "<b>odd</b>@example.net")
    page = staff_client.get(reverse("admin:webmail_mailaccount_changelist")).content.decode()
    assert "&lt;b&gt;odd&lt;/b&gt;@<wbr>example.<wbr>net" in page
    assert "<b>odd</b>" not in page


def test_an_address_the_person_already_has_is_refused_clearly(staff_client, alice, bob):
    make_account(alice, "first@example.net")
    second = make_account(alice, "second@example.net")
    make_account(bob, "taken-by-bob@example.net")
    response = staff_client.post(change_url(second), change_form(second, email="first@example.net"))
    assert "This person already has an account with this address." in response.content.decode()
    staff_client.post(change_url(second), change_form(second, email="taken-by-bob@example.net"))
    second.refresh_from_db()
    assert second.email == "taken-by-bob@example.net"  # another person's address is no clash


def test_the_sites_rules_on_mail_servers_hold_in_the_admin_too(staff_client, alice, settings):
    settings.MAIL_HOSTS_BLOCKED = ["internal.example.org"]
    settings.ALLOW_INSECURE_MAIL_CONNECTIONS = False
    account = make_account(alice, "alice@example.net")
    blocked = staff_client.post(
        change_url(account), change_form(account, incoming_host="internal.example.org")
    )
    assert "does not allow connections to this server" in blocked.content.decode()
    plain = staff_client.post(change_url(account), change_form(account, smtp_security="plain"))
    assert "does not allow unencrypted connections" in plain.content.decode()
    account.refresh_from_db()
    assert (account.incoming_host, account.smtp_security) == ("imap.example.org", "tls")


def test_an_account_made_before_a_rule_can_still_be_edited(staff_client, alice, settings):
    account = make_account(alice, "alice@example.net", incoming_security="plain")
    settings.MAIL_HOSTS_BLOCKED = ["imap.example.org"]
    settings.ALLOW_INSECURE_MAIL_CONNECTIONS = False
    staff_client.post(change_url(account), change_form(account, sync_interval=900))
    account.refresh_from_db()
    assert account.sync_interval == 900
