from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from webmail.mail.search_query import parse


def test_words_and_operators_are_told_apart():
    query = parse('from:anna subject:"quarterly report" has:attachment is:unread budget 2026')
    assert query.sender == ["anna"]
    assert query.subject == ["quarterly report"]
    assert query.has_attachment and query.unread is True
    assert query.words == ["budget", "2026"]


def test_dates_folders_and_flags():
    query = parse("in:Archive before:2026-02-01 after:2026/01/01 is:flagged")
    assert query.folder == "Archive"
    assert (query.after, query.before) == (date(2026, 1, 1), date(2026, 2, 1))
    assert query.flagged is True


def test_an_unknown_operator_is_just_a_word():
    assert parse("http://example.org label:x").words == ["http://example.org", "label:x"]


def test_a_bad_date_is_a_word_not_an_error():
    assert parse("before:yesterday").words == ["before:yesterday"]


@given(st.text(max_size=200))
def test_any_input_parses(text):
    parse(text)
