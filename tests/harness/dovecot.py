"""A private, throw-away Dovecot (IMAP + POP3) for integration tests.

Every instance lives in its own temporary directory with its own base_dir, state_dir,
instance_name and free loopback ports, so pytest-xdist workers never share one.
"""

import atexit
import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

from tests.harness.certs import CertificateSet
from tests.harness.ports import LOOPBACK, free_ports, is_listening

DOVECOT_BINARY = "/usr/sbin/dovecot"
DOVEADM_BINARY = "/usr/bin/doveadm"
DOVECONF_BINARY = "/usr/bin/doveconf"

MAIL_DOMAIN = "courriel.test"
QUOTA_STORAGE_MB = 10
QUOTA_STORAGE_BYTES = QUOTA_STORAGE_MB * 1024 * 1024
# IMAP QUOTA (RFC 9208) counts STORAGE in units of 1024 octets.
QUOTA_STORAGE_KIB = QUOTA_STORAGE_BYTES // 1024
QUOTA_ROOT_NAME = "User quota"
SPECIAL_USE_MAILBOXES = {
    "Drafts": r"\Drafts",
    "Sent": r"\Sent",
    "Trash": r"\Trash",
    "Junk": r"\Junk",
    "Archive": r"\Archive",
}

_START_ATTEMPTS = 3
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0
_KICK_TIMEOUT = 5.0
_APPEND_BATCH = 500
_APPENDUID = re.compile(rb"\[APPENDUID \d+ ([0-9:,]+)\]")
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]*")


class DovecotError(RuntimeError):
    pass


@dataclass(frozen=True)
class MailUser:
    name: str
    password: str

    @property
    def address(self) -> str:
        return f"{self.name}@{MAIL_DOMAIN}"


@dataclass(frozen=True)
class _Ports:
    imap: int
    imaps: int
    pop3: int
    pop3s: int

    @classmethod
    def pick(cls) -> "_Ports":
        return cls(*free_ports(4))

    def all(self) -> tuple[int, ...]:
        return (self.imap, self.imaps, self.pop3, self.pop3s)


@dataclass(frozen=True)
class _Accounts:
    """Passwords and mail homes; shared by an instance and its TLS variants."""

    passwd_dir: Path
    home_root: Path

    @classmethod
    def create_in(cls, directory: Path) -> "_Accounts":
        nobody = pwd.getpwnam("nobody")
        passwd_dir = directory / "passwd"
        passwd_dir.mkdir(mode=0o755)
        home_root = directory / "home"
        home_root.mkdir(mode=0o755)
        # Dovecot creates each home as `nobody`, so the parent must be theirs.
        os.chown(home_root, nobody.pw_uid, nobody.pw_gid)
        return cls(passwd_dir, home_root)

    def passwd_file_of(self, name: str) -> Path:
        return self.passwd_dir / name

    def home_of(self, user: MailUser) -> Path:
        return self.home_root / user.name

    def stored_password(self, name: str) -> str | None:
        try:
            line = self.passwd_file_of(name).read_text()
        except FileNotFoundError:
            return None
        return line.rstrip("\n").split(":", 1)[1].removeprefix("{PLAIN}")

    def store(self, user: MailUser) -> None:
        # Written aside and renamed so that Dovecot never reads half a line.
        final = self.passwd_file_of(user.name)
        partial = final.with_name(f".{user.name}.partial")
        partial.write_text(f"{user.name}:{{PLAIN}}{user.password}\n")
        partial.chmod(0o644)
        partial.rename(final)


class Dovecot:
    """Start with `start()` (or as a context manager); always `stop()`."""

    def __init__(
        self,
        certs: CertificateSet,
        *,
        cert: Path | None = None,
        key: Path | None = None,
        share_users_with: "Dovecot | None" = None,
    ) -> None:
        self._certs = certs
        self._cert = cert or certs.server_cert
        self._key = key or certs.server_key
        self._parent = share_users_with
        self._workdir: Path | None = None
        self._accounts: _Accounts | None = None
        self._ports: _Ports | None = None
        self._process: subprocess.Popen | None = None
        self._variants: dict[tuple[Path, Path], Dovecot] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> "Dovecot":
        if self._process is not None:
            raise DovecotError("Dovecot already started")
        self._workdir = _make_traversable_tempdir()
        self._accounts = (
            self._parent._require_accounts() if self._parent else _Accounts.create_in(self._workdir)
        )
        atexit.register(self.stop)
        try:
            self._start_with_retries()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        instances = [*self._variants.values(), self]
        # Dovecot's master takes about a second to exit, so stop them all in parallel.
        for instance in instances:
            instance._begin_shutdown()
        for instance in instances:
            instance._finish_shutdown()
        self._variants.clear()
        atexit.unregister(self.stop)

    def __enter__(self) -> "Dovecot":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def start_tls_variant(self, cert: Path, key: Path) -> "Dovecot":
        """A second instance serving `cert` on all four listeners, with the same users/mail.

        Dovecot 2.3 picks certificates per local IP/SNI name, not per port, so a certificate
        error scenario on 127.0.0.1 needs its own instance. Started once per (cert, key) and
        stopped together with this instance.
        """
        if (cert, key) not in self._variants:
            variant = Dovecot(self._certs, cert=cert, key=key, share_users_with=self)
            self._variants[(cert, key)] = variant.start()
        return self._variants[(cert, key)]

    # -- connection details ----------------------------------------------------------------

    @property
    def host(self) -> str:
        return LOOPBACK

    @property
    def imap_port(self) -> int:
        return self._require_ports().imap

    @property
    def imaps_port(self) -> int:
        return self._require_ports().imaps

    @property
    def pop3_port(self) -> int:
        return self._require_ports().pop3

    @property
    def pop3s_port(self) -> int:
        return self._require_ports().pop3s

    @property
    def ca_cert(self) -> Path:
        return self._certs.ca_cert

    @property
    def config_path(self) -> Path:
        return self._require_workdir() / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self._require_workdir() / "dovecot.log"

    def read_log(self) -> str:
        return _read_text(self.log_path) + _read_text(self._stderr_path)

    # -- users and mail ----------------------------------------------------------------------

    def add_user(self, name: str | None = None, password: str | None = None) -> MailUser:
        """Create a user, usable immediately. An existing name keeps its password."""
        accounts = self._require_accounts()
        name = name or f"user-{secrets.token_hex(4)}"
        _validate_name(name)
        existing_password = accounts.stored_password(name)
        if existing_password is not None:
            if password not in (None, existing_password):
                raise ValueError(f"user {name!r} already exists with another password")
            return MailUser(name, existing_password)
        user = MailUser(name, password or secrets.token_urlsafe(12))
        _validate_password(user.password)
        accounts.store(user)
        return user

    def reset_user(self, user: MailUser) -> None:
        """Disconnect the user everywhere and delete all their mail."""
        for instance in (self, *self._variants.values()):
            instance._kick(user)
        shutil.rmtree(self._require_accounts().home_of(user), ignore_errors=True)

    def deliver(
        self,
        user: MailUser,
        raw_message: bytes,
        folder: str = "INBOX",
        flags: Sequence[str] = (),
        received_at: datetime | None = None,
    ) -> int:
        """APPEND one message and return its UID."""
        with self._imap_session(user) as imap:
            response = imap.append(folder, raw_message, flags=flags, msg_time=received_at)
        return _appended_uids(response)[0]

    def deliver_many(
        self, user: MailUser, raw_messages: Iterable[bytes], folder: str = "INBOX"
    ) -> list[int]:
        """APPEND many messages over one connection (MULTIAPPEND batches); return their UIDs."""
        messages = list(raw_messages)
        uids: list[int] = []
        with self._imap_session(user) as imap:
            for start in range(0, len(messages), _APPEND_BATCH):
                batch = messages[start : start + _APPEND_BATCH]
                uids.extend(_appended_uids(_multiappend(imap, folder, batch)))
        return uids

    def doveadm(self, *args: str, stdin: bytes | None = None) -> str:
        """Run `doveadm <args>` against this instance and return its stdout."""
        result = self._run_doveadm(*args, stdin=stdin)
        if result.returncode != 0:
            raise DovecotError(
                f"doveadm {' '.join(args)} exited with {result.returncode}: "
                f"{result.stderr.decode(errors='replace')}"
            )
        return result.stdout.decode(errors="replace")

    # -- internals ---------------------------------------------------------------------------

    @property
    def _stderr_path(self) -> Path:
        return self._require_workdir() / "dovecot.stderr"

    def _start_with_retries(self) -> None:
        # Another process may grab one of our "free" ports before Dovecot binds it.
        for attempt in range(1, _START_ATTEMPTS + 1):
            self._ports = _Ports.pick()
            self._write_config()
            self._check_config()
            self._spawn()
            try:
                self._wait_until_listening()
                return
            except DovecotError:
                self._begin_shutdown()
                _reap_process_group(self._process)
                self._process = None
                if attempt == _START_ATTEMPTS or "Address already in use" not in self.read_log():
                    raise
                self.log_path.unlink(missing_ok=True)

    def _write_config(self) -> None:
        workdir = self._require_workdir()
        accounts = self._require_accounts()
        self.config_path.write_text(
            _render_config(
                instance_name=f"courriel-test-{os.getpid()}-{secrets.token_hex(4)}",
                workdir=workdir,
                log_path=self.log_path,
                cert=self._cert,
                key=self._key,
                accounts=accounts,
                ports=self._require_ports(),
            )
        )

    def _check_config(self) -> None:
        result = subprocess.run(
            [DOVECONF_BINARY, "-c", str(self.config_path), "-n"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise DovecotError(f"invalid Dovecot configuration:\n{result.stderr}")

    def _spawn(self) -> None:
        with self._stderr_path.open("ab") as stderr:
            self._process = subprocess.Popen(
                [*_DIE_WITH_PARENT, DOVECOT_BINARY, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                # Own process group: stop() can reap every child Dovecot forked.
                start_new_session=True,
            )

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        pending = list(self._require_ports().all())
        while pending:
            if self._process.poll() is not None:
                raise DovecotError(f"Dovecot exited at start-up:\n{self.read_log()}")
            if time.monotonic() > deadline:
                raise DovecotError(f"Dovecot not listening on {pending}:\n{self.read_log()}")
            pending = [port for port in pending if not is_listening(port)]
            if pending:
                time.sleep(0.02)

    def _begin_shutdown(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()

    def _finish_shutdown(self) -> None:
        if self._process is not None:
            _reap_process_group(self._process)
            self._process = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def _kick(self, user: MailUser) -> None:
        if self._process is None:
            return
        session_pids = self._session_pids(user)
        # Exits with 68 if the sessions ended in the meantime; nothing left to kick then.
        self._run_doveadm("kick", user.name)
        if not _wait_until_exited(session_pids, _KICK_TIMEOUT):
            raise DovecotError(f"{user.name} still connected after doveadm kick")

    def _session_pids(self, user: MailUser) -> list[int]:
        # `who -1` prints a header line, then "username proto pid ip" per connection.
        rows = self.doveadm("who", "-1", user.name).splitlines()[1:]
        return [int(row.split()[2]) for row in rows if row.strip()]

    def _run_doveadm(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [DOVEADM_BINARY, "-c", str(self.config_path), *args],
            input=stdin,
            capture_output=True,
            timeout=30,
        )

    def _imap_session(self, user: MailUser) -> "_LoggedInIMAP":
        return _LoggedInIMAP(self.host, self.imap_port, user)

    def _require_workdir(self) -> Path:
        if self._workdir is None:
            raise DovecotError("Dovecot is not started")
        return self._workdir

    def _require_accounts(self) -> _Accounts:
        if self._accounts is None:
            raise DovecotError("Dovecot is not started")
        return self._accounts

    def _require_ports(self) -> _Ports:
        if self._ports is None:
            raise DovecotError("Dovecot is not started")
        return self._ports


class _LoggedInIMAP:
    """Plain IMAP on loopback: Dovecot counts it as secured, see the config comment."""

    def __init__(self, host: str, port: int, user: MailUser) -> None:
        self._client = IMAPClient(host, port=port, ssl=False, timeout=30)
        self._user = user

    def __enter__(self) -> IMAPClient:
        self._client.login(self._user.name, self._user.password)
        return self._client

    def __exit__(self, *exc_info) -> None:
        self._client.logout()


# setpriv makes Dovecot's master get SIGTERM if the test process dies without cleaning
# up. Linux fires it when the *thread* that spawned it exits, so start Dovecot from the
# main thread (pytest fixtures do).
_DIE_WITH_PARENT = ("/usr/bin/setpriv", "--pdeathsig", "TERM", "--")


def _render_config(
    *,
    instance_name: str,
    workdir: Path,
    log_path: Path,
    cert: Path,
    key: Path,
    accounts: _Accounts,
    ports: _Ports,
) -> str:
    nobody = pwd.getpwnam("nobody")
    mailboxes = "\n".join(
        f"  mailbox {name} {{\n    special_use = {flag}\n    auto = subscribe\n  }}"
        for name, flag in SPECIAL_USE_MAILBOXES.items()
    )
    return f"""\
instance_name = {instance_name}
base_dir = {workdir / "run"}
state_dir = {workdir / "state"}
listen = {LOOPBACK}
protocols = imap pop3
log_path = {log_path}
info_log_path = {log_path}
debug_log_path = {log_path}
auth_verbose = yes

# Plaintext auth stays disabled as in production, but Dovecot counts a connection whose
# remote IP equals its local IP as "secured", so on 127.0.0.1 LOGIN / USER+PASS work
# without STARTTLS. That is how tests get an insecure plain connection; refusing to send
# a password in clear is Courriel's job, not the server's.
disable_plaintext_auth = yes
auth_mechanisms = plain login
# Log in as "alice" or as "alice@courriel.test", as most providers allow; the
# domain is dropped before the passwd-file lookup.
auth_username_format = %Ln
# Answer failed logins at once rather than after 2 seconds.
auth_failure_delay = 0

ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2

# One passwd-file per user: Dovecot re-reads a changed passwd-file at most once a second
# and only if its mtime (in whole seconds) changed, so users added to one shared file
# would randomly be "unknown" for up to a second. A new file is read at first lookup.
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {accounts.passwd_dir}/%u
}}
userdb {{
  driver = static
  args = uid={nobody.pw_uid} gid={nobody.pw_gid} home={accounts.home_root}/%u
}}

mail_location = maildir:~/Maildir
# Tests deliver thousands of messages; crash safety does not matter here.
mail_fsync = never
# Tests open many connections per user from the same IP.
mail_max_userip_connections = 100
pop3_uidl_format = %08Xu%08Xv

namespace inbox {{
  inbox = yes
{mailboxes}
}}

mail_plugins = $mail_plugins quota
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}
plugin {{
  quota = maildir:{QUOTA_ROOT_NAME}
  quota_rule = *:storage={QUOTA_STORAGE_MB}M
}}

# Disable the per-IP auth penalty (Dovecot's documented way: auth may not open this
# socket). Otherwise one wrong-password test delays every later login from 127.0.0.1.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}

service imap-login {{
  inet_listener imap {{
    port = {ports.imap}
  }}
  inet_listener imaps {{
    port = {ports.imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {ports.pop3}
  }}
  inet_listener pop3s {{
    port = {ports.pop3s}
    ssl = yes
  }}
}}
"""


def _make_traversable_tempdir() -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="courriel-dovecot-"))
    # Dovecot's unprivileged processes (dovenull, dovecot, nobody) must reach inside.
    workdir.chmod(0o755)
    return workdir


def _reap_process_group(process: subprocess.Popen) -> None:
    """Wait for a SIGTERMed master, then make sure none of its children outlive it."""
    group = process.pid
    try:
        process.wait(timeout=_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(group)
        process.wait()
    if not _wait_until_exited(_live_group_members(group), _STOP_TIMEOUT):
        _kill_group(group)


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


def _wait_until_exited(pids: Iterable[int], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    remaining = list(pids)
    while remaining := [pid for pid in remaining if _is_alive(pid)]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _live_group_members(group: int) -> list[int]:
    # The master does not reap its children before exiting; orphaned zombies then wait for
    # PID 1, which in containers may be slow or never come. Zombies count as gone.
    return [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _stat_fields(stat)[2:3] == [str(group)] and _is_alive(int(stat.parent.name))
    ]


def _is_alive(pid: int) -> bool:
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return bool(fields) and fields[0] != "Z"


def _stat_fields(stat: Path) -> list[str]:
    """Fields of /proc/<pid>/stat after "(comm)": state, ppid, pgrp, ... ([] if gone)."""
    try:
        return stat.read_text().rpartition(")")[2].split()
    except OSError:
        return []


def _multiappend(imap: IMAPClient, folder: str, messages: list[bytes]) -> bytes:
    # Unlike append(), IMAPClient.multiappend() returns imaplib's raw (status, data) pair.
    status, data = imap.multiappend(folder, messages)
    if status != "OK":
        raise DovecotError(f"MULTIAPPEND to {folder!r} failed: {data!r}")
    return data[-1]


def _appended_uids(response: bytes) -> list[int]:
    match = _APPENDUID.search(response)
    if match is None:
        raise DovecotError(f"no APPENDUID in APPEND response: {response!r}")
    return _parse_uid_set(match.group(1).decode())


def _parse_uid_set(uid_set: str) -> list[int]:
    uids: list[int] = []
    for part in uid_set.split(","):
        first, _, last = part.partition(":")
        uids.extend(range(int(first), int(last or first) + 1))
    return uids


def _validate_name(name: str) -> None:
    # Lowercase because Dovecot's default auth_username_format (%Lu) lowercases logins;
    # no "/" because the name is also a file name.
    if not _USERNAME.fullmatch(name):
        raise ValueError(f"user name must be lowercase [a-z0-9._-]: {name!r}")


def _validate_password(password: str) -> None:
    if ":" in password or "\n" in password:
        raise ValueError("password must not contain ':' or a newline (passwd-file format)")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
