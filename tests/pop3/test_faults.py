"""Cut connections and crashes at any point of a download: the store here and the
maildrop there always converge to exactly one copy of each message, here."""

import contextlib
import random

import pytest

from tests.harness.faulty_proxy import FaultyProxy
from tests.messages import make_message
from tests.pop3.conftest import make_pop3_account, stored_message_ids, waiting_on_server
from webmail.mail import pop3
from webmail.mail.errors import ConnectError, MailError
from webmail.models import Message
from webmail.pop3 import engine
from webmail.pop3.models import DownloadedMessage

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 10
TLS_AND_LOGIN_BYTES = 4000  # what the server sends before the first message, roughly


def padded_message(number: int, size: int) -> bytes:
    return make_message(number) + b"line of padding text\n" * (size // 21)


@pytest.fixture
def proxy(dovecot):
    with FaultyProxy(dovecot.pop3s_port) as proxy:
        yield proxy


@pytest.fixture
def proxied(alice, pop3_user, proxy, mail_ca):
    """alice's POP3 account, reached through the faulty proxy (implicit TLS)."""
    return make_pop3_account(alice, pop3_user, proxy.port)


def assert_one_copy_here_and_none_there(account, expected: list[str]) -> None:
    assert stored_message_ids(account) == sorted(expected)
    assert waiting_on_server(account) == 0
    assert Message.objects.filter(account=account).count() == len(expected)


def test_cuts_at_random_points_always_converge(proxied, proxy, dovecot, pop3_user):
    rng = random.Random(20261128)
    expected = []
    for round_number in range(ROUNDS):
        numbers = range(round_number * 4, round_number * 4 + 4)
        messages = [padded_message(n, rng.randrange(100, 30_000)) for n in numbers]
        dovecot.deliver_many(pop3_user, messages)
        expected += [f"<m{n}@example.org>" for n in numbers]

        proxy.cut_after = rng.randrange(0, TLS_AND_LOGIN_BYTES + sum(map(len, messages)))
        with contextlib.suppress(MailError):
            engine.fetch_account(proxied)
        proxy.cut_after = None
        engine.fetch_account(proxied)

        assert_one_copy_here_and_none_there(proxied, expected)


def test_a_cut_during_retr_keeps_what_arrived_whole(proxied, proxy, dovecot, pop3_user):
    messages = [padded_message(n, 200_000) for n in range(3)]
    dovecot.deliver_many(pop3_user, messages)
    proxy.cut_after = TLS_AND_LOGIN_BYTES + 300_000  # inside the second message

    with pytest.raises(ConnectError):
        engine.fetch_account(proxied)
    assert stored_message_ids(proxied) == ["<m0@example.org>"]
    assert waiting_on_server(proxied) == 3  # nothing deleted without QUIT

    proxy.cut_after = None
    result = engine.fetch_account(proxied)
    assert (result.downloaded, result.deleted) == (2, 3)
    assert_one_copy_here_and_none_there(proxied, [f"<m{n}@example.org>" for n in range(3)])


def test_a_cut_between_retr_and_dele_only_deletes_on_the_next_run(
    proxied, proxy, dovecot, pop3_user, monkeypatch
):
    dovecot.deliver_many(pop3_user, [make_message(n) for n in range(5)])
    delete_messages = pop3.delete_messages

    def cut_then_delete(client, numbers, *, window):
        proxy.drop_connections()
        return delete_messages(client, numbers, window=window)

    monkeypatch.setattr(pop3, "delete_messages", cut_then_delete)
    with pytest.raises(ConnectError):
        engine.fetch_account(proxied)
    assert len(stored_message_ids(proxied)) == 5
    assert waiting_on_server(proxied) == 5

    monkeypatch.undo()
    result = engine.fetch_account(proxied)
    assert (result.downloaded, result.deleted) == (0, 5)
    assert_one_copy_here_and_none_there(proxied, [f"<m{n}@example.org>" for n in range(5)])


def test_a_cut_midway_through_the_deletions_deletes_nothing(
    proxied, proxy, dovecot, pop3_user, monkeypatch
):
    dovecot.deliver_many(pop3_user, [make_message(n) for n in range(4)])
    delete_messages = pop3.delete_messages

    def delete_half_then_cut(client, numbers, *, window):
        delete_messages(client, numbers[:2], window=window)
        proxy.drop_connections()
        return delete_messages(client, numbers[2:], window=window)

    monkeypatch.setattr(pop3, "delete_messages", delete_half_then_cut)
    with pytest.raises(ConnectError):
        engine.fetch_account(proxied)
    assert waiting_on_server(proxied) == 4  # DELE without QUIT: nothing committed
    assert DownloadedMessage.objects.filter(deleted_on_server_at__isnull=False).count() == 0

    monkeypatch.undo()
    engine.fetch_account(proxied)
    assert_one_copy_here_and_none_there(proxied, [f"<m{n}@example.org>" for n in range(4)])


def test_a_worker_dying_after_storing_deletes_nothing_and_loses_nothing(
    proxied, dovecot, pop3_user, monkeypatch
):
    dovecot.deliver_many(pop3_user, [make_message(n) for n in range(3)])

    def die(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(pop3, "delete_messages", die)
    with pytest.raises(SystemExit):
        engine.fetch_account(proxied)
    assert waiting_on_server(proxied) == 3

    monkeypatch.undo()
    engine.fetch_account(proxied)
    assert_one_copy_here_and_none_there(proxied, [f"<m{n}@example.org>" for n in range(3)])
    assert DownloadedMessage.objects.filter(deleted_on_server_at__isnull=True).count() == 0


def test_a_batch_is_committed_only_once_its_files_are_durable(
    proxied, dovecot, pop3_user, monkeypatch
):
    dovecot.deliver_many(pop3_user, [make_message(n) for n in range(3)])

    def disk_failure(self):
        raise engine.LocalStorageError("No space left on device")

    monkeypatch.setattr(engine.RawBatch, "durable", disk_failure)
    with pytest.raises(engine.LocalStorageError):
        engine.fetch_account(proxied)

    assert Message.objects.filter(account=proxied).count() == 0
    assert DownloadedMessage.objects.count() == 0
    assert waiting_on_server(proxied) == 3
