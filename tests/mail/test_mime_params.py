"""Parameter lists read as compat32 reads them, in linear time and without raising."""

from email.message import Message, _parseparam  # the reference split_parameters follows

from hypothesis import example, given, settings
from hypothesis import strategies as st

from webmail.mail.mime_params import TolerantMessage, split_parameters

# What parameter lists are made of, and what confuses their readers.
parameter_lists = st.text(alphabet="ab;=\"\\ *01'%\t", max_size=40)


def headers(value: str) -> tuple[Message, Message]:
    reference, tolerant = Message(), TolerantMessage()
    for message in (reference, tolerant):
        message["Content-Type"] = "text/plain" + value
    return reference, tolerant


@settings(max_examples=300, deadline=None)
@given(parameter_lists)
@example('; name="a;b\\";c"; x=1')
@example(';;; a=""; b="\\\\"; c="')
def test_a_parameter_list_is_split_as_the_stdlib_splits_it(value):
    assert split_parameters(value) == _parseparam(value)


@settings(max_examples=300, deadline=None)
@given(parameter_lists)
@example("; name*=x; name*0*=y; boundary=b")
@example("; name*=x; name*=y")
def test_parameters_are_read_as_the_stdlib_reads_them_or_without_rfc2231(value):
    reference, tolerant = headers(value)
    try:
        expected = reference.get_params()
    except TypeError:  # CPython cannot sort these RFC 2231 pieces: the others are kept
        names = [piece.partition("=")[0].strip() for piece in _parseparam("text/plain" + value)]
        plain = [name for name in names[1:] if "*" not in name]
        assert [name for name, _value in tolerant.get_params()[1:]] == plain
    else:
        assert tolerant.get_params() == expected


def test_a_quoted_value_full_of_semicolons_is_one_parameter():
    _reference, tolerant = headers('; name="' + ";" * 100_000 + '"; charset=utf-8')

    assert tolerant.get_param("name") == ";" * 100_000
    assert tolerant.get_content_charset() == "utf-8"
