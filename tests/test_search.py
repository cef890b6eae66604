"""Search over the local index: words and operators, only the person's mail."""

import pytest
from django.db import connection
from django.urls import reverse

from webmail.models import Folder, MailAccount, Message
from webmail.services import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(alice, bob):
    def account(user):
        return MailAccount.objects.create(
            user=user, email=user.email, incoming_host="imap.example.org", incoming_port=993,
            incoming_security="tls", incoming_username="x", smtp_host="smtp.example.org",
            smtp_port=465, smtp_security="tls",
        )  # fmt: skip

    alice_account, bob_account = account(alice), account(bob)
    inbox = Folder.objects.create(account=alice_account, name="INBOX", special_use="inbox")
    archive = Folder.objects.create(account=alice_account, name="Archive", special_use="archive")
    bobs = Folder.objects.create(account=bob_account, name="INBOX", special_use="inbox")
    rows = [
        (inbox, "Quarterly report", "Anna Martin", "anna@example.org", "Budget figures inside",
         "2026-01-10"),
        (inbox, "Lunch?", "Paul", "paul@example.org", "Pizza at noon, budget friendly",
         "2026-02-15"),
        (archive, "Réunion budget", "Élodie", "elodie@example.fr", "Ordre du jour", "2025-12-01"),
        (bobs, "Bob's budget", "Bob", "bob@example.org", "secret budget", "2026-02-01"),
    ]  # fmt: skip
    for uid, (folder, subject, name, email, body, day) in enumerate(rows, start=1):
        Message.objects.create(
            account=folder.account, folder=folder, uid=uid, subject=subject, from_name=name,
            from_email=email, body_text=body, internal_date=f"{day}T09:00Z",
            has_attachments=subject == "Quarterly report", is_seen=subject != "Lunch?",
            to=[["Alice", "alice@example.org"]],
        )  # fmt: skip
    return inbox, archive


def subjects(user, text, **options):
    return sorted(search.search_messages(user, text, **options).values_list("subject", flat=True))


@pytest.fixture(params=["full text", "substring"])
def engine(request, monkeypatch):
    if request.param == "substring":
        monkeypatch.setattr(search, "uses_full_text", lambda: False)
    return request.param


def test_words_match_subject_sender_and_body_and_never_other_people(alice, mailbox, engine):
    assert subjects(alice, "budget") == ["Lunch?", "Quarterly report", "Réunion budget"]
    assert subjects(alice, "anna") == ["Quarterly report"]


def test_operators_narrow_the_search(alice, mailbox, engine):
    inbox, _archive = mailbox
    assert subjects(alice, "from:paul budget") == ["Lunch?"]
    assert subjects(alice, "has:attachment") == ["Quarterly report"]
    assert subjects(alice, "is:unread") == ["Lunch?"]
    assert subjects(alice, "in:archive") == ["Réunion budget"]
    assert subjects(alice, "after:2026-02-01 budget") == ["Lunch?"]
    assert subjects(alice, "before:2026-01-01") == ["Réunion budget"]
    assert subjects(alice, 'subject:"quarterly report"') == ["Quarterly report"]
    assert subjects(alice, "to:alice@example.org is:unread") == ["Lunch?"]
    assert subjects(alice, "budget", folder=inbox) == ["Lunch?", "Quarterly report"]


def test_an_empty_query_finds_nothing(alice, mailbox):
    assert subjects(alice, "   ") == []


def test_the_search_page_lists_results(alice_client, mailbox):
    page = alice_client.get(reverse("webmail:search"), {"q": "pizza"}).content.decode()
    assert "Lunch?" in page and "Quarterly report" not in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_the_search_expression_matches_the_gin_index(mailbox):
    """PostgreSQL uses an expression index only for the very same expression."""
    query = search.match_words(Message.objects.all(), ["budget"])
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = query.explain()
        cursor.execute("RESET enable_seqscan")
    assert "message_search_document" in plan


def test_a_flag_change_touches_no_index_not_even_on_indexed_bodies(mailbox):
    """On PostgreSQL a read or flagged mark is a HOT update (migration 0010): the
    full-text index is not rewritten from the body for it."""
    if connection.vendor != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    folder = Folder.objects.filter(account__user__email="alice@example.org").first()
    long_body = " ".join(f"word{n}" for n in range(3000))  # out of line, like real mail
    Message.objects.bulk_create(
        Message(account=folder.account, folder=folder, uid=1000 + n, body_text=long_body,
                internal_date="2026-11-01T10:00Z")
        for n in range(200)
    )  # fmt: skip
    indexed = Message.objects.filter(folder=folder, uid__gte=1000)
    with connection.cursor() as cursor:
        changed = indexed.update(is_seen=True)
        cursor.execute("SELECT pg_stat_get_xact_tuples_hot_updated('webmail_message'::regclass)")
        assert cursor.fetchone()[0] >= changed == 200
