"""A real SMTP server (aiosmtpd) with three listeners, message capture and fault injection.

Listeners, all on free loopback ports:
- "submission": port-587 style, STARTTLS required, AUTH offered only after STARTTLS.
- "smtps": port-465 style, implicit TLS, AUTH offered right away.
- "plain": port-25 style, never TLS; AUTH offered or not (`offer_plain_auth`).
"""

import asyncio
import email
import email.policy
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.harness.ports import LOOPBACK, free_port

DEFAULT_SIZE_LIMIT = 10 * 1024 * 1024
SERVER_HOSTNAME = "localhost"

Listener = Literal["submission", "smtps", "plain"]
Stage = Literal["connect", "mail", "rcpt", "data"]
STAGES: tuple[Stage, ...] = ("connect", "mail", "rcpt", "data")

_START_ATTEMPTS = 3
_AUTH_REQUIRED = "530 5.7.0 Authentication required"


@dataclass(frozen=True)
class ReceivedMessage:
    listener: Listener
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    auth_user: str | None
    mail_options: tuple[str, ...]

    def parsed(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class _Fault:
    reply: str
    remaining: int


class _ServerState:
    """Everything tests configure or inspect; shared by the listeners' event-loop threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received = threading.Condition(self._lock)
        self._messages: list[ReceivedMessage] = []
        self._users: dict[str, str] = {}
        self._faults: dict[Stage, deque[_Fault]] = {stage: deque() for stage in STAGES}
        self._refused_recipients: dict[str, str] = {}
        self._data_disruptions: deque[Literal["hang", "drop"]] = deque()
        self.offer_plain_auth = True

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            for queue in self._faults.values():
                queue.clear()
            self._refused_recipients.clear()
            self._data_disruptions.clear()
            self.offer_plain_auth = True

    # -- messages

    def record(self, message: ReceivedMessage) -> None:
        with self._received:
            self._messages.append(message)
            self._received.notify_all()

    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def clear_messages(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float) -> list[ReceivedMessage]:
        with self._received:
            if not self._received.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} message(s) within {timeout}s, got {len(self._messages)}"
                )
            return list(self._messages)

    # -- users

    def add_user(self, name: str, password: str) -> None:
        with self._lock:
            self._users[name] = password

    def check_password(self, name: str, password: str) -> bool:
        with self._lock:
            return name in self._users and self._users[name] == password

    # -- faults

    def add_fault(self, stage: Stage, reply: str, times: int) -> None:
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, not {stage!r}")
        with self._lock:
            self._faults[stage].append(_Fault(reply, times))

    def take_fault(self, stage: Stage) -> str | None:
        with self._lock:
            queue = self._faults[stage]
            if not queue:
                return None
            fault = queue[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                queue.popleft()
            return fault.reply

    def refuse_recipient(self, address: str, reply: str) -> None:
        with self._lock:
            self._refused_recipients[address.lower()] = reply

    def refusal_for(self, address: str) -> str | None:
        with self._lock:
            return self._refused_recipients.get(address.lower())

    def add_data_disruption(self, kind: Literal["hang", "drop"], times: int) -> None:
        with self._lock:
            self._data_disruptions.extend([kind] * times)

    def take_data_disruption(self) -> Literal["hang", "drop"] | None:
        with self._lock:
            return self._data_disruptions.popleft() if self._data_disruptions else None


class _Handler:
    """aiosmtpd hooks for one listener."""

    # No attribute may start with "auth_": aiosmtpd would offer it as an AUTH mechanism.
    def __init__(self, state: _ServerState, listener: Listener, *, requires_auth: bool) -> None:
        self.state = state
        self.listener = listener
        self.requires_auth = requires_auth

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.requires_auth and not session.authenticated:
            return _AUTH_REQUIRED
        if reply := self.state.take_fault("mail"):
            return reply
        # Implementing this hook means doing aiosmtpd's default bookkeeping ourselves.
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if reply := self.state.take_fault("rcpt") or self.state.refusal_for(address):
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if reply := self.state.take_fault("data"):
            return reply
        self.state.record(self._received_message(session, envelope))
        if disruption := self.state.take_data_disruption():
            if disruption == "drop":
                server.transport.close()
            # Never answer: aiosmtpd cancels this coroutine when the connection goes away.
            await asyncio.get_running_loop().create_future()
        return "250 2.0.0 OK: queued"

    def _received_message(self, session: Session, envelope: Envelope) -> ReceivedMessage:
        return ReceivedMessage(
            listener=self.listener,
            mail_from=envelope.mail_from,
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=envelope.original_content,
            auth_user=session.auth_data if session.authenticated else None,
            mail_options=tuple(envelope.mail_options),
        )


class _FaultableSMTP(SMTP):
    async def _handle_client(self) -> None:
        # aiosmtpd has no hook for the greeting, so a "connect" fault replaces it here.
        reply = self.event_handler.state.take_fault("connect")
        if reply is None:
            await super()._handle_client()
            return
        await self.push(reply)
        self.transport.close()


class _ListenerController(Controller):
    def __init__(self, handler: _Handler, options_at_connect: Callable[[], dict], **kwargs):
        super().__init__(handler, **kwargs)
        self._options_at_connect = options_at_connect

    def factory(self) -> SMTP:
        # Called for every new connection, so options may change between tests.
        return _FaultableSMTP(self.handler, **self.SMTP_kwargs, **self._options_at_connect())


class SMTPServer:
    """Start with `start()` (or as a context manager); always `stop()`."""

    def __init__(
        self,
        cert: Path,
        key: Path,
        *,
        size_limit: int = DEFAULT_SIZE_LIMIT,
        hostname: str = SERVER_HOSTNAME,
    ) -> None:
        self.size_limit = size_limit
        self._hostname = hostname
        self._tls_context = _server_tls_context(cert, key)
        self._state = _ServerState()
        self._controllers: dict[Listener, _ListenerController] = {}

    # -- lifecycle

    def start(self) -> "SMTPServer":
        try:
            self._start_listener("submission", self._submission_options)
            self._start_listener("smtps", self._smtps_options)
            self._start_listener("plain", self._plain_options)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for controller in self._controllers.values():
            controller.stop()
        self._controllers.clear()

    def __enter__(self) -> "SMTPServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- connection details

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def submission_port(self) -> int:
        return self._controllers["submission"].port

    @property
    def smtps_port(self) -> int:
        return self._controllers["smtps"].port

    @property
    def plain_port(self) -> int:
        return self._controllers["plain"].port

    @property
    def offer_plain_auth(self) -> bool:
        """Whether new connections to the plain listener see AUTH in EHLO (default True)."""
        return self._state.offer_plain_auth

    @offer_plain_auth.setter
    def offer_plain_auth(self, offered: bool) -> None:
        self._state.offer_plain_auth = offered

    # -- users and captured mail

    def add_user(self, name: str, password: str) -> None:
        self._state.add_user(name, password)

    @property
    def messages(self) -> list[ReceivedMessage]:
        return self._state.messages()

    def clear(self) -> None:
        """Forget received messages."""
        self._state.clear_messages()

    def reset(self) -> None:
        """Forget messages, pending faults and refusals; offer AUTH on plain again. Keeps users."""
        self._state.reset()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least `count` messages arrived; return all of them."""
        return self._state.wait_for(count, timeout)

    # -- fault injection

    def fail_next(self, stage: Stage, code: int, text: str, times: int = 1) -> None:
        """Answer the next `times` connects/MAIL/RCPT/end-of-DATA with `code text`."""
        self._state.add_fault(stage, f"{code} {text}", times)

    def refuse_recipient(self, address: str, code: int, text: str) -> None:
        """Answer every RCPT TO for `address` with `code text` (other recipients pass)."""
        self._state.refuse_recipient(address, f"{code} {text}")

    def hang_after_data(self, times: int = 1) -> None:
        """Record the next message, then never reply and keep the connection open."""
        self._state.add_data_disruption("hang", times)

    def drop_after_data(self, times: int = 1) -> None:
        """Record the next message, then close the connection without replying."""
        self._state.add_data_disruption("drop", times)

    # -- internals

    def _start_listener(self, listener: Listener, options: Callable[[], dict]) -> None:
        # Another process may take our "free" port before we bind it.
        for attempt in range(1, _START_ATTEMPTS + 1):
            controller = self._build_controller(listener, options, free_port())
            try:
                controller.start()
            except OSError:
                controller.stop(no_assert=True)
                if attempt == _START_ATTEMPTS:
                    raise
                continue
            self._controllers[listener] = controller
            return

    def _build_controller(
        self, listener: Listener, options: Callable[[], dict], port: int
    ) -> _ListenerController:
        return _ListenerController(
            _Handler(self._state, listener, requires_auth=listener != "plain"),
            options,
            hostname=LOOPBACK,
            port=port,
            ssl_context=self._tls_context if listener == "smtps" else None,
            server_hostname=self._hostname,
            data_size_limit=self.size_limit,
            authenticator=self._authenticate,
        )

    def _submission_options(self) -> dict:
        return {"tls_context": self._tls_context, "require_starttls": True}

    def _smtps_options(self) -> dict:
        # aiosmtpd only counts STARTTLS as TLS, so on implicit TLS it must be told
        # explicitly that AUTH is fine.
        return {"auth_require_tls": False}

    def _plain_options(self) -> dict:
        # Without a tls_context, auth_require_tls=True hides AUTH from EHLO and refuses it.
        return {"auth_require_tls": not self._state.offer_plain_auth}

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            name = auth_data.login.decode("utf-8", errors="replace")
            password = auth_data.password.decode("utf-8", errors="replace")
            if self._state.check_password(name, password):
                return AuthResult(success=True, auth_data=name)
        # handled=False makes aiosmtpd answer 535 5.7.8.
        return AuthResult(success=False, handled=False)


def _server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context
