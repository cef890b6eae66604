"""Benchmark of the IMAP header sync against the protocol floor (issue "IMAP sync").

    .venv/bin/python bench/sync.py [--messages 10000] [--seed 1] [--skip-bodies]
                                   [--cold-previews] [--profile sync|bodies [--profile-out FILE]]

Self-contained: it starts its own Dovecot as the test fixtures do, fills INBOX
with a generated mailbox (bench/corpus.py), uses PostgreSQL at $DATABASE_URL
(default postgres://postgres@127.0.0.1:5432) in a throw-away database
``courriel_bench_<pid>`` (or a private server if none answers), Redis at
$REDIS_URL, and removes everything on the way out, Ctrl-C included.

Measured in one run (the JSON key, then the target):
  floor_s                       stdlib imaplib: UID FETCH 1:* of the summary items, best of 3
  initial_sync_s                sync_account() on a fresh account          <= 3 x floor_s
  newest50_s                    until the 50 newest messages are indexed   <= 1 s
  resync_nochange_s             sync_folder() again, nothing changed       <= 0.05 s (median of 5)
  resync_nochange_with_login_s  the same with connect, TLS, login, logout  (information)
  resync_all_flagged_s          after body indexing, every message flagged by another
                                client, then one resync (information: flag changes on an
                                index whose bodies are indexed)
  peak_rss_mb                   this process's peak during the initial sync <= 300 MB
  bodies_floor_s                stdlib imaplib: UID FETCH 1:* BODY.PEEK[], best of 3
  body_index_s                  index_account_bodies() for every message   <= 10 x bodies_floor_s
and, to tell the server's share of a gap from Courriel's:
  floor_cpu_s, bodies_floor_cpu_s  CPU time of the imaplib floors (best of 3)
  initial_sync_cpu_s, body_index_cpu_s
                                CPU time of this process during the sync / indexing
                                (every thread; PostgreSQL's and Dovecot's work not
                                included): the client-side work, less moved than wall
                                clocks when other work shares the machine
  body_index_tmpfs_s            body indexing again, every body pending again and the
                                raw files written to tmpfs: the disk's share
  floor_courriel_items_s        the floor with the exact items the sync asks for (PREVIEW ...)
  courriel_items_first_fetch_s  the same, the first time: the server computes and caches

The floor is best of 3, so the server's caches are warm; by default the sync
meets a server just as warm (its items fetched once before). --cold-previews
skips that: the sync then also pays for Dovecot computing every PREVIEW.

The fill and the imaplib floors run in child processes, so the peak RSS is the
sync's own (plus Django's). Prints a table, then, as the last line, one JSON
object with every figure. Exits 1 when a target is missed.
"""

import argparse
import cProfile
import imaplib
import itertools
import json
import pstats
import ssl
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from bench import common
from bench.common import Figure, log
from bench.corpus import MailboxGenerator
from tests.harness.certs import SERVER_HOSTNAME
from tests.harness.dovecot import Dovecot, MailUser

FLOOR_ITEMS = "(UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE)"
FLOOR_RUNS = 3
RESYNC_RUNS = 5
NEWEST = 50
POLL_SECONDS = 0.003
FILL_BATCH = 5_000  # messages per MULTIAPPEND connection: bounds the filler's memory

SYNC_LABEL = "initial sync (sync_account)"
NEWEST_LABEL = "newest 50 indexed"
RESYNC_LABEL = "no-change resync (open session)"
RSS_LABEL = "peak RSS during initial sync"
BODIES_LABEL = "body indexing (index_account_bodies)"
INITIAL_SYNC_MAX_RATIO = 3.0
NEWEST50_MAX_S = 1.0
RESYNC_MAX_S = 0.05
PEAK_RSS_MAX_MB = 300.0
BODY_INDEX_MAX_RATIO = 10.0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000, help="INBOX size (10000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    parser.add_argument(
        "--skip-bodies", action="store_true", help="leave out the body floor and body indexing"
    )
    parser.add_argument(
        "--cold-previews",
        action="store_true",
        help="do not let the server compute PREVIEWs before the sync (a first sync's reality)",
    )
    parser.add_argument(
        "--profile",
        choices=["sync", "bodies"],
        help="run that stage under cProfile and print where its time goes (to stderr); "
        "the stage's own figures are then inflated",
    )
    parser.add_argument(
        "--profile-out", type=Path, help="also save the raw cProfile data there (pstats format)"
    )
    arguments = parser.parse_args(argv)
    if arguments.messages < NEWEST:
        parser.error(f"--messages must be at least {NEWEST}")
    return arguments


# -- the server and its mailbox (no Django) ------------------------------------------------------


def fill_inbox(server: Dovecot, user: MailUser, count: int, seed: int) -> dict:
    """Runs in a child process: generate and APPEND the mailbox, batch by batch."""
    generator = MailboxGenerator(seed)
    messages = generator.messages(count)
    started = time.perf_counter()
    uids: list[int] = []
    while batch := list(itertools.islice(messages, FILL_BATCH)):
        uids += server.deliver_many(user, batch)
    return {
        "fill_s": time.perf_counter() - started,
        "newest_uids": sorted(uids)[-NEWEST:],
        "corpus": generator.stats.summary(),
    }


def stdlib_session(port: int, user: MailUser, ca_file: Path) -> imaplib.IMAP4_SSL:
    context = ssl.create_default_context(cafile=str(ca_file))
    imap = imaplib.IMAP4_SSL(SERVER_HOSTNAME, port, ssl_context=context)
    imap.login(user.name, user.password)
    typ, data = imap.select("INBOX", readonly=True)  # EXAMINE
    if typ != "OK":
        raise RuntimeError(f"EXAMINE INBOX failed: {data!r}")
    return imap


def courriel_items(imap: imaplib.IMAP4) -> str:
    """The items ImapSession.fetch_summaries asks this server for."""
    from webmail.mail.imap_fetch import SUMMARY_ITEMS

    typ, data = imap.capability()  # the list after login is the complete one
    capabilities = set(data[-1].decode().upper().split()) if typ == "OK" else set()
    items = SUMMARY_ITEMS
    if "CONDSTORE" in capabilities or "QRESYNC" in capabilities:
        items += " MODSEQ"
    if "PREVIEW" in capabilities:
        items += " PREVIEW"
    return f"({items})"


def fetch_everything(imap: imaplib.IMAP4, items: str) -> None:
    typ, data = imap.uid("FETCH", "1:*", items)
    if typ != "OK":
        raise RuntimeError(f"UID FETCH 1:* {items} failed: {data!r}")


def measure_floors(port: int, user: MailUser, ca_file: Path, arguments) -> dict:
    """Runs in a child process, before the sync: what the protocol costs with
    nothing parsed, and (unless --cold-previews) warms the server's caches for
    the items the sync asks for."""
    imap = stdlib_session(port, user, ca_file)
    try:
        floors = {
            "floor_s": common.best_of(FLOOR_RUNS, lambda: fetch_everything(imap, FLOOR_ITEMS)),
            "floor_cpu_s": common.best_cpu_of(
                FLOOR_RUNS, lambda: fetch_everything(imap, FLOOR_ITEMS)
            ),
            "courriel_items_first_fetch_s": None,
            "bodies_floor_s": None,
            "bodies_floor_cpu_s": None,
        }
        if not arguments.cold_previews:
            items = courriel_items(imap)
            floors["courriel_items_first_fetch_s"] = common.timed(fetch_everything, imap, items)[0]
        if not arguments.skip_bodies:
            floors["bodies_floor_s"] = common.best_of(
                FLOOR_RUNS, lambda: fetch_everything(imap, "BODY.PEEK[]")
            )
            floors["bodies_floor_cpu_s"] = common.best_cpu_of(
                FLOOR_RUNS, lambda: fetch_everything(imap, "BODY.PEEK[]")
            )
    finally:
        imap.logout()
    return floors


def measure_courriel_items_floor(port: int, user: MailUser, ca_file: Path) -> dict:
    """Runs in a child process, after the sync (the server's caches are warm by then)."""
    imap = stdlib_session(port, user, ca_file)
    try:
        items = courriel_items(imap)
        seconds = common.best_of(FLOOR_RUNS, lambda: fetch_everything(imap, items))
    finally:
        imap.logout()
    return {"floor_courriel_items_s": seconds, "courriel_items": items}


# -- Courriel ------------------------------------------------------------------------------------


def create_account(server: Dovecot, user: MailUser):
    from accounts.models import User
    from webmail.models import MailAccount

    owner = User.objects.create_user(email="owner@courriel.test", password=None)
    account = MailAccount(
        user=owner,
        email=user.address,
        incoming_host=SERVER_HOSTNAME,
        incoming_port=server.imaps_port,
        incoming_security="tls",
        incoming_username=user.name,
        smtp_host=SERVER_HOSTNAME,
        smtp_port=465,
        smtp_security="tls",
    )
    account.set_incoming_password(user.password)
    account.save()
    return account


@dataclass(frozen=True)
class Profiling:
    """Which stage (if any) runs under cProfile, and where its raw profile goes."""

    stage: str | None = None
    output: Path | None = None

    def run(self, stage: str, function, *args):
        if stage != self.stage:
            return function(*args)
        profiler = cProfile.Profile()
        try:
            return profiler.runcall(function, *args)
        finally:
            self._report(profiler)

    def _report(self, profiler: cProfile.Profile) -> None:
        log(f"\n--- cProfile of {self.stage}, by cumulative time, then own time ---")
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)
        if self.output:
            stats.dump_stats(self.output)
            log(f"raw profile written to {self.output} (python -m pstats {self.output})")


def count_newest_indexed(account, newest_uids: list[int]) -> int:
    from webmail.models import Message

    return Message.objects.filter(
        folder__account=account, folder__name="INBOX", uid__in=newest_uids
    ).count()


def measure_initial_sync(account, newest_uids: list[int], profiling: Profiling) -> dict:
    """sync_account() in a thread while this one polls the index for the newest
    messages; the peak RSS counter is restarted just before."""
    from django.db import connections

    from webmail.engine.account_sync import sync_account

    outcome: dict = {}

    def run() -> None:
        try:
            outcome["seconds"], _ = common.timed(profiling.run, "sync", sync_account, account)
        except BaseException as error:
            outcome["error"] = error
        finally:
            connections.close_all()  # this thread's own connection

    rss_before = common.rss_mb()
    common.reset_peak_rss()
    worker = threading.Thread(target=run, name="initial-sync", daemon=True)
    cpu_before = common.cpu_seconds()
    started = time.perf_counter()
    worker.start()
    newest50 = wait_until_indexed(account, newest_uids, started, worker)
    worker.join()
    cpu = common.cpu_seconds() - cpu_before
    peak = common.peak_rss_mb()
    if "error" in outcome:
        raise outcome["error"]
    return {
        "initial_sync_s": outcome["seconds"],
        "initial_sync_cpu_s": cpu,
        "newest50_s": newest50,
        "peak_rss_mb": peak,
        "rss_before_sync_mb": rss_before,
    }


def wait_until_indexed(account, uids: list[int], started: float, worker) -> float | None:
    """Seconds from ``started`` until every UID has its row; None if the sync
    ended without them."""
    while True:
        alive = worker.is_alive()
        if count_newest_indexed(account, uids) >= len(uids):
            return time.perf_counter() - started
        if not alive:
            return None
        time.sleep(POLL_SECONDS)


def measure_resync(account) -> dict:
    from webmail.engine.imap_sync import sync_folder
    from webmail.mail.imap import open_imap
    from webmail.models import Folder

    inbox = Folder.objects.get(account=account, name="INBOX")
    changes: list[bool] = []

    def resync(session) -> None:
        changes.append(sync_folder(inbox, session).changed)

    def resync_with_login() -> None:
        with open_imap(account.incoming_settings()) as session:
            resync(session)

    with open_imap(account.incoming_settings()) as session:
        on_open_session = common.median_of(RESYNC_RUNS, lambda: resync(session))
    with_login = common.median_of(RESYNC_RUNS, resync_with_login)
    if any(changes):
        log("warning: a no-change resync reported changes; its figures are not comparable")
    return {"resync_nochange_s": on_open_session, "resync_nochange_with_login_s": with_login}


def measure_body_index(account, count: int, profiling: Profiling) -> dict:
    from django.db.models import Count

    from webmail.engine.account_sync import index_account_bodies
    from webmail.mail.imap import ImapSession
    from webmail.models import Message

    if not hasattr(ImapSession, "fetch_messages"):
        log("body indexing skipped: ImapSession.fetch_messages does not exist yet")
        return {"body_index_s": None, "body_index_cpu_s": None, "body_states": None}
    cpu_before = common.cpu_seconds()
    seconds, pending = common.timed(profiling.run, "bodies", index_account_bodies, account, count)
    cpu = common.cpu_seconds() - cpu_before
    states = Message.objects.filter(account=account).values("body_state").annotate(n=Count("id"))
    return {
        "body_index_s": seconds,
        "body_index_cpu_s": cpu,
        "bodies_pending_after": pending,
        "body_states": {row["body_state"]: row["n"] for row in states},
    }


def measure_flag_resync(account) -> dict:
    """Another client flags every message; one resync takes the changes into an
    index whose bodies are indexed (each row's full-text document is large)."""
    from django.db import connection

    from webmail.engine.imap_sync import sync_folder
    from webmail.mail.imap import open_imap
    from webmail.models import Folder, Message

    inbox = Folder.objects.get(account=account, name="INBOX")
    uids = list(Message.objects.filter(folder=inbox).values_list("uid", flat=True))
    if connection.vendor == "postgresql":
        # What autovacuum does some time after the two indexing passes above rewrote
        # every row: the flags change later, on a table in its steady state.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM webmail_message")
    with open_imap(account.incoming_settings()) as session:  # the other client
        session.select("INBOX", readonly=False)
        session.store_flags(uids, add=["\\Flagged"])
    with open_imap(account.incoming_settings()) as session:
        seconds = common.timed(sync_folder, inbox, session)[0]
    flagged = Message.objects.filter(folder=inbox, is_flagged=True).count()
    return {"resync_all_flagged_s": seconds, "resync_all_flagged_rows": flagged}


def indexed_messages(account) -> int:
    from webmail.models import Message

    return Message.objects.filter(folder__account=account, folder__name="INBOX").count()


# -- the report ----------------------------------------------------------------------------------


def ratio(value: float | None, basis: float | None) -> float | None:
    return value / basis if value is not None and basis else None


def information(label: str, value: float | None, basis: float | None = None) -> Figure:
    return Figure(label, value, "s", ratio=ratio(value, basis), ratio_basis="floor")


def relative(label: str, value: float | None, basis: float | None, most: float, name: str):
    """A figure bound to ``most`` times the ``name`` floor."""
    limit = most * basis if basis else None
    return Figure(label, value, "s", limit, f"<= {most:g}x {name}", ratio(value, basis), name)


def cpu_figure(label: str, value: float | None, basis: float | None) -> Figure:
    """CPU seconds against the floor's own CPU seconds (information)."""
    return Figure(label, value, "s", ratio=ratio(value, basis), ratio_basis="floor CPU")


def absolute(label: str, value: float | None, unit: str, most: float) -> Figure:
    return Figure(label, value, unit, most, f"<= {most:g} {unit}", ratio(value, most), "target")


def figures_of(results: dict) -> list[Figure]:
    floor, bodies_floor = results["floor_s"], results["bodies_floor_s"]
    return [
        information("floor: imaplib summary FETCH 1:*", floor),
        information("  same, Courriel's items (warm)", results["floor_courriel_items_s"], floor),
        information("  same, first fetch (cold)", results["courriel_items_first_fetch_s"], floor),
        relative(SYNC_LABEL, results["initial_sync_s"], floor, INITIAL_SYNC_MAX_RATIO, "floor"),
        cpu_figure("  CPU of this process", results["initial_sync_cpu_s"], results["floor_cpu_s"]),
        absolute(NEWEST_LABEL, results["newest50_s"], "s", NEWEST50_MAX_S),
        absolute(RESYNC_LABEL, results["resync_nochange_s"], "s", RESYNC_MAX_S),
        information("  same with connect+login", results["resync_nochange_with_login_s"]),
        absolute(RSS_LABEL, results["peak_rss_mb"], "MB", PEAK_RSS_MAX_MB),
        information("bodies floor: imaplib BODY.PEEK[] 1:*", bodies_floor),
        relative(
            BODIES_LABEL,
            results["body_index_s"],
            bodies_floor,
            BODY_INDEX_MAX_RATIO,
            "bodies floor",
        ),
        cpu_figure(
            "  CPU of this process", results.get("body_index_cpu_s"), results["bodies_floor_cpu_s"]
        ),
        Figure(
            "  same, raw files on tmpfs (no disk)",
            results.get("body_index_tmpfs_s"),
            "s",
            ratio=ratio(results.get("body_index_tmpfs_s"), bodies_floor),
            ratio_basis="bodies floor",
        ),
        information("resync, every message flagged elsewhere", results.get("resync_all_flagged_s")),
    ]


def verdicts(figures: list[Figure]) -> dict:
    keys = {
        SYNC_LABEL: "initial_sync",
        NEWEST_LABEL: "newest50",
        RESYNC_LABEL: "resync_nochange",
        RSS_LABEL: "peak_rss",
        BODIES_LABEL: "body_index",
    }
    return {keys[figure.label]: figure.passed for figure in figures if figure.label in keys}


def report(results: dict) -> bool:
    corpus = results["corpus"]
    print(
        f"\nIMAP sync benchmark: {results['messages']:,} messages, {corpus['mb']} MB "
        f"(sizes p50 {corpus['size_p50'] / 1000:.1f} KB, p99 {corpus['size_p99'] / 1000:.0f} KB, "
        f"largest {corpus['largest'] / 1000:.0f} KB), filled in {results['fill_s']:.1f} s\n"
    )
    figures = figures_of(results)
    common.print_table(figures)
    results["targets"] = {
        "initial_sync_max_ratio": INITIAL_SYNC_MAX_RATIO,
        "newest50_max_s": NEWEST50_MAX_S,
        "resync_nochange_max_s": RESYNC_MAX_S,
        "peak_rss_max_mb": PEAK_RSS_MAX_MB,
        "body_index_max_ratio": BODY_INDEX_MAX_RATIO,
    }
    results["pass"] = verdicts(figures)
    results["all_pass"] = all(value is not False for value in results["pass"].values())
    print(json.dumps(results, sort_keys=True))
    return results["all_pass"]


# -- main ----------------------------------------------------------------------------------------


def prepare_mailbox(server: Dovecot, user: MailUser, arguments: argparse.Namespace) -> dict:
    log(f"filling INBOX with {arguments.messages:,} messages (seed {arguments.seed}) ...")
    fill = common.run_in_child(fill_inbox, server, user, arguments.messages, arguments.seed)
    log(f"filled in {fill['fill_s']:.1f} s; measuring the imaplib floors ...")
    floors = common.run_in_child(measure_floors, server.imaps_port, user, server.ca_cert, arguments)
    return {**fill, **floors}


def measure_courriel(
    server: Dovecot, user: MailUser, newest_uids: list[int], arguments: argparse.Namespace
) -> dict:
    account = create_account(server, user)
    profiling = Profiling(arguments.profile, arguments.profile_out)
    log("initial sync ...")
    figures = measure_initial_sync(account, newest_uids, profiling)
    figures["indexed_messages"] = indexed_messages(account)
    common.close_django_connections()  # before forking: the child must not share them
    figures |= common.run_in_child(
        measure_courriel_items_floor, server.imaps_port, user, server.ca_cert
    )
    log("no-change resyncs ...")
    figures |= measure_resync(account)
    figures["body_index_s"] = None
    if not arguments.skip_bodies:
        log("body indexing ...")
        figures |= measure_body_index(account, arguments.messages, profiling)
        figures["body_index_tmpfs_s"] = None
        if Path("/dev/shm").is_dir():
            log("body indexing again, raw files in memory (tmpfs) ...")
            figures["body_index_tmpfs_s"] = measure_body_index_in_memory(account, arguments)
        log("every message flagged elsewhere, one resync ...")
        figures |= measure_flag_resync(account)
    return figures


def measure_body_index_in_memory(account, arguments: argparse.Namespace) -> float:
    """The same indexing with the raw files written to tmpfs: what it costs without
    the disk (creating 10,000 files and their folders costs seconds of kernel time on
    some file systems)."""
    from django.test import override_settings

    from webmail.engine.account_sync import index_account_bodies
    from webmail.models import Message
    from webmail.models.messages import BodyState

    Message.objects.filter(account=account).update(body_state=BodyState.PENDING)
    with (
        tempfile.TemporaryDirectory(dir="/dev/shm") as media,
        override_settings(MEDIA_ROOT=media),
    ):
        return common.timed(index_account_bodies, account, arguments.messages)[0]


def run(arguments: argparse.Namespace) -> dict:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="courriel-bench-")))
        server = common.start_dovecot(stack, workdir)
        user = server.add_user("bench")
        mailbox = prepare_mailbox(server, user, arguments)
        common.prepare_django(stack, workdir, server.ca_cert, "courriel-bench")
        courriel = measure_courriel(server, user, mailbox.pop("newest_uids"), arguments)
    results = {
        "messages": arguments.messages,
        "seed": arguments.seed,
        "server_cache": "cold previews" if arguments.cold_previews else "warm",
        **mailbox,
        **courriel,
    }
    results["ratio"] = ratio(results["initial_sync_s"], results["floor_s"])
    results["body_index_ratio"] = ratio(results["body_index_s"], results["bodies_floor_s"])
    results["cpu_ratio"] = ratio(results["initial_sync_cpu_s"], results["floor_cpu_s"])
    results["body_index_cpu_ratio"] = ratio(
        results.get("body_index_cpu_s"), results["bodies_floor_cpu_s"]
    )
    return {key: _rounded(value) for key, value in results.items()}


def _rounded(value):
    return round(value, 4) if isinstance(value, float) else value


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    common.exit_cleanly_on_sigterm()
    try:
        results = run(arguments)
    except KeyboardInterrupt:
        log("interrupted; everything the benchmark started is stopped and removed")
        return 130
    if results["indexed_messages"] != arguments.messages:
        log(f"warning: {results['indexed_messages']} messages indexed, not {arguments.messages}")
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
