"""Benchmark of the SMTP outbox against the protocol floor (issue 5, "Speed").

    .venv/bin/python bench/outbox.py [--messages 1000] [--size-kb 20] [--rounds 5]

Self-contained: it starts its own SMTP server (aiosmtpd, tests/harness/smtp.py,
with a throw-away CA), uses PostgreSQL at $DATABASE_URL in a throw-away database
``courriel_bench_outbox_<pid>`` (or a private server if none answers) and Redis at
$REDIS_URL with its own Celery queue, starts one real Celery worker process
(``celery worker --pool solo``, as production's delivery worker), and removes
everything on the way out, Ctrl-C included.

Measured in each round, against the same server, with the same messages, each
checked for every message received exactly once:
  floor_s     a raw smtplib loop over one STARTTLS + AUTH connection with TCP_NODELAY
              set, in a child process
  outbox_s    delivery through the outbox: every message waiting in it (queued as
              scheduled mail, whose time then comes) until the server has them all and
              every row says "sent": a task to the worker, batch claims, the "."
              record of each message, its result, one connection for the account
  burst_s     the same from the commit of a burst of queue_message calls (one task
              each, as Send presses would send) made by a separate producer process:
              the producer's publishing competes with the worker for the CPU
  queue_s     the producer's side: queue_message for every message (information)
After a warm-up of 50 messages, the best round of each counts (the machine may be
shared: the minimum is the least disturbed run). Target: outbox throughput >= 0.5 x the floor's
(outbox_s <= 2 x floor_s). The burst's ratio is reported, not judged.

The account is a POP3 one, so no Sent copy is filed over IMAP: the copy is a
separate step after delivery, and the issue's figure is about delivery.

Prints a table, then, as the last line, one JSON object with every figure.
Exits 1 when the target is missed or a message is missing or doubled.
"""

import argparse
import json
import os
import random
import smtplib
import socket
import ssl
import string
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from bench import common
from bench.common import Figure, log
from tests.harness.certs import SERVER_HOSTNAME, generate_certificates
from tests.harness.smtp import SMTPServer

USER = "bench@courriel.test"
PASSWORD = "bench password 1234"  # noqa: S105 (a throw-away server of our own)
RECIPIENT = "someone@example.net"
LOCAL_HOSTNAME = "bench.localdomain"
MIN_RATIO = 0.5
HEADERS_BYTES = 1500  # and quoted-printable's few escapes
WORKER_START_TIMEOUT = 60
DELIVERY_TIMEOUT = 300
WARM_UP = 50


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages to send (1000)")
    parser.add_argument("--size-kb", type=int, default=20, help="size of each message (20)")
    parser.add_argument("--seed", type=int, default=1, help="text seed (1)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="rounds of floor and outbox runs, alternated; the best of each counts (5)",
    )
    return parser.parse_args(argv)


# -- the messages (no Django) ------------------------------------------------------------------


def make_messages(count: int, size_kb: int, seed: int) -> list[bytes]:
    """``count`` distinct messages of about ``size_kb`` KB, built as Courriel builds
    them: a plain UTF-8 text body, a Message-ID each."""
    from webmail.mail.compose import Mailbox, build_message

    generator = random.Random(seed)
    words = [
        "".join(generator.choices(string.ascii_lowercase, k=n)) for n in range(2, 12) for _ in "abc"
    ]
    words += ["réunion", "déjà"]  # a little non-ASCII: the body goes quoted-printable
    messages = []
    for number in range(count):
        lines, length = [], 0
        while length < size_kb * 1000 - HEADERS_BYTES:
            line = " ".join(generator.choices(words, k=10))[:76]
            lines.append(line)
            length += len(line) + 2
        messages.append(
            build_message(
                sender=Mailbox(USER, "Bench Sender"),
                to=[Mailbox(RECIPIENT, "Someone")],
                subject=f"Benchmark message {number}",
                text="\n".join(lines),
            )
        )
    return messages


# -- the floor -----------------------------------------------------------------------------------


def smtplib_floor(port: int, ca_file: str, messages: list[bytes]) -> dict:
    """Runs in a child process: one connection, STARTTLS, AUTH, every message."""
    context = ssl.create_default_context(cafile=ca_file)
    started = time.perf_counter()
    client = smtplib.SMTP(SERVER_HOSTNAME, port, local_hostname=LOCAL_HOSTNAME, timeout=30)
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.starttls(context=context)
    client.ehlo()
    client.login(USER, PASSWORD)
    for raw in messages:
        client.sendmail(USER, [RECIPIENT], raw)
    client.quit()
    return {"floor_s": time.perf_counter() - started}


# -- Courriel ------------------------------------------------------------------------------------


def prepare_django(stack: ExitStack, workdir: Path, ca_file: Path) -> dict[str, str]:
    queue_name = f"courriel-bench-outbox-{os.getpid()}"
    redis_url, _tag = common.prepare_django(
        stack, workdir, ca_file, "courriel-bench-outbox", CELERY_QUEUE=queue_name
    )
    stack.callback(_delete_queue, redis_url, queue_name)
    import webmail.celery  # noqa: F401  (binds the shared tasks to Courriel's app)

    return {"redis_url": redis_url, "queue": queue_name}


def _delete_queue(redis_url: str, queue_name: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete(queue_name)
    finally:
        client.close()


def create_account(server: SMTPServer):
    from accounts.models import User
    from webmail.models import MailAccount

    owner = User.objects.create_user(email="owner@courriel.test", password=None)
    account = MailAccount(
        user=owner,
        email=USER,
        protocol="pop3",
        incoming_host=SERVER_HOSTNAME,
        incoming_port=995,
        incoming_security="tls",
        incoming_username=USER,
        smtp_host=SERVER_HOSTNAME,
        smtp_port=server.submission_port,
        smtp_security="starttls",
    )
    account.set_incoming_password(PASSWORD)
    account.save()
    return account


def start_worker(stack: ExitStack, workdir: Path, queue_name: str) -> None:
    """A real worker process, as in production (one process, no threads)."""
    log_file = (workdir / "worker.log").open("wb")
    stack.callback(log_file.close)
    command = [
        sys.executable, "-m", "celery", "-A", "webmail", "worker", "--pool", "solo",
        "--queues", queue_name, "--loglevel", "WARNING",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
    ]  # fmt: skip
    worker = subprocess.Popen(
        command, cwd=common.REPO_ROOT, stdout=log_file, stderr=subprocess.STDOUT
    )
    stack.callback(_stop, worker)
    _wait_until_answering(worker, workdir)


def _wait_until_answering(worker: subprocess.Popen, workdir: Path) -> None:
    from webmail.tasks import health_check

    try:
        health_check.delay().get(timeout=WORKER_START_TIMEOUT)
    except Exception:
        log((workdir / "worker.log").read_text(errors="replace"))
        raise
    if worker.poll() is not None:
        raise RuntimeError(f"the worker exited with {worker.returncode}")


def _stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(10)


def produce(account_pk: int, messages: list[bytes], scheduled: bool) -> dict:
    """Runs in a child process, as the web process would: every message queued in one
    transaction. Unscheduled, its commit sends one task each; scheduled (an hour
    ahead), nothing is sent. ``committed_at`` is a perf_counter() reading
    (CLOCK_MONOTONIC: the same clock in every process)."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from webmail.models import MailAccount
    from webmail.outbox.services import queue_message

    account = MailAccount.objects.get(pk=account_pk)
    send_at = timezone.now() + timedelta(hours=1) if scheduled else None
    with transaction.atomic():
        queue_s, _ = common.timed(
            lambda: [
                queue_message(account, raw, recipients=[RECIPIENT], send_at=send_at)
                for raw in messages
            ]
        )
        committed_at = time.perf_counter()
    common.close_django_connections()
    return {"queue_s": queue_s, "committed_at": committed_at}


def measure_burst(account, server: SMTPServer, messages: list[bytes]) -> dict:
    """From the commit of the burst until every message arrived and its row says
    "sent". The producer runs in its own process, so that this one (which runs the
    SMTP server) does not share its interpreter with it."""
    _empty_outbox()
    produced = common.run_in_child(produce, account.pk, messages, False)
    started = produced["committed_at"]
    return {"queue_s": produced["queue_s"], "burst_s": _wait_until_sent(server, messages, started)}


def measure_delivery(account, server: SMTPServer, messages: list[bytes]) -> dict:
    """Every message already waiting in the outbox: their time comes (one UPDATE, as
    for scheduled mail), a task tells the worker, and it delivers them all."""
    from django.utils import timezone

    from webmail.outbox.models import OutboxMessage
    from webmail.outbox.tasks import deliver_outbox

    _empty_outbox()
    common.run_in_child(produce, account.pk, messages, True)
    started = time.perf_counter()
    now = timezone.now()
    OutboxMessage.objects.update(send_after=now, next_attempt_at=now)
    deliver_outbox.delay(account.pk)
    outbox_s = _wait_until_sent(server, messages, started)
    attempts = sum(OutboxMessage.objects.values_list("attempts", flat=True))
    return {"outbox_s": outbox_s, "outbox_attempts": attempts}


def _empty_outbox() -> None:
    from webmail.outbox.models import OutboxMessage

    OutboxMessage.objects.all().delete()
    common.close_django_connections()  # the producer forks next


def _wait_until_sent(server: SMTPServer, messages: list[bytes], started: float) -> float:
    from webmail.outbox.models import OutboxMessage, State

    server.wait_for(len(messages), timeout=DELIVERY_TIMEOUT)
    sent = OutboxMessage.objects.filter(state=State.SENT)
    while sent.count() < len(messages):
        if time.perf_counter() - started > DELIVERY_TIMEOUT:
            raise TimeoutError("the outbox rows did not all reach 'sent'")
        time.sleep(0.005)
    return time.perf_counter() - started


def check_exactly_once(server: SMTPServer, messages: list[bytes]) -> bool:
    """Every message received once, and nothing else; then forget them."""
    expected = sorted(_message_id(raw) for raw in messages)
    received = sorted(_message_id(message.data) for message in server.messages)
    server.clear()
    return received == expected


def _message_id(raw: bytes) -> str:
    from webmail.mail.compose import read_headers

    return read_headers(raw).message_id


# -- the report ----------------------------------------------------------------------------------


def figures_of(results: dict) -> list[Figure]:
    floor = results["floor_s"]
    return [
        Figure("floor: smtplib, one STARTTLS connection", floor, "s"),
        Figure(
            "outbox: waiting -> all sent (worker)",
            results["outbox_s"],
            "s",
            floor / MIN_RATIO,
            f">= {MIN_RATIO:g}x floor msg/s",
            results["ratio"],
            "floor msg/s",
        ),
        Figure(
            "burst: queued in one commit -> all sent",
            results["burst_s"],
            "s",
            ratio=results["burst_ratio"],
            ratio_basis="floor msg/s",
        ),
        Figure("producer: queue_message x all (info)", results["queue_s"], "s"),
    ]


def report(results: dict) -> bool:
    print(
        f"\nOutbox benchmark: {results['messages']:,} messages of ~{results['size_kb']} KB "
        f"(average {results['average_bytes'] / 1000:.1f} KB), one account, one worker, "
        f"best of {results['rounds']} rounds\n"
    )
    common.print_table(figures_of(results))
    print(
        f"\nthroughput: floor {results['floor_msgs_per_s']:.1f} msg/s, "
        f"outbox {results['outbox_msgs_per_s']:.1f} msg/s (ratio {results['ratio']:.2f}, "
        f"target >= {MIN_RATIO:g}), burst {results['burst_msgs_per_s']:.1f} msg/s "
        f"(ratio {results['burst_ratio']:.2f}); outbox ratio by round "
        f"{results['ratio_each']}; every message exactly once in every run: "
        f"{results['exactly_once']}\n"
    )
    results["pass"] = results["ratio"] >= MIN_RATIO and results["exactly_once"]
    print(json.dumps(results, sort_keys=True))
    return results["pass"]


# -- main ----------------------------------------------------------------------------------------


def run(arguments: argparse.Namespace) -> dict:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="courriel-bench-")))
        certs = generate_certificates(workdir / "certs")
        server = SMTPServer(certs.server_cert, certs.server_key).start()
        stack.callback(server.stop)
        server.add_user(USER, PASSWORD)
        log(f"building {arguments.messages:,} messages of ~{arguments.size_kb} KB ...")
        messages = make_messages(arguments.messages, arguments.size_kb, arguments.seed)
        broker = prepare_django(stack, workdir, certs.ca_cert)
        account = create_account(server)
        start_worker(stack, workdir, broker["queue"])
        log("warming up: the worker's first connections and imports ...")
        measure_delivery(account, server, messages[:WARM_UP])
        check_exactly_once(server, messages[:WARM_UP])
        rounds = [
            measure_round(server, account, broker, str(certs.ca_cert), messages, number)
            for number in range(1, arguments.rounds + 1)
        ]
    return summary(arguments, messages, rounds)


def measure_round(server, account, broker, ca_file: str, messages, number: int) -> dict:
    """The floor in a child process (forked with no database connection open), then
    the outbox both ways; each checked for every message received exactly once."""
    common.close_django_connections()
    floor = common.run_in_child(smtplib_floor, server.submission_port, ca_file, messages)
    once = [check_exactly_once(server, messages)]
    _delete_queue(broker["redis_url"], broker["queue"])  # spent tasks of the last run
    outbox = measure_delivery(account, server, messages)
    once.append(check_exactly_once(server, messages))
    _delete_queue(broker["redis_url"], broker["queue"])
    burst = measure_burst(account, server, messages)
    once.append(check_exactly_once(server, messages))
    log(
        f"round {number}: floor {floor['floor_s']:.2f} s, outbox {outbox['outbox_s']:.2f} s, "
        f"burst {burst['burst_s']:.2f} s"
    )
    return {**floor, **outbox, **burst, "exactly_once": all(once)}


def summary(arguments, messages: list[bytes], rounds: list[dict]) -> dict:
    count = arguments.messages
    best = {
        key: min(r[key] for r in rounds) for key in ("floor_s", "outbox_s", "burst_s", "queue_s")
    }
    results = {
        "messages": count,
        "size_kb": arguments.size_kb,
        "average_bytes": sum(map(len, messages)) / count,
        "rounds": len(rounds),
        **best,
        "floor_s_each": [r["floor_s"] for r in rounds],
        "outbox_s_each": [r["outbox_s"] for r in rounds],
        "burst_s_each": [r["burst_s"] for r in rounds],
        "outbox_attempts": max(r["outbox_attempts"] for r in rounds),
        "exactly_once": all(r["exactly_once"] for r in rounds),
        "floor_msgs_per_s": count / best["floor_s"],
        "outbox_msgs_per_s": count / best["outbox_s"],
        "burst_msgs_per_s": count / best["burst_s"],
        "queue_msgs_per_s": count / best["queue_s"],
        "ratio_each": [r["floor_s"] / r["outbox_s"] for r in rounds],
    }
    results["ratio"] = results["outbox_msgs_per_s"] / results["floor_msgs_per_s"]
    results["burst_ratio"] = results["burst_msgs_per_s"] / results["floor_msgs_per_s"]
    return _rounded(results)


def _rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    return value


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    common.exit_cleanly_on_sigterm()
    results = run(arguments)
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
