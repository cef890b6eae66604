"""A TCP proxy that cuts connections on purpose: the real server behind it,
faults that a real peer cannot produce on demand. No Django here."""

import socket
import threading
from contextlib import suppress

from tests.harness.ports import LOOPBACK


class FaultyProxy:
    """Forwards 127.0.0.1:<port> to a target, and can cut a connection:
    - after ``cut_after`` bytes from the server (a drop mid-response);
    - instead of forwarding a chosen client command (``cut_when_client_sends``,
      plain-text protocols only, where the proxy can read the commands);
    - all at once (``drop_connections``, a network outage)."""

    def __init__(self, target_port: int, target_host: str = LOOPBACK, port: int = 0):
        self.target = (target_host, target_port)
        self.cut_after: int | None = None
        self.cut_on: bytes | None = None
        self.cuts_left = 0
        self.connections = 0
        self._listener = socket.create_server((LOOPBACK, port))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def __enter__(self) -> "FaultyProxy":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def cut_when_client_sends(self, command: bytes, times: int = 1) -> None:
        """Cut instead of forwarding the next ``times`` client packets holding ``command``."""
        with self._lock:
            self.cut_on, self.cuts_left = command, times

    def close(self) -> None:
        self._closed = True
        with suppress(OSError):
            self._listener.close()
        self.drop_connections()

    def drop_connections(self) -> None:
        """Cut every open connection at once, as a network outage would."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target, timeout=10)
            with self._lock:
                self.connections += 1
                self._sockets += [client, server]
            pair = (client, server)
            self._start_pump(client, server, None, pair, from_client=True)
            self._start_pump(server, client, [self.cut_after], pair, from_client=False)

    def _start_pump(self, source, destination, budget, pair, *, from_client: bool) -> None:
        arguments = (source, destination, budget, pair, from_client)
        threading.Thread(target=self._pump, args=arguments, daemon=True).start()

    def _should_cut(self, data: bytes) -> bool:
        with self._lock:
            if self.cut_on is None or self.cuts_left <= 0 or self.cut_on not in data.upper():
                return False
            self.cuts_left -= 1
            return True

    def _pump(self, source, destination, budget, pair, from_client) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                if from_client and self._should_cut(data):
                    break
                if budget is not None and budget[0] is not None:
                    if len(data) >= budget[0]:
                        destination.sendall(data[: budget[0]])
                        break
                    budget[0] -= len(data)
                destination.sendall(data)
        for sock in pair:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()
