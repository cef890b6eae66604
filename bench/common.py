"""What every benchmark needs: servers, Django on a throw-away database, timing,
memory, and the results table.

Nothing here imports Django at module level: settings must come from the
environment that ``configure_django`` prepares.
"""

import base64
import multiprocessing
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tests.harness import dovecot as dovecot_harness
from tests.harness import services
from tests.harness.certs import generate_certificates

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/courriel_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def log(message: str) -> None:
    """Progress goes to stderr: stdout is for the table and the JSON line."""
    print(message, file=sys.stderr, flush=True)


# -- timing --------------------------------------------------------------------------------------


def timed(function: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def best_of(runs: int, function: Callable[[], Any]) -> float:
    return min(timed(function)[0] for _ in range(runs))


def cpu_seconds() -> float:
    """CPU time of this process (every thread, user and system): less moved by other
    work on the machine than the wall clock, though it leaves out the servers' share."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def best_cpu_of(runs: int, function: Callable[[], Any]) -> float:
    """The least CPU time of ``runs`` calls."""
    spent = []
    for _ in range(runs):
        started = cpu_seconds()
        function()
        spent.append(cpu_seconds() - started)
    return min(spent)


def median_of(runs: int, function: Callable[[], Any]) -> float:
    return statistics.median(timed(function)[0] for _ in range(runs))


# -- memory --------------------------------------------------------------------------------------


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024  # the kernel reports kB
    except OSError:
        pass
    return None


def rss_mb() -> float | None:
    return _status_mb("VmRSS")


def reset_peak_rss() -> bool:
    """Restart the kernel's peak-RSS counter (VmHWM) from the current RSS, so that
    the next ``peak_rss_mb`` covers only what ran in between. False where the
    kernel does not allow it; the peak then covers the process's whole life."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    peak = _status_mb("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


# -- processes -----------------------------------------------------------------------------------


class ChildFailed(RuntimeError):
    pass


def run_in_child(function: Callable[..., Any], *args: Any) -> Any:
    """``function(*args)`` in a forked process; returns its (picklable) result.

    The work's memory then never shows in this process's peak RSS. Fork before
    Django opens database connections (the child must not share them)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, function, args), daemon=True)
    child.start()
    sender.close()
    try:
        succeeded, payload = receiver.recv()
    except EOFError:
        child.join()
        raise ChildFailed(f"{function.__name__} died (exit code {child.exitcode})") from None
    except BaseException:
        child.terminate()
        child.join()
        raise
    child.join()
    if not succeeded:
        raise ChildFailed(f"{function.__name__} failed in a child process:\n{payload}")
    return payload


def _child_main(sender, function: Callable[..., Any], args: tuple) -> None:
    try:
        outcome = (True, function(*args))
    except BaseException:
        outcome = (False, traceback.format_exc())
    sender.send(outcome)
    sender.close()


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C does, so every cleanup still runs."""

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, leave)


# -- services ------------------------------------------------------------------------------------


def _service_url(stack: ExitStack, name: str, default: str, start_private) -> str:
    url = os.environ.get(name) or default
    if services.is_reachable(url):
        return url
    log(f"{name}: nothing answers at {redacted(url)}; starting a private server")
    private = start_private()
    stack.callback(private.stop)
    return private.url


def redacted(url: str) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.hostname}:{parts.port}" if parts.port else parts.hostname or ""
    return urlunsplit(parts._replace(netloc=netloc))


def postgres_server(stack: ExitStack) -> str:
    """$DATABASE_URL (or the default) when it answers, else a private PostgreSQL
    stopped when ``stack`` closes."""
    return _service_url(
        stack, "DATABASE_URL", DEFAULT_DATABASE_URL, services.start_private_postgres
    )


def redis_server(stack: ExitStack) -> str:
    return _service_url(stack, "REDIS_URL", DEFAULT_REDIS_URL, services.start_private_redis)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _administer(server_url: str, statement: sql.Composable) -> None:
    # Django's settings take the password from DATABASE_PASSWORD when it is not in the URL.
    password = os.environ.get("DATABASE_PASSWORD")
    options = {"password": password} if password else {}
    maintenance = _with_database(server_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True, **options) as connection:
        connection.execute(statement)


@contextmanager
def throwaway_database(server_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server of ``server_url``, yield its URL,
    and drop it on the way out (WITH FORCE: a stray connection cannot keep it)."""
    _administer(server_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(server_url, name)
    finally:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        _administer(server_url, drop.format(sql.Identifier(name)))


def purge_cache_keys(redis_url: str, prefix: str) -> None:
    """Django's Redis cache keys are "<prefix>:<version>:<key>"."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            client.delete(key)
    finally:
        client.close()


# -- Django --------------------------------------------------------------------------------------


def configure_django(*, database_url: str, redis_url: str, var_dir: Path, **settings: str) -> None:
    """Production-shaped settings (DEBUG off) from the environment, as the
    tests do, with fresh secrets; ``settings`` adds or overrides variables."""
    environment = {
        "DJANGO_SETTINGS_MODULE": "webmail.settings",
        "DEBUG": "false",
        "HTTPS_ONLY": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "CREDENTIALS_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "VAR_DIR": str(var_dir),
        **settings,
    }
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(environment)
    import django

    django.setup()


def migrate() -> None:
    """In a subprocess, so that the migration machinery's memory stays out of ours."""
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        check=True,
        cwd=REPO_ROOT,
    )


def close_django_connections() -> None:
    from django.db import connections

    connections.close_all()


def prepare_django(
    stack: ExitStack, workdir: Path, ca_file: Path, name: str, **settings: str
) -> tuple[str, str]:
    """A throw-away database and cache namespace named after ``name`` and this
    process, Django configured on them and migrated; all undone by ``stack``.
    Returns (redis_url, the run's unique tag)."""
    database_server = postgres_server(stack)
    redis_url = redis_server(stack)
    tag = f"{name}-{os.getpid()}"
    database_url = stack.enter_context(throwaway_database(database_server, tag.replace("-", "_")))
    stack.callback(purge_cache_keys, redis_url, tag)
    configure_django(
        database_url=database_url,
        redis_url=redis_url,
        var_dir=workdir / "var",
        MAIL_CA_FILE=str(ca_file),
        CACHE_KEY_PREFIX=tag,
        LOG_LEVEL="WARNING",
        **settings,
    )
    migrate()
    stack.callback(close_django_connections)
    return redis_url, tag


# -- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One measured value and, when it has one, the bound it must stay under."""

    label: str
    value: float | None
    unit: str  # "s" or "MB"
    limit: float | None = None
    target: str = ""  # the bound as people read it: "<= 3x floor", "<= 1 s"
    ratio: float | None = None
    ratio_basis: str = ""  # what the ratio divides by: "floor", "target"

    @property
    def passed(self) -> bool | None:
        if self.limit is None or self.value is None:
            return None
        return self.value <= self.limit


def _format_value(figure: Figure) -> str:
    if figure.value is None:
        return "—"
    digits = 1 if figure.unit == "MB" else 3
    return f"{figure.value:.{digits}f} {figure.unit}"


def _format_row(figure: Figure) -> list[str]:
    ratio = f"{figure.ratio:.2f}x {figure.ratio_basis}" if figure.ratio is not None else ""
    verdict = {True: "pass", False: "FAIL", None: ""}[figure.passed]
    return [figure.label, _format_value(figure), figure.target, ratio, verdict]


def print_table(figures: list[Figure]) -> None:
    rows = [["measure", "value", "target", "ratio", "result"]]
    rows += [_format_row(figure) for figure in figures]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


UNLIMITED_QUOTA_MB = 1_000_000


def start_dovecot(stack: ExitStack, workdir: Path) -> "dovecot_harness.Dovecot":
    """The test fixtures' Dovecot, stopped by ``stack``. Their quota (10 MB, for the
    quota tests) would refuse a benchmark's mailbox; the configuration reads the
    constant when the server starts."""
    certs = generate_certificates(workdir / "certs")
    dovecot_harness.QUOTA_STORAGE_MB = UNLIMITED_QUOTA_MB
    server = dovecot_harness.Dovecot(certs).start()
    stack.callback(server.stop)
    return server
