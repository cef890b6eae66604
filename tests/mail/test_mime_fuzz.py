"""The readers of untrusted mail against hostile messages (tests/mail/hostile_mail.py):
they never raise, return what they document, keep their caps, and agree with the
stdlib's parser on well-formed mail."""

import email
import re
from email.policy import compat32

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.mail.hostile_mail import (
    BOUNDARIES,
    FUZZ,
    body_structures,
    chain,
    header_values,
    hostile_messages,
    leaf_bodies,
    parameters,
    render,
    valid_for_postgresql,
    value_trees,
    well_formed,
)
from webmail.mail import mime, text
from webmail.mail.imap_body import describe_body
from webmail.mail.imap_fetch import parse_summaries
from webmail.mail.imap_parse import split_literals
from webmail.mail.imap_preview import decode_preview, html_to_text, transfer_decode
from webmail.mail.imap_text import decode_header_text
from webmail.mail.imap_types import Attachment
from webmail.mail.mime_scan import body_offset, boundary_of, header_fields, parse_header, parts

SECTION = re.compile(r"[1-9][0-9]*(\.[1-9][0-9]*)*")
PROBLEMS = {"", "too_large", "too_many_parts", "too_deep", "headers_too_large"}
# A charset name with a NUL, and charsets whose decoders make lone surrogates.
NUL_CHARSET = b"Subject: =?a\x00b?q?x?=\r\n\r\nbody"
UTF7_SURROGATE = b"Content-Type: text/plain; charset=utf-7\r\n\r\nhi +2D0- there"


# -- mime_scan -------------------------------------------------------------------------------


@FUZZ
@given(hostile_messages(), st.integers(0, 200), st.integers(0, 400))
def test_the_scanner_stays_inside_the_span_it_is_given(raw, start, length):
    end = min(len(raw), start + length)
    start = min(start, end)
    assert start <= body_offset(raw, start, end) <= len(raw)
    header = parse_header(raw[: body_offset(raw)])
    boundary = boundary_of(header)
    assert boundary is None or (isinstance(boundary, bytes) and boundary)
    previous = start
    for part_start, part_end in parts(raw, start, end, boundary or b"b"):
        assert previous <= part_start <= part_end <= end
        previous = part_end


@FUZZ
@given(hostile_messages())
def test_header_fields_are_the_parsed_header(raw):
    block = raw[: body_offset(raw)]
    fields = header_fields(block)

    for name, value in fields:
        assert name and ":" not in name and " " not in name and isinstance(value, str)
    assert parse_header(block).items() == fields


class CountingBytes(bytes):
    """Bytes that count the octets their ``find`` looks through: the scanner's work."""

    looked_at = 0

    def find(self, sub, start=0, end=None):
        found = super().find(sub, start, end)
        stop = len(self) if end is None else end
        self.looked_at += (found + len(sub) if found >= 0 else stop) - start
        return found


@FUZZ
@given(hostile_messages(), BOUNDARIES)
@example(b"--b" * 20_000, b"b")  # one long line of would-be delimiters
@example(b"\n--b" + b"--b" * 20_000 + b"\n--bb" * 1000, b"b")
def test_finding_parts_looks_at_each_octet_a_bounded_number_of_times(raw, boundary):
    counted = CountingBytes(raw)
    found = list(parts(counted, 0, len(raw), boundary))

    assert len(found) <= raw.count(b"--" + boundary)
    assert counted.looked_at <= 2 * len(raw) + 2 * len(boundary)


RFC2231_PIECES = st.sampled_from(
    ["name*=x", "name*0*=utf-8''%41", 'name*1="a;b"', "name*0=y", "name*", "name*="]
)


@FUZZ
@given(st.lists(RFC2231_PIECES, max_size=6), st.booleans())
@example(["name*=x", "name*0*=y"], True)
@example(["name*=x", "name*=y"], False)
def test_hostile_rfc2231_pieces_never_hide_the_plain_parameters(pieces, quoted):
    boundary = b'"a;b"' if quoted else b"a"
    pieces = b"; ".join(piece.encode() for piece in pieces)
    header = parse_header(b"Content-Type: multipart/mixed; " + pieces + b"; boundary=" + boundary)

    assert boundary_of(header) == boundary.strip(b'"')
    assert isinstance(header.get_filename(), str | None)


def scanned_leaves(raw: bytes, start: int, end: int) -> list[tuple[str, bytes]]:
    body = body_offset(raw, start, end)
    header = parse_header(raw[start:body])
    boundary = boundary_of(header)
    if header.get_content_maintype() == "multipart" and boundary:
        found = parts(raw, body, end, boundary)
        return [leaf for span in found for leaf in scanned_leaves(raw, *span)]
    return [(header.get_content_type(), raw[body:end])]


def stdlib_leaves(raw: bytes) -> list[tuple[str, bytes]]:
    message = email.message_from_bytes(raw, policy=compat32)
    return [
        (part.get_content_type(), part.get_payload().encode("ascii", "surrogateescape"))
        for part in message.walk()
        if not part.is_multipart()
    ]


@FUZZ
@given(well_formed())
def test_the_scanner_finds_the_parts_the_stdlib_finds_in_well_formed_mail(raw):
    assert scanned_leaves(raw, 0, len(raw)) == stdlib_leaves(raw)


# -- search text -----------------------------------------------------------------------------


@FUZZ
@given(hostile_messages())
@example(NUL_CHARSET)
@example(UTF7_SURROGATE)
@example(b"Content-Type: text/plain; charset=unicode_escape\r\n\r\n\\ud800\\x00")
@example(b"Content-Type: text/plain; charset*=a\x00b''utf-8\r\n\r\nbody")
def test_search_text_is_always_text_postgresql_can_store(raw):
    found = text.extract_text(raw, limit=500)

    assert isinstance(found, str) and len(found) <= 500
    assert valid_for_postgresql(found)


@FUZZ
@given(well_formed())
def test_search_text_is_the_text_parts_the_stdlib_finds(raw):
    leaves = stdlib_leaves(raw)
    plain = [body for kind, body in leaves if kind == "text/plain"]
    chosen = plain or [body for kind, body in leaves if kind == "text/html"]

    assert text.extract_text(raw).split() == b" ".join(chosen).decode().split()


@pytest.mark.parametrize("kind", ["multipart", "message", "mixed"])
@pytest.mark.parametrize("depth", [0, text.MAX_DEPTH, text.MAX_DEPTH + 1, 3000])
def test_search_text_stops_at_the_depth_cap(kind, depth):
    raw = chain(depth, kind, b"Content-Type: text/plain\r\n\r\nneedle")

    assert text.extract_text(raw) == ("needle" if depth <= text.MAX_DEPTH else "")


# -- the message page ------------------------------------------------------------------------


def assert_readable(raw: bytes) -> mime.ParsedMessage:
    parsed = mime.parse_for_display(raw)
    assert parsed.problem in PROBLEMS
    assert len(parsed.attachments) <= mime.MAX_PARTS
    for value in (parsed.subject, parsed.sender, parsed.to, parsed.message_id):
        assert isinstance(value, str)
    assert parsed.html is None or isinstance(parsed.html, str)
    assert parsed.text is None or isinstance(parsed.text, str)
    for part in [*parsed.attachments, *parsed.inline_parts.values()]:
        # A file name goes into Content-Disposition and zip entries: UTF-8, no separators.
        part.filename.encode("utf-8")
        assert not mime.UNSAFE_FILENAME.search(part.filename) and len(part.filename) <= 200
        found = mime.part_payloads(raw, [part.index]).get(part.index)
        assert found is not None and found[0] == part and isinstance(found[1], bytes)
    return parsed


@FUZZ
@given(hostile_messages())
@example(NUL_CHARSET)
@example(
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: image/png\r\n'
    b"Content-ID: <\xff@example.org>\r\n\r\nPNG\r\n--b--\r\n"
)
@example(
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/pdf\r\n'
    b"Content-Disposition: attachment; filename*=a\x00b''x.pdf\r\n\r\nPDF\r\n--b--\r\n"
)
@example(
    b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/pdf\r\n'
    b"Content-Disposition: attachment; filename*=utf-7''%2B2D0-.pdf\r\n\r\nPDF\r\n--b--\r\n"
)
@example(b"Content-Type: text/plain; charset*=a\x00b''utf-8\r\n\r\nbody")
@example(b'Content-Type: text/plain; charset="idna"\r\n\r\n\xc2\x80')
@example(b"Content-Type: multipart/mixed; boundary=b; name*=x; name*0*=y\r\n\r\n--b\r\n\r\nx")
@example(  # attached messages the stdlib's generator cannot write back
    b"Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/mixed\r\n\r\n\xc2\x80"
)
@example(
    b"Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\nSubject: \x0c0\r\n\r\n"
    b"Content-Type: multipart/mixed\r\nX-\xff: \r\n\r\n--b--\r\nepilogue"
)
def test_any_message_can_be_opened(raw):
    assert_readable(raw)


@FUZZ
@given(well_formed())
def test_the_message_page_shows_the_parts_the_stdlib_finds(raw):
    leaves = stdlib_leaves(raw)
    parsed = assert_readable(raw)

    bodies = {}  # the first text/plain and the first text/html; the rest are attachments
    for index, (kind, _body) in enumerate(leaves):
        if kind in ("text/plain", "text/html"):
            bodies.setdefault(kind, index)
    plain, markup = (bodies.get(kind) for kind in ("text/plain", "text/html"))
    assert parsed.text == (leaves[plain][1].decode() if plain is not None else None)
    assert parsed.html == (leaves[markup][1].decode() if markup is not None else None)
    assert [part.index for part in parsed.attachments] == [
        index for index in range(len(leaves)) if index not in bodies.values()
    ]


@pytest.mark.parametrize("kind", ["multipart", "message", "mixed"])
@pytest.mark.parametrize("depth", [mime.MAX_DEPTH, mime.MAX_DEPTH + 1, 300, 3000])
def test_a_message_nested_past_the_cap_is_refused_not_crashed_on(kind, depth):
    raw = b"Subject: deep\r\n" + chain(depth, kind, b"Content-Type: text/plain\r\n\r\nneedle")
    parsed = assert_readable(raw)

    assert parsed.subject == "deep"
    if kind == "multipart":
        assert parsed.text == ("needle" if depth <= mime.MAX_DEPTH else None)
    assert parsed.problem == ("" if depth <= mime.MAX_DEPTH else "too_deep")


def test_a_message_of_countless_parts_is_read_only_up_to_the_part_cap():
    empty_part = b"--b\r\n\r\n\r\n"
    raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + empty_part * 200_000
    message, cut_short = mime.parse_raw(raw)

    # The stdlib's parser is fed a chunk at a time and stopped past the cap.
    assert cut_short
    assert len(list(message.walk())) <= mime.MAX_ENTITIES + mime.FEED_BYTES // len(empty_part)
    parsed = mime.parse_for_display(raw)
    assert parsed.problem == "too_many_parts"
    assert len(parsed.attachments) == mime.MAX_PARTS - 1  # the first part is the body


# -- IMAP: previews, BODYSTRUCTURE, FETCH ----------------------------------------------------


@FUZZ
@given(
    st.builds(lambda params, values: b"Content-Type: text/html" + params + b"\r\n" + values,
              parameters(), header_values()),
    st.one_of(leaf_bodies(b"base64", None), leaf_bodies(b"quoted-printable", None), st.binary()),
    st.integers(0, 50),
)  # fmt: skip
@example(b"Content-Type: text/plain; charset=utf-7\r\n", b"+2D0-", 50)
def test_a_preview_is_short_plain_text(header, octets, max_chars):
    preview = decode_preview(header, octets, max_chars)

    assert isinstance(preview, str) and len(preview) <= max_chars
    assert "<" not in html_to_text(preview.replace("<", ""))


@FUZZ
@given(st.binary(max_size=300), st.sampled_from(["base64", "quoted-printable", "7bit", ""]))
def test_transfer_decoding_takes_any_octets(octets, encoding):
    assert isinstance(transfer_decode(octets, encoding), bytes)


@FUZZ
@given(st.one_of(value_trees, body_structures()))
def test_any_body_structure_is_described(body):
    content_type, attachments, section = describe_body(body)

    assert isinstance(content_type, str)
    assert section is None or SECTION.fullmatch(section)
    for attachment in attachments:
        assert isinstance(attachment, Attachment) and SECTION.fullmatch(attachment.section)
        assert isinstance(attachment.filename, str) and attachment.size >= 0


@FUZZ
@given(header_values(), header_values(), body_structures(), st.integers(1, 2**32 - 1))
@example(b"=?a\x00b?q?x?=", b"", [b"text", b"plain", None, None, None, b"7bit", b"1"], 1)
def test_a_summary_is_made_of_any_header_content(subject, name, body, uid):
    address = [name, None, b"alice", b"example.org"]
    envelope = [b"Mon, 1 Jan 2024", subject, [address], None, None, [address, [None] * 4]]
    envelope += [None, None, subject, subject]
    response = (
        b'%d (UID %d FLAGS (\\Seen) INTERNALDATE "28-Nov-2026 09:34:30 +0000" '
        b"RFC822.SIZE 129 ENVELOPE %s BODYSTRUCTURE %s)"
        % (uid, uid, render(envelope), render(body))
    )
    [summary] = parse_summaries(split_literals(response), {uid})

    assert summary.uid == uid and isinstance(summary.subject, str)
    assert summary.has_attachments == bool(summary.attachments)


@given(header_values())
@FUZZ
def test_header_text_is_always_text(value):
    assert isinstance(decode_header_text(value), str)
