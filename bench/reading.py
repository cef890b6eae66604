"""Benchmark of reading mail from the index: lists, search, opening (issue "Reading").

    .venv/bin/python bench/reading.py [--messages 100000] [--requests 200] [--seed 1]

Self-contained: a throw-away PostgreSQL database (``DATABASE_URL``, else a private
server) and Redis (``REDIS_URL``), filled directly, no mail server: one person's
POP3-style account whose messages are those of bench/corpus.py (parsed as a POP3
download parses them, body text included), spread over INBOX, Sent, Archive and
three folders of their own, then threaded by the real pass. A pool of distinct
messages (``--distinct``) is repeated with fresh Message-IDs and dates, so that 100,000
rows take seconds to make; each copy keeps its threads.

Every page is asked for through Django's test client: the whole middleware stack
and the templates, in process (server time, no network), DEBUG off. The floor is a
view returning "ok" behind the same stack and login check (bench/reading_urls.py),
measured in the same run. Targets (issue 4):
  list (50 rows, first and older pages, both list modes)  p50 <= 30 ms, p95 <= 80 ms
  search: words, and from:                                 p95 <= 150 ms
  opening a message already stored here                    p95 <= 50 ms
Prints a table, then, last, one JSON object with every figure. Exits 1 when a
target is missed.
"""

import argparse
import html
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from bench import common
from bench.common import log
from bench.corpus import MailboxGenerator

WARM_UP = 10
FOLDERS = [  # name, special use, share of the messages
    ("INBOX", "inbox", 0.55),
    ("Sent", "sent", 0.12),
    ("Archive", "archive", 0.20),
    ("Projets", "", 0.06),
    ("Factures", "", 0.04),
    ("Listes/Python", "", 0.03),
]
UNREAD_SHARE, FLAGGED_SHARE = 0.08, 0.02
INSERT_BATCH = 5_000
OLDER_LINK = re.compile(r'href="\?before=([^"]+)"')
WORDS = ["office", "invoice", "réunion", "build", "budget", "Lisbon", "export", "projet"]


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="index size (100000)")
    parser.add_argument("--distinct", type=int, default=5_000, help="distinct messages (5000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per measure (200)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (1)")
    return parser.parse_args(argv)


# -- the index -----------------------------------------------------------------------------------


@dataclass
class Pooled:
    fields: object  # webmail.pop3.headers.MessageFields
    digest: str
    size: int
    text: str


def parsed_pool(count: int, seed: int) -> list[Pooled]:
    from webmail.mail.text import extract_text
    from webmail.pop3.headers import describe
    from webmail.raw_store import store_raw

    pool = []
    for raw in MailboxGenerator(seed).messages(count):
        digest = store_raw(raw, durable=False)
        pool.append(Pooled(describe(raw), digest, len(raw), extract_text(raw)))
    return pool


def arrival(fields):
    return fields.received or fields.date


def renamed(message_id: str, copy: int) -> str:
    return message_id.replace("@", f".{copy}@", 1) if copy else message_id


def rows_of_copy(pool: list[Pooled], copy: int, span: timedelta, rng: random.Random):
    """The pool once more, a ``span`` later, with its own Message-IDs (threads kept)."""
    for item in pool:
        fields = item.fields
        references = " ".join(renamed(ref, copy) for ref in fields.references.split())
        received = arrival(fields) + span * copy
        yield (
            item,
            {
                "message_id": renamed(fields.message_id, copy),
                "in_reply_to": renamed(fields.in_reply_to, copy),
                "references": references,
                "internal_date": received,
                "is_seen": rng.random() > UNREAD_SHARE,
                "is_flagged": rng.random() < FLAGGED_SHARE,
            },
        )


def folder_for(rng: random.Random, folders: list, is_reply: bool):
    # Replies are what a person's Sent folder holds most of.
    if is_reply and rng.random() < 0.25:
        return folders[1]
    pick, total = rng.random(), 0.0
    for folder, (_name, _use, share) in zip(folders, FOLDERS, strict=True):
        total += share
        if pick < total:
            return folder
    return folders[0]


def fill_index(count: int, distinct: int, seed: int) -> dict:
    from webmail.engine.threads import thread_pending
    from webmail.pop3 import local

    started = time.perf_counter()
    user, folders = create_account()
    pool = parsed_pool(min(distinct, count), seed)
    parsed_s = time.perf_counter() - started
    rng = random.Random(seed)
    span = arrival(pool[-1].fields) - arrival(pool[0].fields) + timedelta(days=1)
    batches: dict[int, list[dict]] = {folder.pk: [] for folder in folders}
    made, texts = 0, {}
    for copy in range(count // len(pool) + 1):
        for item, changes in rows_of_copy(pool, copy, span, rng):
            if made == count:
                break
            folder = folder_for(rng, folders, bool(changes["references"]))
            row = local.message_row(
                folder,
                item.fields,
                digest=item.digest,
                size=item.size,
                now=changes["internal_date"],
            )
            batches[folder.pk].append(row | changes | {"text": item.text})
            made += 1
            if len(batches[folder.pk]) >= INSERT_BATCH:
                insert(folder, batches[folder.pk], texts)
                batches[folder.pk] = []
    for folder in folders:
        if batches[folder.pk]:
            insert(folder, batches[folder.pk], texts)
    filled_s = time.perf_counter() - started
    threading_started = time.perf_counter()
    for folder in folders:
        thread_pending(folder)
    threading_s = time.perf_counter() - threading_started
    # Body text comes after the headers, as the background indexer adds it.
    index_bodies(texts)
    analyze()
    return {
        "user_id": user.pk,
        "fill_s": filled_s,
        "parse_pool_s": parsed_s,
        "threading_s": threading_s,
    }


def collect_static() -> None:
    """DEBUG is off: pages name their static files through the manifest, as in production."""
    manage = [sys.executable, str(common.REPO_ROOT / "manage.py")]
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], check=True, cwd=common.REPO_ROOT)


def create_account():
    from django.contrib.auth import get_user_model

    from webmail.models import Folder, MailAccount

    user = get_user_model().objects.create_user(email="reader@courriel.test", password="x" * 20)
    account = MailAccount(
        user=user, email=user.email, protocol="pop3", incoming_host="pop.example.org",
        incoming_port=995, incoming_security="tls", incoming_username="reader",
        smtp_host="smtp.example.org", smtp_port=465, smtp_security="tls",
    )  # fmt: skip
    account.set_incoming_password("secret")
    account.save()
    folders = [
        Folder.objects.create(account=account, name=name, special_use=use, delimiter="/")
        for name, use, _share in FOLDERS
    ]
    return user, folders


def insert(folder, rows: list[dict], texts: dict[int, str]) -> None:
    """Rows as a POP3 download writes them (COPY), their text kept for later."""
    from webmail.pop3 import local

    ids = local.insert_rows(folder, rows)  # a row's keys other than columns are ignored
    texts.update((pk, row["text"]) for pk, row in zip(ids, rows, strict=True))


def index_bodies(texts: dict[int, str]) -> None:
    from django.db import connection

    ids = list(texts)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), INSERT_BATCH):
            batch = ids[start : start + INSERT_BATCH]
            cursor.execute(
                "UPDATE webmail_message SET body_text = given.text, body_state = 'indexed'"
                " FROM unnest(%s::bigint[], %s::text[]) AS given(id, text)"
                " WHERE webmail_message.id = given.id",
                [batch, [texts[pk] for pk in batch]],
            )


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# -- the requests --------------------------------------------------------------------------------


@dataclass
class Measure:
    label: str
    key: str
    urls: list[str]
    p50_most: float | None = None
    p95_most: float | None = None
    htmx: bool = False


def timings_ms(client, measure: Measure, requests: int) -> list[float]:
    headers = {"HX-Request": "true"} if measure.htmx else {}
    for url in measure.urls[:WARM_UP]:
        check(client.get(url, headers=headers), url)
    samples = []
    for index in range(requests):
        url = measure.urls[index % len(measure.urls)]
        started = time.perf_counter()
        response = client.get(url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        check(response, url)
    return samples


def check(response, url: str) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def older_page_urls(client, url: str, pages: int) -> list[str]:
    """Cursors of the pages after the first, found by following "older" links."""
    urls, page = [], url
    for _ in range(pages):
        found = OLDER_LINK.search(client.get(page).content.decode())
        if not found:
            break
        page = f"{url}?before={html.unescape(found.group(1))}"
        urls.append(page)
    return urls


def measures(client, user_id: int) -> list[Measure]:
    from django.db.models import Count
    from django.urls import reverse

    from webmail.models import Folder, Message

    inbox = Folder.objects.get(account__user_id=user_id, special_use="inbox")
    inbox_url = reverse("webmail:folder", args=[inbox.pk])
    senders = list(
        Message.objects.filter(account__user_id=user_id)
        .exclude(from_name="")
        .values_list("from_name", flat=True)
        .distinct()[:200]
    )
    names = sorted({name.split()[0] for name in senders if name.split()})[:10]
    stored = Message.objects.filter(account__user_id=user_id).order_by("-internal_date")
    openable = list(stored.values_list("pk", flat=True)[:400:2])
    threads = list(
        Message.objects.filter(account__user_id=user_id)
        .values("thread_id")
        .annotate(size=Count("id"))
        .filter(size__gte=3)
        .order_by("-thread_id")
        .values_list("thread_id", flat=True)[:100]
    )
    search = reverse("webmail:search")
    with_mode(user_id, "messages")
    message_pages = older_page_urls(client, inbox_url, 40)
    with_mode(user_id, "conversations")
    conversation_pages = older_page_urls(client, inbox_url, 40)
    unified = reverse("webmail:unified", args=["inbox"])
    word_searches = [f"{search}?{urlencode({'q': word})}" for word in WORDS]
    from_searches = [f"{search}?{urlencode({'q': f'from:{name}'})}" for name in names]
    return [
        Measure("floor: trivial view", "floor", [reverse("bench_trivial")]),
        Measure("list: INBOX by conversation, page 1", "list", [inbox_url], 30, 80),
        Measure("list: INBOX by conversation, older", "list_older", conversation_pages, 30, 80),
        Measure("list: all inboxes by conversation", "unified", [unified], 30, 80),
        Measure("list: INBOX messages, page 1", "list_messages", [inbox_url], 30, 80),
        Measure("list: INBOX messages, older", "list_messages_older", message_pages, 30, 80),
        Measure("search: words", "search", word_searches, None, 150),
        Measure("search: from:", "from_search", from_searches, None, 150),
        Measure("open a stored message", "open_message", [f"/message/{pk}/" for pk in openable],
                None, 50),
        Measure("  its body (iframe)", "message_body", [f"/message/{pk}/body/" for pk in openable]),
        Measure("open a conversation", "conversation", [f"/conversation/{t}/" for t in threads]),
    ]  # fmt: skip


def with_mode(user_id: int, mode: str) -> None:
    from webmail.models import Preferences

    Preferences.objects.update_or_create(user_id=user_id, defaults={"list_mode": mode})


def measure_all(user_id: int, requests: int) -> dict:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import clear_url_caches

    settings.ROOT_URLCONF = "bench.reading_urls"
    clear_url_caches()
    client = Client()
    client.force_login(get_user_model().objects.get(pk=user_id))
    results = {}
    for measure in measures(client, user_id):
        if measure.key.startswith("list_messages"):
            with_mode(user_id, "messages")
        else:
            with_mode(user_id, "conversations")
        log(f"{measure.label} ...")
        samples = timings_ms(client, measure, requests)
        results[measure.key] = {
            "label": measure.label,
            "p50": percentile(samples, 0.5),
            "p95": percentile(samples, 0.95),
            "mean": statistics.fmean(samples),
            "p50_most": measure.p50_most,
            "p95_most": measure.p95_most,
        }
    return results


# -- the report ----------------------------------------------------------------------------------


def verdict(figure: dict) -> bool | None:
    checks = [
        figure[name] <= figure[f"{name}_most"]
        for name in ("p50", "p95")
        if figure[f"{name}_most"] is not None
    ]
    return all(checks) if checks else None


def target_of(figure: dict) -> str:
    parts = [
        f"{name} <= {figure[f'{name}_most']:g}"
        for name in ("p50", "p95")
        if figure[f"{name}_most"] is not None
    ]
    return ", ".join(parts)


def print_table(results: dict) -> None:
    floor = results["timings"]["floor"]["p50"]
    rows = [["operation (ms)", "p50", "p95", "target", "floor p50", "p50/floor", "result"]]
    for figure in results["timings"].values():
        passed = verdict(figure)
        rows.append([
            figure["label"], f"{figure['p50']:.1f}", f"{figure['p95']:.1f}", target_of(figure),
            f"{floor:.1f}", f"{figure['p50'] / floor:.1f}x",
            {True: "PASS", False: "MISS", None: ""}[passed],
        ])  # fmt: skip
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def report(results: dict) -> bool:
    print(
        f"\nReading benchmark: {results['messages']:,} messages in {len(FOLDERS)} folders "
        f"({results['conversations']:,} conversations), filled in {results['fill_s']:.0f} s, "
        f"threaded in {results['threading_s']:.1f} s; {results['requests']} requests each\n"
    )
    print_table(results)
    timings = results["timings"]
    flat = {
        "messages": results["messages"],
        "floor_p50_ms": timings["floor"]["p50"],
        "floor_p95_ms": timings["floor"]["p95"],
        "list_p50_ms": max(timings[k]["p50"] for k in LIST_KEYS),
        "list_p95_ms": max(timings[k]["p95"] for k in LIST_KEYS),
        "search_p95_ms": timings["search"]["p95"],
        "from_search_p95_ms": timings["from_search"]["p95"],
        "open_message_ms": timings["open_message"]["p95"],
        "open_message_p50_ms": timings["open_message"]["p50"],
    }
    for key, figure in timings.items():
        flat[f"{key}_p50_ms"], flat[f"{key}_p95_ms"] = figure["p50"], figure["p95"]
    passes = {
        key: verdict(figure) for key, figure in timings.items() if verdict(figure) is not None
    }
    everything = {**results, **flat, "pass": passes, "all_pass": all(passes.values())}
    del everything["timings"]
    print(json.dumps({k: _rounded(v) for k, v in everything.items()}, sort_keys=True))
    return everything["all_pass"]


LIST_KEYS = ["list", "list_older", "unified", "list_messages", "list_messages_older"]


def _rounded(value):
    return round(value, 2) if isinstance(value, float) else value


# -- main ----------------------------------------------------------------------------------------


def run(arguments: argparse.Namespace) -> dict:
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="courriel-bench-")))
        common.prepare_django(
            stack,
            workdir,
            workdir / "no-ca.pem",
            "courriel-bench-reading",
            ALLOWED_HOSTS="testserver",
        )
        collect_static()
        log(f"filling the index with {arguments.messages:,} messages ...")
        filled = fill_index(arguments.messages, arguments.distinct, arguments.seed)
        from webmail.models import Message

        mine = Message.objects.filter(account__user_id=filled["user_id"])
        conversations = mine.values("thread_id").distinct().count()
        timings = measure_all(filled["user_id"], arguments.requests)
        return {
            "messages": mine.count(),
            "conversations": conversations,
            "requests": arguments.requests,
            "seed": arguments.seed,
            "distinct": arguments.distinct,
            "fill_s": filled["fill_s"],
            "threading_s": filled["threading_s"],
            "load_average_1min": os.getloadavg()[0],
            "timings": timings,
        }


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    common.exit_cleanly_on_sigterm()
    try:
        results = run(arguments)
    except KeyboardInterrupt:
        log("interrupted; everything the benchmark started is stopped and removed")
        return 130
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())
