"""Live updates: Server-Sent Events from a real uvicorn (live_server is WSGI and
cannot stream), reaching an open tab within 3 seconds of a change."""

import re
import socket
import time

import pytest
from django.conf import settings

from webmail.mailbox_state import bump_changes

pytestmark = pytest.mark.django_db(transaction=True)


class EventStream:
    """A raw socket reading the stream, so waiting for "no event" never breaks it."""

    def __init__(self, port: int, cookie: str | None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        cookie_line = f"Cookie: {cookie}\r\n" if cookie else ""
        request = f"GET /events/ HTTP/1.1\r\nHost: localhost\r\n{cookie_line}\r\n"
        self.sock.sendall(request.encode())
        self.received = b""
        while b"\r\n\r\n" not in self.received:
            self.received += self.sock.recv(4096)
        head, _, self.received = self.received.partition(b"\r\n\r\n")
        self.status = int(head.split()[1])
        self.headers = head.decode().lower()

    def wait_for(self, name: str, seconds: float) -> str:
        pattern = re.compile(rb"event: " + name.encode() + rb"\r?\ndata: (\S+)")
        deadline = time.monotonic() + seconds
        while (found := pattern.search(self.received)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name!r} event within {seconds} s")
            self.sock.settimeout(remaining)
            try:
                self.received += self.sock.recv(4096)
            except TimeoutError:
                continue
        self.received = self.received[found.end() :]
        return found.group(1).decode()

    def wait_until_ready(self, seconds: float = 10.0) -> None:
        """The stream sends its retry line once it has read the starting counter:
        a change made after that is one it must report."""
        deadline = time.monotonic() + seconds
        while b"retry:" not in self.received:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            self.received += self.sock.recv(4096)

    def close(self):
        self.sock.close()


def session_cookie(client, user) -> str:
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def test_a_change_reaches_an_open_tab_within_three_seconds(client, alice, uvicorn):
    stream = EventStream(uvicorn, session_cookie(client, alice))
    assert stream.status == 200
    assert "content-type: text/event-stream" in stream.headers
    stream.wait_until_ready()
    counter = bump_changes(alice.pk)
    assert stream.wait_for("changed", 3.0) == str(counter)
    stream.close()


def test_strangers_get_no_stream(uvicorn):
    assert EventStream(uvicorn, None).status == 403


def test_another_persons_changes_are_not_sent(client, alice, bob, uvicorn):
    stream = EventStream(uvicorn, session_cookie(client, alice))
    stream.wait_until_ready()
    bump_changes(bob.pk)
    with pytest.raises(AssertionError, match="no 'changed' event"):
        stream.wait_for("changed", 2.0)
    stream.close()


def test_a_wsgi_server_never_streams(client, alice):
    """Under WSGI (live_server, a sync gunicorn) a stream would pin a thread."""
    client.force_login(alice)
    assert client.get("/events/").status_code == 204
