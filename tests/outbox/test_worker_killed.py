"""A real worker process killed (SIGKILL) mid-delivery: once its claim expires, the
message is queued again if the final "." never left, or shown as maybe sent if it
may have. Never lost, never silently sent twice."""

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection
from django.utils import timezone

from tests.conftest import wait_until
from tests.harness.ports import LOOPBACK
from tests.outbox.conftest import point_at, queue, received_ids, reload
from webmail.outbox import engine
from webmail.outbox.backoff import lease_seconds
from webmail.outbox.models import OutboxMessage, State

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
DELIVER = (
    "import sys, django; django.setup(); "
    "from webmail.outbox.engine import deliver_due_for_account; "
    "deliver_due_for_account(int(sys.argv[1]))"
)


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port whose connections the kernel accepts and nobody answers: the child
    waits for a greeting that never comes, holding its claim."""
    with socket.create_server((LOOPBACK, 0)) as listener:
        yield listener.getsockname()[1]


def child_environment(certs) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("a second process needs the test database on PostgreSQL")
    test_database = urlunsplit(urlsplit(url)._replace(path=f"/{connection.settings_dict['NAME']}"))
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webmail.settings",
        "DATABASE_URL": test_database,
        "MAIL_CA_FILE": str(certs.ca_cert),
        "MAIL_TIMEOUT": "60",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def delivering_process(certs):
    started: list[subprocess.Popen] = []

    def start(account) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-c", DELIVER, str(account.pk)],
            cwd=ROOT,
            env=child_environment(certs),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(10) == -signal.SIGKILL


def after_the_lease():
    return timezone.now() + timezone.timedelta(seconds=lease_seconds() + 1)


def test_killed_after_the_final_dot_it_is_maybe_sent_and_not_sent_again(
    sender, smtp, delivering_process
):
    smtp.hang_after_data()
    message = queue(sender)
    process = delivering_process(sender)
    wait_until(lambda: len(smtp.messages) == 1, seconds=15)

    kill(process)
    in_flight = reload(message)
    engine.recover_expired_leases(after_the_lease())
    engine.deliver_due_for_account(sender.pk)

    assert in_flight.state == State.SENDING
    assert in_flight.data_sent_at is not None
    assert reload(message).state == State.MAYBE_SENT
    assert received_ids(smtp) == [message.message_id]


def test_killed_before_data_it_is_queued_again_and_arrives_once(sender, smtp, delivering_process):
    with silent_listener() as port:
        point_at(sender, port)
        message = queue(sender)
        process = delivering_process(sender)
        wait_until(lambda: reload(message).state == State.SENDING, seconds=15)
        kill(process)

    assert engine.recover_expired_leases(timezone.now()) == (0, 0)  # the lease still holds
    assert engine.recover_expired_leases(after_the_lease()) == (1, 0)
    point_at(sender, smtp.plain_port)
    engine.deliver_due_for_account(sender.pk)

    assert received_ids(smtp) == [message.message_id]
    assert OutboxMessage.objects.get(pk=message.pk).state == State.SENT
