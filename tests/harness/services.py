"""PostgreSQL and Redis for the test suite: the machine's own when reachable,
otherwise private throw-away instances on loopback high ports.

No Django here: this runs before settings are loaded.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tests.harness.ports import free_port


class ServiceUnavailable(RuntimeError):
    """A service the tests need is neither reachable nor startable."""


def is_reachable(url: str, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    default_port = {"redis": 6379, "rediss": 6379}.get(parts.scheme, 5432)
    try:
        with socket.create_connection((parts.hostname, parts.port or default_port), timeout):
            return True
    except OSError:
        return False


def wait_for_port(port: int, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.05)
    detail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise ServiceUnavailable(f"{what} did not open port {port} within {timeout}s.\n{detail}")


@dataclass
class PrivateService:
    url: str
    process: subprocess.Popen | None = None
    directory: Path | None = None
    stop_command: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.stop_command:
            subprocess.run(self.stop_command, capture_output=True, check=False, timeout=60)
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_private_redis() -> PrivateService:
    binary = shutil.which("redis-server")
    if not binary:
        raise ServiceUnavailable("Redis is not reachable and redis-server is not installed.")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, 10, "redis-server")
    return PrivateService(url=f"redis://127.0.0.1:{port}/0", process=process)


def postgres_bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ServiceUnavailable("PostgreSQL is not reachable and initdb is not installed.")


def as_postgres_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI and our machines run tests as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def start_private_postgres() -> PrivateService:
    bin_dir = postgres_bin_dir()
    directory = Path(tempfile.mkdtemp(prefix="courriel-pg-"))
    directory.chmod(0o755)
    data = directory / "data"
    log = directory / "postgres.log"
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    subprocess.run(as_postgres_user([*initdb, "-E", "UTF8"]), check=True, capture_output=True)
    port = free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {directory} -c fsync=off"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log)]
    started = subprocess.run(
        as_postgres_user([*pg_ctl, "-o", options, "-w", "start"]), capture_output=True, text=True
    )
    if started.returncode != 0:
        raise ServiceUnavailable(f"PostgreSQL did not start: {started.stdout}{started.stderr}")
    wait_for_port(port, 30, "PostgreSQL", log)
    return PrivateService(
        url=f"postgres://postgres@127.0.0.1:{port}/courriel",
        directory=directory,
        stop_command=as_postgres_user([*pg_ctl, "-m", "immediate", "stop"]),
    )
