"""Puts newly indexed messages into conversations.

New messages join existing conversations by index lookups of the Message-IDs they
carry (``ThreadLink``), merging conversations a late message links; the grouping
itself is ``webmail.mail.threading``'s. The IMAP sync and the POP3 store thread rows
as they insert them (``plan_conversations``, with ids reserved beforehand): an UPDATE
of every new row afterwards cost as much as the insert. Where rows may have been left
unthreaded (an interrupted run, another database than PostgreSQL), the writer calls
``thread_pending(folder)`` afterwards: it picks the folder's rows without a
conversation, however they were written."""

from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction

from webmail.mail.threading import (
    ThreadInput,
    ThreadPlan,
    message_ids,
    node_key,
    parents_of,
    plan_threads,
    subject_key,
)
from webmail.models import Folder, MailAccount, Message, ThreadLink

BATCH = 2000
FIELDS = ["id", "message_id", "in_reply_to", "references", "subject", "internal_date"]
# Lists sent as one text parameter each and split by PostgreSQL: psycopg dumps a
# list parameter element by element in Python, six times slower for 20,000 keys.
# Keys never hold a line break (threading's keys have no whitespace but single
# spaces in subjects).
TEXT_LIST = "string_to_array(%s, E'\\n')"
NUMBER_LIST = "string_to_array(%s, ',')::bigint[]"


def thread_pending(folder: Folder) -> int:
    """Give each message of ``folder`` not yet in a conversation its conversation;
    returns how many were threaded. Cheap when there are none (a partial index)."""
    threaded = 0
    while True:
        pending = Message.objects.filter(folder_id=folder.pk, thread_id__isnull=True)
        rows = list(pending.order_by("id").values_list(*FIELDS)[:BATCH])
        if not rows:
            return threaded
        thread_rows(folder.account_id, [as_input(row) for row in rows])
        threaded += len(rows)


def as_input(row) -> ThreadInput:
    pk, message_id, in_reply_to, references, subject, date = row
    return ThreadInput(pk, message_id, in_reply_to, references, subject, date)


@transaction.atomic
def thread_rows(account_id: int, messages: list[ThreadInput]) -> ThreadPlan:
    """Thread rows already written (their keys are their ids)."""
    plan = plan_conversations(account_id, messages)
    set_threads(plan.thread_of)
    return plan


def plan_conversations(account_id: int, messages: list[ThreadInput]) -> ThreadPlan:
    """Inside the caller's transaction: each message's conversation, with the
    conversations it merges merged and its links remembered. Writing
    ``plan.thread_of`` into the rows (existing or about to be inserted with those
    keys as ids) is the caller's part, in the same transaction."""
    # One account's threading at a time (folders sync in parallel): two passes
    # creating the same link, or merging crosswise, would otherwise collide.
    MailAccount.objects.select_for_update().filter(pk=account_id).values_list("pk").first()
    keys = set()
    for message in messages:
        keys.update(node_key(m) for m in message_ids(message.message_id)[:1])
        keys.update(node_key(parent) for parent in parents_of(message))
        keys.add(subject_key(message.subject))
    known = known_links(account_id, keys)
    links = {key: label for key, label in known.items() if key.startswith("m:")}
    subjects = {key: label for key, label in known.items() if key.startswith("s:")}
    plan = plan_threads(messages, links, subjects)
    merge(account_id, plan)
    remembered = {**plan.links, **plan.subjects}
    changed = {
        key: label
        for key, label in remembered.items()
        if known.get(key) != label and plan.merged.get(known.get(key)) != label
    }
    remember(account_id, changed)
    return plan


def known_links(account_id: int, keys: set[str]) -> dict[str, int]:
    """The conversations these node and subject keys already lead to. One text
    parameter on PostgreSQL (``TEXT_LIST``): an IN list of thousands of keys cost
    more to send than the lookup."""
    if connection.vendor != "postgresql":
        links = ThreadLink.objects.filter(account_id=account_id, key__in=keys)
        return dict(links.values_list("key", "thread_id"))
    table = connection.ops.quote_name(ThreadLink._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT key, thread_id FROM {table}"  # noqa: S608 (a model's table)
            f" WHERE account_id = %s AND key = ANY({TEXT_LIST})",
            [account_id, text_list(keys)],
        )
        return dict(cursor.fetchall())


def merge(account_id: int, plan: ThreadPlan) -> None:
    """Conversations a new message links become one (rare: a late parent)."""
    merged_into = defaultdict(list)
    for old, kept in plan.merged.items():
        merged_into[kept].append(old)
    for kept, olds in merged_into.items():
        Message.objects.filter(account_id=account_id, thread_id__in=olds).update(thread_id=kept)
        ThreadLink.objects.filter(account_id=account_id, thread_id__in=olds).update(thread_id=kept)


def remember(account_id: int, links: dict[str, int]) -> None:
    """Insert or repoint links: one statement from two lists on PostgreSQL (model
    instances for thousands of links cost more than the database's work)."""
    if connection.vendor != "postgresql":
        ThreadLink.objects.bulk_create(
            [ThreadLink(account_id=account_id, key=key, thread_id=t) for key, t in links.items()],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["account", "key"],
            update_fields=["thread_id"],
        )
        return
    table = connection.ops.quote_name(ThreadLink._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (account_id, key, thread_id)"  # noqa: S608 (a model's table)
            " SELECT %s, given.key, given.thread_id"
            f" FROM unnest({TEXT_LIST}, {NUMBER_LIST}) AS given(key, thread_id)"
            " ON CONFLICT (account_id, key) DO UPDATE SET thread_id = EXCLUDED.thread_id",
            [account_id, text_list(links), number_list(links.values())],
        )


def set_threads(thread_of: dict[int, int]) -> None:
    """One UPDATE from two lists on PostgreSQL: ``bulk_update``'s CASE per row
    took seconds for a few thousand rows (quadratic in the server)."""
    if connection.vendor != "postgresql":
        rows = [Message(pk=pk, thread_id=label) for pk, label in thread_of.items()]
        Message.objects.bulk_update(rows, ["thread_id"], batch_size=500)
        return
    table = connection.ops.quote_name(Message._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET thread_id = given.thread_id"  # noqa: S608 (a model's table)
            f" FROM unnest({NUMBER_LIST}, {NUMBER_LIST}) AS given(id, thread_id)"
            f" WHERE {table}.id = given.id",
            [number_list(thread_of), number_list(thread_of.values())],
        )


def text_list(values: Iterable[str]) -> str:
    """A ``TEXT_LIST`` parameter of non-empty values."""
    values = list(values)
    joined = "\n".join(values)
    if joined.count("\n") != max(len(values) - 1, 0):
        raise ValueError("a value holds a line break")
    return joined


def number_list(values: Iterable[int]) -> str:
    """A ``NUMBER_LIST`` parameter."""
    return ",".join(str(int(value)) for value in values)
