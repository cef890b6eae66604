"""Database writes overlapped with the network: while one thread reads and parses
the next batch from the server, another commits the last one.

Only the waits overlap (Python holds one lock for computing), but those are most of
a bulk sync: the server producing a FETCH, PostgreSQL inserting and indexing rows.
"""

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

from django.db import connection


class Committer:
    """Runs database work in submission order on a thread of its own (with its own
    connection), at most ``in_flight`` units waiting, so memory stays bounded.
    Leaving the ``with`` block waits for every unit and raises the first failure;
    after a failure, later units are skipped (each may rely on the ones before).

    Inside a caller's transaction the work runs at once on the calling thread:
    another connection could not see what that transaction wrote."""

    def __init__(self, in_flight: int = 2, name: str = "committer") -> None:
        self._in_flight = in_flight
        self._pool = (
            None if connection.in_atomic_block else ThreadPoolExecutor(1, thread_name_prefix=name)
        )
        self._pending: deque[Future] = deque()
        self._failed = False

    def submit(self, function, *args) -> None:
        if self._pool is None:
            function(*args)
            return
        self._pending.append(self._pool.submit(self._run, function, args))
        while len(self._pending) > self._in_flight:
            self._pending.popleft().result()

    def _run(self, function, args) -> None:
        if self._failed:
            return
        try:
            function(*args)
        except BaseException:
            self._failed = True
            raise

    def __enter__(self) -> "Committer":
        return self

    def __exit__(self, error_type, error, traceback) -> None:
        if self._pool is None:
            return
        if error_type is not None:
            self._failed = True  # the caller is failing: commit nothing more
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._pool.submit(_close_connection).result()
            self._pool.shutdown()


def _close_connection() -> None:
    connection.close()  # looked up on the committer's thread: its own connection
