"""Rows from summaries: the COPY upsert (PostgreSQL) and the ORM one write the same
rows, running twice changes nothing, and a refresh keeps what the body indexer wrote."""

from datetime import UTC, datetime

import pytest

from webmail.engine import copy_rows, threads
from webmail.engine.message_rows import upsert_summaries
from webmail.mail.imap_types import Address, MessageSummary
from webmail.models import Folder, Message, ThreadLink
from webmail.models.messages import BodyState

pytestmark = pytest.mark.django_db

COMPARED = [
    "uid", "modseq", "message_id", "in_reply_to", "references", "subject", "from_name",
    "from_email", "to", "cc", "reply_to", "date", "internal_date", "size", "has_attachments",
    "preview", "preview_section", "is_seen", "is_flagged", "is_answered", "is_draft",
    "keywords", "body_state", "body_text", "raw_sha256", "account_id",
]  # fmt: skip


def summary(uid: int, **changes) -> MessageSummary:
    values = {
        "uid": uid,
        "flags": frozenset({"\\Seen", "$Forwarded", "\\Recent", "$label1"}),
        "internal_date": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "size": 1234,
        "modseq": 7,
        "date": datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
        "subject": "Réunion\x00 \udcff lundi",  # NUL and a lone surrogate must not reach SQL
        "from_": (Address("Émilie Dupont", "emilie@example.org"),),
        "sender": (),
        "reply_to": (Address("", "noreply@example.org"),),
        "to": (Address("Bob", "bob@example.org"), Address("", "carol@example.org")),
        "cc": (),
        "bcc": (),
        "message_id": "<m1@example.org>",
        "in_reply_to": "<parent@example.org>",
        "references": ("<root@example.org>", "<parent@example.org>"),
        "content_type": "multipart/mixed",
        "has_attachments": True,
        "attachments": (),
        "preview": "Bonjour à tous",
        "preview_section": "1.1",
    }
    return MessageSummary(**{**values, **changes})


@pytest.fixture
def folders(account):
    return [Folder.objects.create(account=account, name=name) for name in ("A", "B")]


def rows_of(folder: Folder) -> list[tuple]:
    return list(Message.objects.filter(folder=folder).order_by("uid").values_list(*COMPARED))


def test_the_copy_upsert_writes_what_the_orm_writes(folders, monkeypatch):
    if not copy_rows.available():
        pytest.skip("COPY is PostgreSQL's")
    summaries = [summary(1), summary(2, flags=frozenset(), cc=(Address("Zoé", "z@x.org"),))]
    upsert_summaries(folders[0], summaries)
    monkeypatch.setattr(copy_rows, "available", lambda: False)
    upsert_summaries(folders[1], summaries)
    assert rows_of(folders[0]) == rows_of(folders[1])
    first = Message.objects.get(folder=folders[0], uid=1)
    assert first.subject == "Réunion ? lundi"
    assert first.keywords == ["$Forwarded", "$label1"]
    assert first.to == [["Bob", "bob@example.org"], ["", "carol@example.org"]]
    assert first.body_state == BodyState.PENDING


def test_running_twice_refreshes_the_rows_and_keeps_the_indexed_body(folders):
    folder = folders[0]
    upsert_summaries(folder, [summary(1), summary(2)])
    Message.objects.filter(folder=folder, uid=1).update(
        body_state=BodyState.INDEXED, body_text="the body", raw_sha256="ab" * 32
    )
    upsert_summaries(folder, [summary(1, subject="Changed", flags=frozenset()), summary(2)])
    assert Message.objects.filter(folder=folder).count() == 2
    refreshed = Message.objects.get(folder=folder, uid=1)
    assert (refreshed.subject, refreshed.is_seen, refreshed.keywords) == ("Changed", False, [])
    assert (refreshed.body_state, refreshed.body_text) == (BodyState.INDEXED, "the body")


def test_new_rows_go_in_with_their_conversation(folders):
    if not copy_rows.available():
        pytest.skip("threading as rows are inserted is PostgreSQL's path")
    folder = folders[0]
    root = summary(1, message_id="<root@example.org>", in_reply_to="", references=())
    reply = summary(2, message_id="<reply@example.org>", in_reply_to="<root@example.org>")
    other = summary(3, message_id="<other@example.org>", in_reply_to="", references=())
    upsert_summaries(folder, [root, reply, other])
    threads = dict(Message.objects.filter(folder=folder).values_list("uid", "thread_id"))
    assert None not in threads.values()
    assert threads[1] == threads[2] != threads[3]
    links = dict(ThreadLink.objects.filter(account=folder.account).values_list("key", "thread_id"))
    assert links["m:<root@example.org>"] == threads[1]

    # A later batch joins the conversation the first one started.
    late = summary(4, message_id="<late@example.org>", in_reply_to="<reply@example.org>")
    upsert_summaries(folders[1], [late])
    assert Message.objects.get(folder=folders[1], uid=4).thread_id == threads[1]


def test_refreshing_rows_keeps_their_conversation_and_fills_a_missing_one(folders):
    if not copy_rows.available():
        pytest.skip("threading as rows are inserted is PostgreSQL's path")
    folder = folders[0]
    upsert_summaries(folder, [summary(1), summary(2, message_id="<m2@example.org>")])
    before = dict(Message.objects.filter(folder=folder).values_list("uid", "thread_id"))
    Message.objects.filter(folder=folder, uid=2).update(thread_id=None)  # an older writer's row

    upsert_summaries(folder, [summary(1), summary(2, message_id="<m2@example.org>")])
    after = dict(Message.objects.filter(folder=folder).values_list("uid", "thread_id"))
    assert after[1] == before[1]
    assert after[2] is not None


def test_lists_sent_as_one_text_refuse_a_value_with_a_line_break():
    assert threads.text_list(["m:<a@x>", "s:weekly report"]) == "m:<a@x>\ns:weekly report"
    assert threads.number_list([3, 14]) == "3,14"
    with pytest.raises(ValueError):
        threads.text_list(["m:<a@x>", "s:two\nlines"])
