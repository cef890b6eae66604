"""The administrator's shortest interval holds in the dispatchers of due syncs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.sitesettings.conftest import save_site_settings
from webmail.models import MailAccount
from webmail.pop3.tasks import pop3_accounts_due
from webmail.tasks import accounts_due

pytestmark = pytest.mark.django_db


def account_synced(user, protocol: str, *, interval: int, ago: int) -> MailAccount:
    return MailAccount.objects.create(
        user=user, email=f"{protocol}@example.org", protocol=protocol,
        incoming_host="mail.example.org", incoming_port=993, incoming_security="tls",
        incoming_username="a", smtp_host="mail.example.org", smtp_port=465,
        smtp_security="tls", sync_interval=interval,
        last_synced_at=timezone.now() - timedelta(seconds=ago),
    )  # fmt: skip


@pytest.mark.parametrize(("protocol", "due"), [("imap", accounts_due), ("pop3", pop3_accounts_due)])
def test_an_account_is_not_synced_more_often_than_the_site_allows(alice, protocol, due):
    account = account_synced(alice, protocol, interval=60, ago=120)
    assert account.pk in due()  # its own minute has passed
    save_site_settings(minimum_sync_interval=300)
    assert account.pk not in due()  # but the site's five minutes have not
    MailAccount.objects.filter(pk=account.pk).update(
        last_synced_at=timezone.now() - timedelta(seconds=301)
    )
    assert account.pk in due()


def test_a_longer_interval_of_the_persons_own_is_kept(alice):
    account = account_synced(alice, "imap", interval=3600, ago=600)
    save_site_settings(minimum_sync_interval=60)
    assert account.pk not in accounts_due()


def test_the_pop3_options_refuse_an_interval_below_the_minimum(client, alice):
    from django.urls import reverse

    account = account_synced(alice, "pop3", interval=600, ago=0)
    save_site_settings(minimum_sync_interval=900, default_sync_interval=900)
    client.force_login(alice)
    response = client.post(
        reverse("pop3:options", args=[account.pk]),
        {"fetch_interval_minutes": 5, "leave_on_server": "", "delete_after_days": ""},
    )
    assert "every 15 minutes at the most often" in response.content.decode()
    assert MailAccount.objects.get(pk=account.pk).sync_interval == 600
