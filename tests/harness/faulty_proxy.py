"""A TCP proxy that cuts connections on purpose: the real server behind it,
faults that a real peer cannot produce on demand. No Django here."""

import socket
import threading
from contextlib import suppress

from tests.harness.ports import LOOPBACK


class FaultyProxy:
    """Forwards 127.0.0.1:<port> to a target; after ``cut_after`` bytes from the
    server, it closes both sides (a dropped connection mid-response)."""

    def __init__(self, target_port: int, target_host: str = LOOPBACK):
        self.target = (target_host, target_port)
        self.cut_after: int | None = None
        self._listener = socket.create_server((LOOPBACK, 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def __enter__(self) -> "FaultyProxy":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True
        with suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.close()

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
                self._sockets += [client, server]
            budget = [self.cut_after]
            pair = (client, server)
            threading.Thread(
                target=self._pump, args=(client, server, None, pair), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(server, client, budget, pair), daemon=True
            ).start()

    def _pump(self, source, destination, budget, pair) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
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
