"""A small POP3 server for what Dovecot cannot be made to do on demand: no UIDL (nor
CAPA), and IN-USE or LOGIN-DELAY at login. Plain text on loopback; everything else
is tested against Dovecot. No Django here."""

import socketserver
import threading
from dataclasses import dataclass, field

from tests.harness.ports import LOOPBACK


@dataclass
class Maildrop:
    messages: list[bytes] = field(default_factory=list)
    capabilities: list[bytes] | None = field(default_factory=lambda: [b"USER", b"TOP"])
    has_uidl: bool = False
    pass_reply: bytes = b"+OK logged in"
    commands: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Session(socketserver.StreamRequestHandler):
    timeout = 5

    def handle(self) -> None:
        drop: Maildrop = self.server.maildrop
        deleted: set[int] = set()
        self._send(b"+OK scripted POP3 ready")
        for line in self.rfile:
            command, _, argument = line.strip().partition(b" ")
            command = command.upper()
            drop.commands.append(command)
            if command == b"QUIT":
                with drop.lock:
                    drop.messages = [m for n, m in enumerate(drop.messages, 1) if n not in deleted]
                self._send(b"+OK bye")
                return
            self._answer(drop, command, argument, deleted)

    def _answer(self, drop: Maildrop, command: bytes, argument: bytes, deleted: set[int]) -> None:
        live = {n: m for n, m in enumerate(drop.messages, 1) if n not in deleted}
        if command == b"CAPA" and drop.capabilities is not None:
            self._multiline(b"\r\n".join(drop.capabilities) + b"\r\n")
        elif command == b"USER":
            self._send(b"+OK")
        elif command == b"PASS":
            self._send(drop.pass_reply)
        elif command == b"STAT":
            self._send(b"+OK %d %d" % (len(live), sum(map(len, live.values()))))
        elif command == b"LIST":
            self._multiline(b"".join(b"%d %d\r\n" % (n, len(m)) for n, m in live.items()))
        elif command == b"UIDL" and drop.has_uidl:
            self._multiline(b"".join(b"%d id-%d\r\n" % (n, n) for n in live))
        elif command in (b"RETR", b"TOP") and _number(argument) in live:
            message = live[_number(argument)]
            if command == b"TOP":
                message = message.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
            self._multiline(message)
        elif command == b"DELE" and _number(argument) in live:
            deleted.add(_number(argument))
            self._send(b"+OK deleted")
        else:
            self._send(b"-ERR unknown command or message")

    def _send(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def _multiline(self, body: bytes) -> None:
        stuffed = b"\r\n".join(
            b"." + line if line.startswith(b".") else line for line in body.split(b"\r\n")
        )
        self.wfile.write(b"+OK\r\n" + stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n"))
        self.wfile.write(b".\r\n")


def _number(argument: bytes) -> int:
    words = argument.split()
    return int(words[0]) if words and words[0].isdigit() else 0


class ScriptedPOP3:
    def __init__(self, maildrop: Maildrop) -> None:
        self._server = socketserver.ThreadingTCPServer((LOOPBACK, 0), _Session)
        self._server.daemon_threads = True
        self._server.maildrop = maildrop
        self.maildrop = maildrop
        self.port = self._server.server_address[1]

    def __enter__(self) -> "ScriptedPOP3":
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
