"""Which messages a filter matches: SQL on the index's fields, case-insensitive."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from webmail.models import Folder, MailAccount, Message, MessageFilter, SpecialUse
from webmail.services import filters

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbox(alice):
    account = MailAccount.objects.create(
        user=alice,
        email="alice@courriel.test",
        incoming_host="imap.courriel.test",
        incoming_port=993,
        smtp_host="smtp.courriel.test",
        smtp_port=465,
    )
    return Folder.objects.create(account=account, name="INBOX", special_use=SpecialUse.INBOX)


def add(inbox, uid: int, subject="Hello", sender=("", "someone@example.org"), to=(), cc=()):
    return Message.objects.create(
        account=inbox.account, folder=inbox, uid=uid, subject=subject,
        from_name=sender[0], from_email=sender[1], to=[list(r) for r in to],
        cc=[list(r) for r in cc], internal_date=timezone.now(),
    )  # fmt: skip


def matched(inbox, *conditions, match_all=True) -> list[str]:
    rule = MessageFilter(
        account=inbox.account,
        match_all=match_all,
        conditions=[{"field": f, "operator": o, "value": v} for f, o, v in conditions],
    )
    ids = filters.matching_ids(rule, Message.objects.filter(folder=inbox))
    return sorted(Message.objects.filter(pk__in=ids).values_list("subject", flat=True))


def test_from_is_the_whole_address_or_the_whole_display_name(inbox):
    add(inbox, 1, "by address", ("Émilie Durand", "emilie@example.org"))
    add(inbox, 2, "by name", ("ÉMILIE", "e.durand@example.net"))
    add(inbox, 3, "neither", ("Émilie Durand", "emilie@example.org.evil"))
    assert matched(inbox, ("from", "is", "Emilie@Example.org")) == ["by address"]
    assert matched(inbox, ("from", "is", "émilie")) == ["by name"]
    assert matched(inbox, ("from", "contains", "DURAND")) == ["by address", "by name", "neither"]


def test_to_or_cc_looks_at_every_recipient_name_and_address(inbox):
    add(inbox, 1, "to", to=[("Team", "team@example.org")])
    add(inbox, 2, "cc", to=[("", "me@example.org")], cc=[("", "TEAM@example.org")])
    add(inbox, 3, "lookalike", to=[("", "steam@example.org")])
    add(inbox, 4, "by name", to=[("Équipe Team", "all@example.org")])
    assert matched(inbox, ("recipients", "is", "team@example.org")) == ["cc", "to"]
    assert matched(inbox, ("recipients", "is", "équipe team")) == ["by name"]
    assert matched(inbox, ("recipients", "contains", "team@")) == ["cc", "lookalike", "to"]


def test_does_not_contain_is_true_only_when_no_field_has_the_value(inbox):
    add(inbox, 1, "Invoice 12", ("Billing", "billing@shop.example"))
    add(inbox, 2, "Weekly news", ("Shop", "news@shop.example"))
    add(inbox, 3, "Hi", to=[("", "list@example.org")])
    assert matched(inbox, ("subject", "not_contains", "INVOICE")) == ["Hi", "Weekly news"]
    assert matched(inbox, ("from", "not_contains", "billing")) == ["Hi", "Weekly news"]
    assert matched(inbox, ("recipients", "not_contains", "list@")) == ["Invoice 12", "Weekly news"]


def test_all_and_any(inbox):
    add(inbox, 1, "Urgent", ("", "boss@example.org"))
    add(inbox, 2, "Urgent", ("", "spam@example.org"))
    add(inbox, 3, "Lunch", ("", "boss@example.org"))
    both = [("from", "contains", "boss"), ("subject", "is", "urgent")]
    assert len(matched(inbox, *both, match_all=True)) == 1
    assert len(matched(inbox, *both, match_all=False)) == 3


def test_values_with_quotes_and_wildcards_are_literal(inbox):
    add(inbox, 1, 'The "big" sale: 50% off', to=[('Dan "the man"', "dan@example.org")])
    add(inbox, 2, "The big sale: 50 off")
    assert matched(inbox, ("subject", "contains", '"big"')) == ['The "big" sale: 50% off']
    assert matched(inbox, ("subject", "contains", "50%")) == ['The "big" sale: 50% off']
    assert matched(inbox, ("recipients", "is", 'dan "the man"')) == ['The "big" sale: 50% off']


def run_one_filter(inbox, count: int) -> int:
    for uid in range(1, count + 1):
        add(inbox, uid, f"Report {uid}")
    rule = MessageFilter.objects.create(
        account=inbox.account, name="Reports", mark_read=True, flag=True,
        conditions=[{"field": "subject", "operator": "contains", "value": "report"}],
    )  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        assert filters.run_now(rule) == count
    assert Message.objects.filter(folder=inbox, is_seen=True, is_flagged=True).count() == count
    Message.objects.filter(folder=inbox).delete()
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_number_of_messages(inbox):
    assert run_one_filter(inbox, 3) == run_one_filter(inbox, 60)
