"""A small HTTP(S) server on loopback with canned answers, for netguard and autoconfig.

    with HTTPServer() as server:
        server.serve("/mail/config-v1.1.xml", b"<clientConfig/>")
        server.redirect("/old", "/mail/config-v1.1.xml")
        fetch_url(server.url("/old"), allow_private=True)

Routes are matched on the path alone, whatever the method (GET or POST); every
request is recorded (path, query, headers, method, body). ``drip`` routes send
their bytes slowly, to test time caps.
"""

import ssl
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from tests.harness.ports import LOOPBACK


@dataclass(frozen=True)
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # "body": headers at once, then the body a byte at a time;
    # "headers": the status line, then endless header lines a byte at a time.
    drip: Literal["", "body", "headers"] = ""
    # Send the body without Content-Length, ending it by closing the connection.
    unsized: bool = False


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    query: str
    headers: dict[str, str]
    method: str = "GET"
    body: bytes = b""


DRIP_INTERVAL = 0.02
DRIP_LIMIT = 5.0  # seconds: a dripping handler always ends, even if nobody hangs up


class HTTPServer:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self._httpd = ThreadingHTTPServer((LOOPBACK, 0), _handler_class(self))
        self._httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.scheme = "https"
        self._thread = threading.Thread(target=self._serve, name="test-http", daemon=True)
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def url(self, path: str, host: str = LOOPBACK) -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def serve(self, path: str, body: bytes, status: int = 200, **options) -> None:
        headers = {"Content-Type": "application/xml", **options.pop("headers", {})}
        self.routes[path] = Route(status, body, headers, **options)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.routes[path] = Route(status, headers={"Location": location})

    def _serve(self) -> None:
        self._httpd.serve_forever(poll_interval=0.02)  # quick shutdown between tests

    def __enter__(self) -> "HTTPServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=2)


def _handler_class(server: HTTPServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.record_and_answer(b"")

        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "0")
            self.record_and_answer(self.rfile.read(int(length) if length.isdigit() else 0))

        def record_and_answer(self, body: bytes) -> None:
            parts = urlsplit(self.path)
            recorded = RecordedRequest(
                parts.path, parts.query, dict(self.headers), self.command, body
            )
            server.requests.append(recorded)
            route = server.routes.get(parts.path, Route(404, b"not found"))
            # The client may hang up first, which is what some tests want.
            with suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
                _answer(self, route, server.stopping)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _answer(handler: BaseHTTPRequestHandler, route: Route, stopping: threading.Event) -> None:
    if route.drip == "headers":
        _drip(handler, b"HTTP/1.1 200 OK\r\n" + b"X-Slow: y\r\n" * 10_000, stopping)
        return
    handler.send_response(route.status)
    for name, value in route.headers.items():
        handler.send_header(name, value)
    if not route.unsized:
        handler.send_header("Content-Length", str(len(route.body)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    if route.drip == "body":
        _drip(handler, route.body, stopping)
    else:
        handler.wfile.write(route.body)
    handler.close_connection = True


def _drip(handler: BaseHTTPRequestHandler, data: bytes, stopping: threading.Event) -> None:
    handler.wfile.flush()
    ends = time.monotonic() + DRIP_LIMIT
    for index in range(len(data)):
        if stopping.is_set() or time.monotonic() > ends:
            return
        handler.wfile.write(data[index : index + 1])
        handler.wfile.flush()
        time.sleep(DRIP_INTERVAL)
