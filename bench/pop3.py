"""Benchmark of the POP3 download against the protocol floor (issue "POP3 accounts").

    .venv/bin/python bench/pop3.py [--messages 10000] [--seed 1] [--runs 3]
                                   [--profile]

Self-contained: it starts its own Dovecot as the test fixtures do, fills two
maildrops with the same generated mail (bench/corpus.py), uses PostgreSQL at
$DATABASE_URL (default postgres://postgres@127.0.0.1:5432) in a throw-away database
``courriel_bench_pop3_<pid>`` (or a private server if none answers), Redis at
$REDIS_URL, a throw-away media folder for raw messages, and removes everything on
the way out, Ctrl-C included. Everything goes over implicit TLS (port 995 style).

Measured in one run (the JSON key, then the target):
  poplib_s                    stdlib poplib: login, UIDL, RETR each, write each to a
                              file (no fsync), QUIT; best of --runs (2 at most)
  pipelined_floor_s           raw TLS socket: login, UIDL, RETR 1..N pipelined (the
                              window Courriel uses, 64), messages found by their
                              terminator and dropped,
                              QUIT; best of --runs
  courriel_s                  fetch_account() of a new account with the default
                              options: download, durable store (fsync), Message and
                              ledger rows in PostgreSQL, DELE everything, QUIT
                                                            <= 2 x pipelined_floor_s
  courriel_leave_on_server_s  the same with a copy left on the server (no DELE): the
                              same work as the floor        (information)
  courriel_store_in_memory_s  the same again, raw files written to tmpfs (/dev/shm):
                              what the fetch costs without the disk      (information)
  peak_rss_mb                 this process's peak during the fetches      <= 200 MB
  pipelined_floor_cpu_s, courriel_cpu_s, courriel_leave_on_server_cpu_s
                              CPU time of the floor's process and of this one
                              during the fetches (every thread; Dovecot's and
                              PostgreSQL's work not included)             (information)
  text_index_s                index_local_bodies() of every message of the default
                              account: search text,
                              read back from the store (a background task after
                              the fetch, as IMAP body indexing is)        (information)
and, to tell the disk's and the server's shares from Courriel's (information):
  store_floor_s               the files alone: hashed, written in the raw-store
                              layout (raw_path), renamed, one syncfs per 250; no
                              download, no database
  delete_floor_s              pipelined DELE of every message and QUIT (Dovecot
                              expunges them then), on the reference maildrop, last
  load_average_1min           the machine's load when the run ended: other work on
                              the same disk and cores moves every figure

Each maildrop gets one POP3 LIST before anything is timed, so that every measurement
meets a server that knows its messages' sizes (Dovecot computes them on the first
POP3 session and caches them). Courriel fetches an empty maildrop once before the
timed runs (imports, database connection), and each timed run starts with no raw
file stored: both fetches write every message (nothing is found already stored).

The fills and the references run in child processes, so the peak RSS is the fetch's
own (plus Django's). Prints a table, then, as the last line, one JSON object with
every figure. Exits 1 when a target is missed.
"""

import argparse
import cProfile
import itertools
import json
import os
import poplib
import pstats
import socket
import ssl
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from bench import common
from bench.common import Figure, log
from bench.corpus import MailboxGenerator
from tests.harness.certs import SERVER_HOSTNAME
from tests.harness.dovecot import Dovecot, MailUser
from webmail.mail.pop3 import PIPELINE_WINDOW

FILL_BATCH = 5_000  # messages per MULTIAPPEND connection: bounds the filler's memory
FLOOR_WINDOW = PIPELINE_WINDOW  # the same window as Courriel's
TERMINATOR = b"\r\n.\r\n"
READ_CHUNK = 256 * 1024
MAX_POPLIB_RUNS = 2

COURRIEL_LABEL = "Courriel fetch, default (delete)"
RSS_LABEL = "peak RSS during the fetches"
COURRIEL_MAX_RATIO = 2.0
PEAK_RSS_MAX_MB = 200.0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="maildrop size (10000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each reference (3)")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the default fetch under cProfile and print where its time goes (to "
        "stderr); its figure is then inflated",
    )
    return parser.parse_args(argv)


# -- the server and its maildrops (no Django) ----------------------------------------------------


def fill(server: Dovecot, user: MailUser, count: int, seed: int) -> dict:
    """Runs in a child process: generate and APPEND the maildrop, batch by batch."""
    generator = MailboxGenerator(seed)
    messages = generator.messages(count)
    started = time.perf_counter()
    while batch := list(itertools.islice(messages, FILL_BATCH)):
        server.deliver_many(user, batch)
    return {"fill_s": time.perf_counter() - started, "corpus": generator.stats.summary()}


def client_context(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def poplib_session(port: int, user: MailUser, ca_file: Path) -> poplib.POP3_SSL:
    client = poplib.POP3_SSL(SERVER_HOSTNAME, port, context=client_context(ca_file))
    client.user(user.name)
    client.pass_(user.password)
    return client


def warm_up(port: int, user: MailUser, ca_file: Path) -> int:
    """One LIST: Dovecot computes and caches every message's size on the first one."""
    client = poplib_session(port, user, ca_file)
    try:
        return len(client.list()[1])
    finally:
        client.quit()


def poplib_loop(port: int, user: MailUser, ca_file: Path, folder: Path) -> int:
    """The stdlib way: UIDL, then RETR each message and write it to a file."""
    client = poplib_session(port, user, ca_file)
    written = 0
    for line in client.uidl()[1]:
        number, unique_id = line.split()
        lines = client.retr(int(number))[1]
        path = folder / unique_id.decode()
        path.write_bytes(b"\r\n".join(lines) + b"\r\n")
        written += 1
    client.quit()
    return written


def measure_poplib(port: int, user: MailUser, ca_file: Path, runs: int, workdir: Path) -> dict:
    """Runs in a child process."""
    times = []
    for run in range(min(runs, MAX_POPLIB_RUNS)):
        folder = workdir / f"poplib-{run}"
        folder.mkdir()
        seconds, written = common.timed(poplib_loop, port, user, ca_file, folder)
        times.append(seconds)
    return {"poplib_s": min(times), "poplib_messages": written}


def read_line(handle) -> bytes:
    line = handle.readline()
    if not line.startswith(b"+OK"):
        raise RuntimeError(f"POP3 server said {line!r}")
    return line


def pipelined_retr(port: int, user: MailUser, ca_file: Path, count: int) -> int:
    """The floor: nothing parsed, nothing kept; each answer is found by its terminator."""
    raw = socket.create_connection((SERVER_HOSTNAME, port))
    sock = client_context(ca_file).wrap_socket(raw, server_hostname=SERVER_HOSTNAME)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    handle = sock.makefile("rb")
    read_line(handle)
    sock.sendall(f"USER {user.name}\r\nPASS {user.password}\r\nUIDL\r\n".encode())
    read_line(handle), read_line(handle), read_line(handle)
    while handle.readline() != b".\r\n":
        pass
    sent = answered = 0
    tail = b""

    def send(how_many: int) -> int:
        last = min(count, sent + how_many)
        sock.sendall(b"".join(b"RETR %d\r\n" % n for n in range(sent + 1, last + 1)))
        return last

    sent = send(FLOOR_WINDOW)
    while answered < count:
        data = tail + handle.read1(READ_CHUNK)
        done = data.count(TERMINATOR)
        answered += done
        tail = data[-(len(TERMINATOR) - 1) :]
        if done and sent < count:
            sent = send(done)
    sock.sendall(b"QUIT\r\n")
    read_line(handle)
    sock.close()
    return answered


def measure_floor(port: int, user: MailUser, ca_file: Path, runs: int, count: int) -> dict:
    """Runs in a child process."""
    seconds = common.best_of(runs, lambda: pipelined_retr(port, user, ca_file, count))
    cpu = common.best_cpu_of(runs, lambda: pipelined_retr(port, user, ca_file, count))
    return {"pipelined_floor_s": seconds, "pipelined_floor_cpu_s": cpu}


def store_floor(count: int, seed: int, folder: Path) -> dict:
    """Runs in a child process: what the disk costs for what the store must do, with
    no download and no database: each message hashed, written in the raw-store layout
    (``raw_path``) under a temporary name and renamed, and each 250 made durable by
    one syncfs."""
    import ctypes
    import hashlib

    from webmail.raw_store import raw_path

    syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    messages = list(MailboxGenerator(seed).messages(count))
    started = time.perf_counter()
    for index, data in enumerate(messages, start=1):
        digest = hashlib.sha256(data).hexdigest()
        path = folder / raw_path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".part")
        temporary.write_bytes(data)
        temporary.replace(path)
        if index % 250 == 0 or index == count:
            descriptor = os.open(path, os.O_RDONLY)
            syncfs(descriptor)
            os.close(descriptor)
    return {"store_floor_s": time.perf_counter() - started}


def delete_floor(port: int, user: MailUser, ca_file: Path, count: int) -> dict:
    """Runs in a child process, last (it empties the reference maildrop): pipelined
    DELE of every message, then QUIT, which is when Dovecot expunges them."""
    raw = socket.create_connection((SERVER_HOSTNAME, port))
    sock = client_context(ca_file).wrap_socket(raw, server_hostname=SERVER_HOSTNAME)
    handle = sock.makefile("rb")
    read_line(handle)
    sock.sendall(f"USER {user.name}\r\nPASS {user.password}\r\n".encode())
    read_line(handle), read_line(handle)
    started = time.perf_counter()
    for first in range(1, count + 1, FLOOR_WINDOW):
        last = min(count, first + FLOOR_WINDOW - 1)
        sock.sendall(b"".join(b"DELE %d\r\n" % n for n in range(first, last + 1)))
        for _ in range(first, last + 1):
            read_line(handle)
    sock.sendall(b"QUIT\r\n")
    read_line(handle)
    seconds = time.perf_counter() - started
    sock.close()
    return {"delete_floor_s": seconds}


def waiting(port: int, user: MailUser, ca_file: Path) -> int:
    client = poplib_session(port, user, ca_file)
    try:
        return client.stat()[0]
    finally:
        client.quit()


# -- Courriel ------------------------------------------------------------------------------------


def create_account(server: Dovecot, user: MailUser, owner_name: str, **options):
    from accounts.models import User
    from webmail.models import MailAccount
    from webmail.pop3.models import Pop3Options

    owner = User.objects.create_user(email=f"{owner_name}@courriel.test", password=None)
    account = MailAccount(
        user=owner,
        email=user.address,
        protocol="pop3",
        incoming_host=SERVER_HOSTNAME,
        incoming_port=server.pop3s_port,
        incoming_security="tls",
        incoming_username=user.name,
        smtp_host=SERVER_HOSTNAME,
        smtp_port=465,
        smtp_security="tls",
    )
    account.set_incoming_password(user.password)
    account.save()
    Pop3Options.objects.create(account=account, **options)
    return account


def profiled(enabled: bool, function, *args):
    if not enabled:
        return function(*args)
    profiler = cProfile.Profile()
    try:
        return profiler.runcall(function, *args)
    finally:
        log("\n--- cProfile of the default fetch, by cumulative time ---")
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)


def measure_fetch(
    account, media: Path, profile: bool = False
) -> tuple[float, float, object, float]:
    """(seconds, peak RSS in MB, FetchResult, CPU seconds of this process) of one
    fetch_account(), storing into an
    empty ``media`` folder: every file is written (none is found already stored), and
    nothing is deleted just before (deleting 10,000 files slows the file system's next
    journal commits, with online discard)."""
    from django.test import override_settings

    from webmail.pop3.engine import fetch_account

    common.reset_peak_rss()
    cpu_before = common.cpu_seconds()
    with override_settings(MEDIA_ROOT=str(media)):
        seconds, result = common.timed(profiled, profile, fetch_account, account)
    return seconds, common.peak_rss_mb(), result, common.cpu_seconds() - cpu_before


def stored_messages(account) -> int:
    from webmail.models import Message

    return Message.objects.filter(account=account).count()


def measure_text_index(account, media: Path) -> float:
    from django.test import override_settings

    from webmail.pop3.engine import index_local_bodies

    started = time.perf_counter()
    with override_settings(MEDIA_ROOT=str(media)):
        while index_local_bodies(account, 2_000):
            pass
    return time.perf_counter() - started


# -- the report ----------------------------------------------------------------------------------


def ratio(value: float | None, basis: float | None) -> float | None:
    return value / basis if value is not None and basis else None


def figures_of(results: dict) -> list[Figure]:
    floor = results["pipelined_floor_s"]
    limit = COURRIEL_MAX_RATIO * floor
    return [
        Figure("floor: pipelined RETR, raw socket", floor, "s"),
        Figure("poplib UIDL + RETR loop to files", results["poplib_s"], "s",
               ratio=ratio(results["poplib_s"], floor), ratio_basis="floor"),
        Figure("Courriel fetch, copy left (no DELE)", results["courriel_leave_on_server_s"], "s",
               ratio=ratio(results["courriel_leave_on_server_s"], floor), ratio_basis="floor"),
        Figure("  same, raw files on tmpfs (no disk)", results["courriel_store_in_memory_s"],
               "s", ratio=ratio(results["courriel_store_in_memory_s"], floor),
               ratio_basis="floor"),
        Figure(COURRIEL_LABEL, results["courriel_s"], "s", limit,
               f"<= {COURRIEL_MAX_RATIO:g}x floor", results["ratio"], "floor"),
        Figure("  CPU of this process", results["courriel_cpu_s"], "s",
               ratio=ratio(results["courriel_cpu_s"], results["pipelined_floor_cpu_s"]),
               ratio_basis="floor CPU"),
        Figure(RSS_LABEL, results["peak_rss_mb"], "MB", PEAK_RSS_MAX_MB,
               f"<= {PEAK_RSS_MAX_MB:g} MB", ratio(results["peak_rss_mb"], PEAK_RSS_MAX_MB),
               "target"),
        Figure("search text, afterwards (background)", results["text_index_s"], "s",
               ratio=ratio(results["text_index_s"], floor), ratio_basis="floor"),
        Figure("disk: store the files, no download", results["store_floor_s"], "s",
               ratio=ratio(results["store_floor_s"], floor), ratio_basis="floor"),
        Figure("server: pipelined DELE all + QUIT", results["delete_floor_s"], "s",
               ratio=ratio(results["delete_floor_s"], floor), ratio_basis="floor"),
    ]  # fmt: skip


def report(results: dict) -> bool:
    corpus = results["corpus"]
    print(
        f"\nPOP3 benchmark: {results['messages']:,} messages, {corpus['mb']} MB "
        f"(sizes p50 {corpus['size_p50'] / 1000:.1f} KB, p99 {corpus['size_p99'] / 1000:.0f} KB, "
        f"largest {corpus['largest'] / 1000:.0f} KB), each maildrop filled in "
        f"{results['fill_s']:.1f} s\n"
    )
    figures = figures_of(results)
    common.print_table(figures)
    verdicts = {
        "courriel": next(f.passed for f in figures if f.label == COURRIEL_LABEL),
        "peak_rss": next(f.passed for f in figures if f.label == RSS_LABEL),
        "exactly_once": results["stored_default"] == results["messages"]
        and results["waiting_after_default"] == 0,
    }
    results["targets"] = {"ratio_max": COURRIEL_MAX_RATIO, "peak_rss_max_mb": PEAK_RSS_MAX_MB}
    results["pass"] = verdicts
    results["all_pass"] = all(value is not False for value in verdicts.values())
    print(json.dumps(results, sort_keys=True))
    return results["all_pass"]


# -- main ----------------------------------------------------------------------------------------


def run(arguments: argparse.Namespace) -> dict:
    count = arguments.messages
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="courriel-bench-")))
        server = common.start_dovecot(stack, workdir)
        port, ca_file = server.pop3s_port, server.ca_cert
        reference, courriel = server.add_user("reference"), server.add_user("courriel")
        log(f"filling two maildrops with {count:,} messages (seed {arguments.seed}) ...")
        filled = common.run_in_child(fill, server, reference, count, arguments.seed)
        common.run_in_child(fill, server, courriel, count, arguments.seed)
        for user in (reference, courriel):
            common.run_in_child(warm_up, port, user, ca_file)
        log("stdlib poplib loop ...")
        poplib_figures = common.run_in_child(
            measure_poplib, port, reference, ca_file, arguments.runs, workdir
        )
        log("pipelined floor ...")
        floor = common.run_in_child(measure_floor, port, reference, ca_file, arguments.runs, count)
        common.prepare_django(stack, workdir, ca_file, "courriel-bench-pop3")
        # Imports, connections and TLS contexts made once, before anything is timed.
        measure_fetch(create_account(server, server.add_user("empty"), "warm-up"), workdir / "m0")
        keep = create_account(server, courriel, "keep", leave_on_server=True)
        default = create_account(server, courriel, "default")
        log("Courriel, a copy left on the server ...")
        keep_s, keep_rss, _, keep_cpu = measure_fetch(keep, workdir / "media-keep")
        in_memory = None
        if Path("/dev/shm").is_dir():
            log("Courriel, a copy left on the server, raw files in memory (tmpfs) ...")
            media = Path(stack.enter_context(tempfile.TemporaryDirectory(dir="/dev/shm")))
            in_memory, _rss, _, _cpu = measure_fetch(
                create_account(server, courriel, "tmpfs", leave_on_server=True), media
            )
        log("Courriel, default options (delete after download) ...")
        default_s, default_rss, result, default_cpu = measure_fetch(
            default, workdir / "media-default", arguments.profile
        )
        stored_default, stored_keep = stored_messages(default), stored_messages(keep)
        waiting_after = common.run_in_child(waiting, port, courriel, ca_file)
        log("search text ...")
        text_index_s = measure_text_index(default, workdir / "media-default")
        common.close_django_connections()  # before forking
        log("disk and deletion references ...")
        store = common.run_in_child(store_floor, count, arguments.seed, workdir / "store-floor")
        deletion = common.run_in_child(delete_floor, port, reference, ca_file, count)
    results = {
        "messages": count,
        "seed": arguments.seed,
        "fill_s": filled["fill_s"],
        "corpus": filled["corpus"],
        **poplib_figures,
        **floor,
        "courriel_s": default_s,
        "courriel_cpu_s": default_cpu,
        "courriel_leave_on_server_s": keep_s,
        "courriel_leave_on_server_cpu_s": keep_cpu,
        "courriel_store_in_memory_s": in_memory,
        "peak_rss_mb": max(keep_rss, default_rss),
        "text_index_s": text_index_s,
        **store,
        **deletion,
        "load_average_1min": os.getloadavg()[0],
        "stored_default": stored_default,
        "stored_leave_on_server": stored_keep,
        "deleted_on_server": result.deleted,
        "waiting_after_default": waiting_after,
        "pipeline_window": FLOOR_WINDOW,
    }
    results["ratio"] = ratio(default_s, results["pipelined_floor_s"])
    results["ratio_leave_on_server"] = ratio(keep_s, results["pipelined_floor_s"])
    results["poplib_ratio"] = ratio(results["poplib_s"], results["pipelined_floor_s"])
    return {key: _rounded(value) for key, value in results.items()}


def _rounded(value):
    return round(value, 4) if isinstance(value, float) else value


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    common.exit_cleanly_on_sigterm()
    results = run(arguments)
    if results["stored_default"] != arguments.messages:
        log(f"warning: {results['stored_default']} messages stored, not {arguments.messages}")
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
