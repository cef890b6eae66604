"""The lean IMAP response reader, UID sets and modified UTF-7: no server needed."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webmail.mail import mutf7
from webmail.mail.errors import ProtocolError
from webmail.mail.imap_parse import (
    group_responses,
    parse,
    parse_response,
    parse_uid_set,
    split_literals,
    uid_set,
    uid_set_chunks,
)

# ATOM-CHAR (RFC 9051 section 9) minus "[": brackets only appear in body sections.
ATOM_CHARACTERS = "".join(chr(code) for code in range(0x21, 0x7F) if chr(code) not in '(){%*"\\][ ')


@st.composite
def atoms(draw) -> bytes:
    atom = draw(st.text(ATOM_CHARACTERS, min_size=1, max_size=12))
    flag = draw(st.booleans())
    value = ("\\" + atom if flag else atom).encode()
    return b"NILS" if value == b"NIL" else value


# A leaf is (how it is written, value): the same bytes may be an atom, a quoted
# string or a literal on the wire, and must read back the same.
leaves = st.one_of(
    st.none(),
    atoms().map(lambda value: ("atom", value)),
    st.binary(max_size=20)
    .filter(lambda value: not set(value) & {0, 10, 13})
    .map(lambda value: ("quoted", value)),
    st.binary(max_size=20).map(lambda value: ("literal", value)),
)
trees = st.lists(
    st.recursive(leaves, lambda children: st.lists(children, max_size=4), max_leaves=25),
    max_size=5,
)


def render(node) -> bytes:
    if node is None:
        return b"NIL"
    if isinstance(node, list):
        return b"(" + b" ".join(render(child) for child in node) + b")"
    form, value = node
    if form == "atom":
        return value
    if form == "quoted":
        return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
    return b"{%d}\r\n" % len(value) + value


def expected(node):
    if node is None:
        return None
    if isinstance(node, list):
        return [expected(child) for child in node]
    return node[1]


@given(trees)
def test_any_structure_reads_back_as_it_was_written(tree):
    raw = b" ".join(render(node) for node in tree)

    assert parse(raw) == [expected(node) for node in tree]


@given(trees)
def test_imaplib_shaped_segments_read_like_the_raw_bytes(tree):
    # imaplib keeps "text ending in {n}" and the literal apart, one tuple per literal.
    raw = b"12 (" + b" ".join(render(node) for node in tree) + b")"
    segments = split_literals(raw)

    assert all(isinstance(segment, tuple) for segment in segments[:-1])
    assert parse_response(segments) == [b"12", [expected(node) for node in tree]]


def test_nil_is_none_but_a_quoted_nil_is_a_string():
    assert parse(b'NIL "NIL" nil') == [None, b"NIL", b"nil"]


def test_quoted_strings_unescape_quotes_and_backslashes():
    assert parse(rb'"He said \"hi\" \\o/" "" "\\\\"') == [b'He said "hi" \\o/', b"", b"\\\\"]


def test_a_literal_may_hold_anything_even_crlf_parentheses_and_literal_syntax():
    literal = b'") {5}\r\n\r\nNIL (\xff\x00'
    raw = b"(A {%d}\r\n%s B)" % (len(literal), literal)

    assert parse(raw) == [[b"A", literal, b"B"]]


def test_a_literal8_is_read_like_a_literal():
    assert parse(b"BINARY[1] ~{3}\r\n\x00\x01\x02 X") == [b"BINARY[1]", b"\x00\x01\x02", b"X"]


def test_eight_bit_bytes_in_quoted_strings_are_kept():
    assert parse('"Réunion à 10 h"'.encode()) == ["Réunion à 10 h".encode()]


def test_body_sections_with_spaces_and_parentheses_are_one_atom():
    raw = b"BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO)] {2}\r\n\r\n BODY[1.2]<0> NIL"

    assert parse(raw) == [
        b"BODY[HEADER.FIELDS (REFERENCES IN-REPLY-TO)]",
        b"\r\n",
        b"BODY[1.2]<0>",
        None,
    ]


def test_adjacent_lists_need_no_space_between_them():
    assert parse(b'((NIL NIL "a" "x.test")(NIL NIL "b" "x.test"))') == [
        [[None, None, b"a", b"x.test"], [None, None, b"b", b"x.test"]]
    ]


@pytest.mark.parametrize(
    "raw",
    [b"(UID 1", b"UID 1)", b'(SUBJECT "unterminated)', b"(A {10}\r\nshort)"],
    ids=["unclosed list", "stray close", "unterminated string", "short literal"],
)
def test_malformed_responses_raise_protocol_error(raw):
    with pytest.raises(ProtocolError):
        parse(raw)


def test_responses_are_grouped_by_their_closing_text_segment():
    data = [(b"1 (UID 1 BODY[] {1}", b"a"), b")", b"2 (UID 2)", None, (b"3 (X {0}", b""), b")"]

    assert [len(response) for response in group_responses(data)] == [2, 1, 2]


def test_a_response_cut_inside_a_literal_is_an_error():
    with pytest.raises(ProtocolError):
        list(group_responses([(b"1 (BODY[] {1}", b"a")]))


# -- UID sets --------------------------------------------------------------------------


def test_uid_sets_are_compact_sorted_and_deduplicated():
    assert uid_set([9, 1, 2, 3, 3, 7, 10, 11]) == "1:3,7,9:11"


@pytest.mark.parametrize("bad", [0, -1, "1:*", "1) LOGOUT", True, 1.5])
def test_a_uid_set_accepts_positive_integers_only(bad):
    with pytest.raises(ValueError):
        uid_set([1, bad])


def test_long_uid_sets_are_split_to_bounded_commands():
    chunks = list(uid_set_chunks(range(1, 20_000, 2), max_length=1000))

    assert all(len(chunk) <= 1000 for chunk in chunks)
    assert [uid for chunk in chunks for uid in parse_uid_set(chunk.encode())] == list(
        range(1, 20_000, 2)
    )


def test_uid_sets_can_be_capped_by_count():
    assert list(uid_set_chunks(range(1, 6), max_count=2)) == ["1:2", "3:4", "5"]


def test_a_hostile_uid_range_is_clamped():
    assert parse_uid_set(b"3:4294967295,1", upper_bound=5) == [3, 4, 5, 1]
    assert parse_uid_set(b"7:*", upper_bound=8) == [7, 8]


# -- modified UTF-7 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", b"INBOX"),
        ("~peter/mail/日本語/台北", b"~peter/mail/&ZeVnLIqe-/&U,BTFw-"),  # RFC 3501 5.1.3
        ("Tom & Jerry", b"Tom &- Jerry"),
        ("Reçus", b"Re&AOc-us"),
        ("📬", b"&2D3c7A-"),
        ("a\r\nb", b"a&AA0ACg-b"),
    ],
)
def test_modified_utf7_matches_the_rfc(name, wire):
    assert mutf7.encode(name) == wire
    assert mutf7.decode(wire) == name


@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_every_name_survives_modified_utf7(name):
    wire = mutf7.encode(name)

    assert wire.isascii()
    assert b"\r" not in wire and b"\n" not in wire
    assert mutf7.decode(wire) == name


def test_names_that_are_not_modified_utf7_are_read_as_utf8():
    assert mutf7.decode("Envoyés".encode()) == "Envoyés"
    assert mutf7.decode(b"&Jjo-&") == "&Jjo-&"
