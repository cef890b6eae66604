"""Index fields and body summaries of hostile messages (tests/mail/hostile_mail.py):
never raising, clean text for PostgreSQL, the caps kept."""

import pytest
from hypothesis import example, given

from tests.mail.hostile_mail import FUZZ, chain, hostile_messages, valid_for_postgresql
from webmail.mail.mime_params import TolerantMessage
from webmail.mail.mime_scan import parse_header
from webmail.pop3.headers import PREVIEW_CHARS, describe
from webmail.pop3.structure import MAX_DEPTH, MAX_PARTS, BodySummary, body_offset, summarize

ATTACHMENT = b"Content-Type: application/pdf\r\nContent-Disposition: attachment\r\n\r\nPDF"


@FUZZ
@given(hostile_messages())
@example(b"Subject: =?a\x00b?q?x?=\r\nFrom: =?a\x00b?q?x?= <a@example.org>\r\n\r\nbody")
@example(b"Subject: =?utf-7?q?+2D0-?=\r\n\r\nbody")
def test_index_fields_of_any_message_are_clean_text(raw):
    fields = describe(raw)

    texts = [fields.subject, fields.from_name, fields.from_email, fields.preview]
    texts += [fields.message_id, fields.in_reply_to, fields.references]
    for pairs in (fields.to, fields.cc, fields.reply_to):
        texts += [text for pair in pairs for text in pair]
    assert all(isinstance(text, str) and valid_for_postgresql(text) for text in texts)
    assert len(fields.preview) <= PREVIEW_CHARS


@FUZZ
@given(hostile_messages())
@example(
    b"Content-Type: multipart/mixed; boundary=b; name*=x; name*0*=y\r\n\r\n"
    b"--b\r\n" + ATTACHMENT + b"\r\n--b--\r\n"
)
def test_any_message_is_summarized(raw):
    start = body_offset(raw)
    summary = summarize(raw, parse_header(raw[:start]), start, 50)

    assert isinstance(summary, BodySummary) and isinstance(summary.has_attachments, bool)
    assert isinstance(summary.preview, str) and len(summary.preview) <= 50


def test_a_parameter_list_cpython_cannot_decode_keeps_its_plain_parameters():
    block = b'Content-Type: text/plain; charset=utf-8; name*=x; name*0*="y;z"; name=a.txt\r\n'
    header = parse_header(block)

    assert isinstance(header, TolerantMessage)
    assert (header.get_content_charset(), header.get_filename()) == ("utf-8", "a.txt")


@pytest.mark.parametrize("depth", [0, 1, MAX_DEPTH, MAX_DEPTH + 1, 2000])
def test_an_attachment_is_found_down_to_the_depth_cap(depth):
    raw = chain(depth, "multipart", ATTACHMENT)

    assert describe(raw).has_attachments == (depth <= MAX_DEPTH)


@pytest.mark.parametrize("count", [MAX_PARTS - 1, MAX_PARTS])
def test_an_attachment_is_found_within_the_part_cap(count):
    # The top multipart is one visit, each plain part another, the attachment the last.
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        + b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * (count - 1)
        + b"--b\r\n" + ATTACHMENT + b"\r\n--b--\r\n"
    )  # fmt: skip

    assert describe(raw).has_attachments == (count < MAX_PARTS)


@pytest.mark.parametrize("blanks", [1, 16_000])
def test_a_display_name_keeps_none_of_the_blanks_before_its_address(blanks):
    raw = b"From: Ann" + b" " * blanks + b"<ann@example.org>\r\n"
    raw += b"To: \t Bob  <bob@example.org> ,\r\n\r\n"
    fields = describe(raw)

    assert (fields.from_name, fields.from_email) == ("Ann", "ann@example.org")
    assert fields.to == [["Bob", "bob@example.org"]]
