"""The sync health page: lag against the interval, failed syncs, and the IDLE
listener's heartbeat per watched folder."""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import make_account
from tests.harness.faulty_proxy import FaultyProxy
from webmail.engine import account_sync
from webmail.engine.account_sync import record_status
from webmail.engine.listener import Listener, Watcher
from webmail.models import AccountStatus, Folder
from webmail.sync_health import WatcherState, error_counts, record_watcher, watcher_reports

pytestmark = pytest.mark.django_db

HEALTH = reverse("admin:webmail_mailaccount_health")


def rows_of(page: str) -> dict[str, str]:
    """Each account's table row, by its address."""
    rows = page.split("<tr")[1:]
    return {
        address: row
        for row in rows
        for address in [row.split("</a>")[0].rsplit(">", 1)[-1]]
        if "@" in address
    }


def test_an_overdue_sync_is_highlighted(staff_client, alice):
    now = timezone.now()
    make_account(alice, "late@example.net", last_synced_at=now - timedelta(hours=1))
    make_account(alice, "fresh@example.net", last_synced_at=now - timedelta(minutes=1))
    make_account(alice, "off@example.net", is_active=False, last_synced_at=now - timedelta(days=9))
    rows = rows_of(staff_client.get(HEALTH).content.decode())
    assert "sync-health--overdue" in rows["late@example.net"]
    assert "Overdue" in rows["late@example.net"] and "1\xa0hour" in rows["late@example.net"]
    assert "every 5\xa0minutes" in rows["late@example.net"]
    assert "Overdue" not in rows["fresh@example.net"]
    assert "Overdue" not in rows["off@example.net"] and "Disabled" in rows["off@example.net"]


def test_failed_syncs_are_counted_until_one_works(staff_client, alice):
    account = make_account(alice, "flaky@example.net")
    for _ in range(3):
        record_status(account, AccountStatus.ERROR, "timeout")
    assert error_counts([account.pk])[account.pk].in_a_row == 3
    row = rows_of(staff_client.get(HEALTH).content.decode())["flaky@example.net"]
    assert ">3</td>" in row and "The server did not answer in time." in row
    record_status(account, AccountStatus.OK)
    counts = error_counts([account.pk])[account.pk]
    assert (counts.in_a_row, counts.total) == (0, 3)


def test_the_listener_status_follows_its_heartbeats(staff_client, alice):
    account = make_account(alice, "push@example.net")
    inbox = Folder.objects.create(account=account, name="INBOX", watch=True)
    assert "No heartbeat" in rows_of(staff_client.get(HEALTH).content.decode())["push@example.net"]
    record_watcher(inbox.pk, WatcherState.LISTENING)
    assert (
        "Listening (1 folder)"
        in rows_of(staff_client.get(HEALTH).content.decode())["push@example.net"]
    )
    record_watcher(inbox.pk, WatcherState.STOPPED, "bad_credentials")
    row = rows_of(staff_client.get(HEALTH).content.decode())["push@example.net"]
    assert "Stopped: The server refused this user name and password." in row
    assert "sync-health__problem" in row


def test_a_heartbeat_that_stopped_coming_is_shown(staff_client, alice, time_machine):
    account = make_account(alice, "push@example.net")
    inbox = Folder.objects.create(account=account, name="INBOX", watch=True)
    record_watcher(inbox.pk, WatcherState.LISTENING)
    time_machine.move_to(timezone.now() + timedelta(minutes=5))
    assert "No heartbeat" in rows_of(staff_client.get(HEALTH).content.decode())["push@example.net"]


@pytest.mark.django_db(transaction=True)  # the listener closes old connections
def test_the_real_listener_beats_and_reports_a_lost_connection(account, dovecot):
    account_sync.sync_account(account)
    inbox = Folder.objects.get(account=account, name="INBOX")
    with FaultyProxy(dovecot.imaps_port) as proxy:
        account.incoming_port = proxy.port
        account.save()
        listener = Listener(lambda folder: None, idle_seconds=1)
        listener.refresh()
        watcher = next(iter(listener.watchers.values()))[0]
        try:
            assert watcher.connected.wait(5)
            wait_for(lambda: inbox.pk in watcher_reports([inbox.pk]))
            assert watcher_reports([inbox.pk])[inbox.pk].state == WatcherState.LISTENING
            proxy.close()  # the server is gone, and stays gone
            wait_for(lambda: watcher_reports([inbox.pk])[inbox.pk].state != "listening")
        finally:
            listener.stop()
    assert watcher_reports([inbox.pk])[inbox.pk].state == WatcherState.RECONNECTING


def wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def test_the_index_links_to_the_page(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert HEALTH in page


def test_the_page_speaks_french(staff_client, alice):
    make_account(alice, "late@example.net", last_synced_at=timezone.now() - timedelta(hours=2))
    page = staff_client.get(HEALTH, headers={"accept-language": "fr"}).content.decode()
    assert "État de la synchronisation" in page and "En retard" in page


def test_a_refused_password_stops_the_watcher_and_says_so(account, mail_user):
    account_sync.sync_account(account)
    inbox = Folder.objects.select_related("account").get(account=account, name="INBOX")
    inbox.account.set_incoming_password("not the password")
    Watcher(inbox, lambda folder: None, idle_seconds=1).run()  # returns: it gave up
    report = watcher_reports([inbox.pk])[inbox.pk]
    assert (report.state, report.error) == (WatcherState.STOPPED, "bad_credentials")
