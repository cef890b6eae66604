"""The storage section: IMAP quotas read by the sync from Dovecot's configured quota,
kept in the cache, shown with a warning from 90 %; and POP3 mail kept here."""

import pytest
from django.urls import reverse

from tests.harness.dovecot import QUOTA_STORAGE_BYTES
from tests.messages import make_message
from webmail.engine import account_sync
from webmail.engine.quota import stored_quota
from webmail.models import Folder, MailAccount, Message

pytestmark = pytest.mark.django_db


def big_message(size: int) -> bytes:
    # Base64-like lines of ASCII: Dovecot counts the octets as stored.
    line = b"A" * 76 + b"\r\n"
    return make_message(1, "Big") + line * (size // len(line))


def test_the_sync_reads_the_configured_quota_and_the_page_shows_it(alice_client, account):
    page = alice_client.get(reverse("webmail:settings_storage")).content.decode()
    assert "Not known yet" in page
    account_sync.sync_account(account)
    quota = stored_quota(account.pk)
    assert quota.limit_bytes == QUOTA_STORAGE_BYTES
    assert quota.used_bytes < 20 * 1024 and not quota.nearly_full
    page = alice_client.get(reverse("webmail:settings_storage")).content.decode()
    assert "of 10.0 MB used (0%)" in page.replace("\xa0", " ")
    assert f'max="{QUOTA_STORAGE_BYTES}"' in page
    assert "almost full" not in page


def test_a_mailbox_over_90_percent_full_shows_a_warning(alice_client, account, dovecot, mail_user):
    dovecot.deliver(mail_user, big_message(int(QUOTA_STORAGE_BYTES * 0.93)))
    account_sync.sync_account(account)
    quota = stored_quota(account.pk)
    assert 90 <= quota.percent < 100 and quota.nearly_full
    page = alice_client.get(reverse("webmail:settings_storage")).content.decode()
    assert "almost full" in page
    assert f"of 10.0 MB used ({quota.percent}%)" in page.replace("\xa0", " ")


def test_the_page_never_asks_the_server(alice_client, account, dovecot, mail_user):
    account_sync.sync_account(account)
    dovecot.deliver(mail_user, big_message(int(QUOTA_STORAGE_BYTES * 0.93)))
    page = alice_client.get(reverse("webmail:settings_storage")).content.decode()
    assert "almost full" not in page  # still the figure of the last sync


def test_a_stranger_does_not_see_someone_elses_quota(client, account, bob):
    account_sync.sync_account(account)
    client.force_login(bob)
    page = client.get(reverse("webmail:settings_storage")).content.decode()
    assert account.email not in page


def test_pop3_mail_kept_here_is_counted_against_the_limit(alice_client, alice, settings):
    settings.POP3_STORAGE_LIMIT_BYTES = 1000
    account = MailAccount.objects.create(
        user=alice, email="pop@example.org", protocol="pop3", incoming_host="pop.example.org",
        incoming_port=995, incoming_security="tls", incoming_username="pop",
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    inbox = Folder.objects.create(account=account, name="INBOX", special_use="inbox")
    Message.objects.create(
        account=account, folder=inbox, uid=1, size=950, internal_date="2026-11-01T10:00Z"
    )
    page = alice_client.get(reverse("webmail:settings_storage")).content.decode()
    assert "Mail kept in Courriel (POP3)" in page
    assert 'value="950"' in page and 'max="1000"' in page
    assert "almost full" in page
