"""The committer: database work in order on its own thread, failures raised at the end."""

import threading

import pytest
from django.db import transaction

from webmail.engine.pipeline import Committer

pytestmark = pytest.mark.django_db(transaction=True)


def test_work_runs_in_order_on_another_thread():
    ran: list[tuple[int, str]] = []
    with Committer() as committer:
        for number in range(5):
            committer.submit(lambda n: ran.append((n, threading.current_thread().name)), number)
    assert [number for number, _thread in ran] == [0, 1, 2, 3, 4]
    assert all(name != threading.current_thread().name for _number, name in ran)


def test_a_failure_is_raised_and_later_work_is_skipped():
    ran = []

    def fail():
        raise ValueError("disk full")

    with pytest.raises(ValueError, match="disk full"), Committer(in_flight=10) as committer:
        committer.submit(ran.append, 1)
        committer.submit(fail)
        committer.submit(ran.append, 3)
    assert ran == [1]


def test_inside_a_transaction_the_work_runs_at_once_on_this_thread():
    ran = []
    with transaction.atomic(), Committer() as committer:
        committer.submit(lambda: ran.append(threading.current_thread().name))
        assert ran == [threading.current_thread().name]
