"""A TCP proxy in front of the SMTP fixture that counts connections and cuts one
when the client sends a chosen command: faults a real server cannot make on demand.
Only for plain-text SMTP, where the proxy can read the commands."""

import socket
import threading
from contextlib import suppress

from tests.harness.ports import LOOPBACK


class CuttingProxy:
    def __init__(self, target_port: int, port: int = 0):
        self.target = (LOOPBACK, target_port)
        self.cut_on: bytes | None = None  # e.g. b"DATA\r\n": cut instead of forwarding it
        self.cuts_left = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server((LOOPBACK, port))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def __enter__(self) -> "CuttingProxy":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def cut_when_client_sends(self, command: bytes, times: int = 1) -> None:
        with self._lock:
            self.cut_on, self.cuts_left = command, times

    def close(self) -> None:
        with suppress(OSError):
            self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.close()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target, timeout=10)
            with self._lock:
                self.connections += 1
                self._sockets += [client, server]
            pair = (client, server)
            threading.Thread(
                target=self._pump, args=(client, server, True, pair), daemon=True
            ).start()
            threading.Thread(
                target=self._pump, args=(server, client, False, pair), daemon=True
            ).start()

    def _should_cut(self, data: bytes) -> bool:
        with self._lock:
            if self.cut_on is None or self.cuts_left <= 0 or self.cut_on not in data.upper():
                return False
            self.cuts_left -= 1
            return True

    def _pump(self, source, destination, from_client: bool, pair) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                if from_client and self._should_cut(data):
                    break
                destination.sendall(data)
        for sock in pair:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with suppress(OSError):
                sock.close()
