"""Index fields from raw messages: bounded work, never raising, clean text."""

import time
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webmail.mail.mime_scan import header_fields
from webmail.pop3.headers import MAX_FIELD_BYTES, describe, index_fields
from webmail.pop3.structure import body_offset


def test_it_reads_the_envelope_fields():
    raw = (
        b"Received: from mx.example.org by mail.courriel.test; Tue, 2 Jan 2024 10:00:05 +0100\r\n"
        b"From: =?utf-8?q?=C3=89milie?= Dupont <emilie@example.org>\r\n"
        b'To: "Doe, John" <john@example.org>, bob@example.org\r\n'
        b"Cc: =?iso-8859-1?q?Ren=E9?= <rene@example.org>\r\n"
        b"Subject: =?utf-8?b?UsOpdW5pb24gZGUgbHVuZGk=?=\r\n"
        b"Date: Tue, 2 Jan 2024 09:59:58 +0100\r\n"
        b"Message-ID: <abc@example.org>\r\n"
        b"In-Reply-To: <parent@example.org>\r\n"
        b"References: <root@example.org>\r\n <parent@example.org>\r\n"
        b"\r\nHello there.\r\n"
    )
    fields = describe(raw)

    assert fields.subject == "Réunion de lundi"
    assert (fields.from_name, fields.from_email) == ("Émilie Dupont", "emilie@example.org")
    assert fields.to == [["Doe, John", "john@example.org"], ["", "bob@example.org"]]
    assert fields.cc == [["René", "rene@example.org"]]
    assert fields.date == datetime(2024, 1, 2, 8, 59, 58, tzinfo=UTC)
    assert fields.received == datetime(2024, 1, 2, 9, 0, 5, tzinfo=UTC)
    assert fields.message_id == "<abc@example.org>"
    assert fields.in_reply_to == "<parent@example.org>"
    assert fields.references == "<root@example.org> <parent@example.org>"
    assert fields.preview == "Hello there."
    assert not fields.has_attachments


def test_raw_8bit_headers_are_read_as_utf8_or_windows_1252():
    fields = describe("Subject: Café\r\nFrom: José <j@example.org>\r\n\r\n".encode("cp1252"))

    assert fields.subject == "Café"
    assert fields.from_name == "José"


def test_nul_characters_never_reach_the_database():
    fields = describe(b"Subject: a\x00b\r\nFrom: x\x00y <x@example.org>\r\n\r\nbo\x00dy\r\n")

    assert "\x00" not in fields.subject + fields.from_name + fields.preview


@pytest.mark.parametrize("date", [b"yesterday", b"Mon, 99 Foo 20245 99:99:99", b"", b"0"])
def test_a_broken_date_is_no_date(date):
    assert describe(b"Date: " + date + b"\r\nSubject: x\r\n\r\nbody").date is None


def test_a_multipart_message_previews_its_plain_text_and_finds_the_attachment():
    raw = (
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"preamble\r\n--outer\r\n"
        b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        b"--inner\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\nBonjour =C3=A0 tous\r\n"
        b"--inner\r\nContent-Type: text/html\r\n\r\n<p>Bonjour</p>\r\n--inner--\r\n"
        b"--outer\r\nContent-Type: application/pdf; name=report.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--outer--\r\n"
    )
    fields = describe(raw)

    assert fields.preview == "Bonjour à tous"
    assert fields.has_attachments


def test_an_html_only_message_previews_its_text():
    raw = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Hi &amp; welcome</p>"
    )
    assert describe(raw).preview == "Hi & welcome"


def test_pictures_of_an_html_body_are_not_attachments():
    raw = (
        b'Content-Type: multipart/related; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/html\r\n\r\n<img src=cid:logo>\r\n"
        b"--b\r\nContent-Type: image/png; name=logo.png\r\n\r\nPNG\r\n--b--\r\n"
    )
    assert not describe(raw).has_attachments


def test_a_forwarded_message_counts_as_an_attachment():
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee below\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n--b--\r\n"
    )
    assert describe(raw).has_attachments


def test_an_attachment_after_a_large_body_is_found():
    body = b"x" * 2_000_000
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\n" + body + b"\r\n"
        b"--b\r\nContent-Disposition: attachment; filename=a.zip\r\n\r\nZIP\r\n--b--\r\n"
    )
    assert describe(raw).has_attachments


def test_a_boundary_that_is_a_prefix_of_a_longer_line_is_not_a_delimiter():
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\n--bogus line\r\nstill text\r\n--b--\r\n"
    )
    assert describe(raw).preview == "--bogus line still text"


def test_bare_lf_messages_are_read_too():
    fields = describe(b"Subject: lf only\nFrom: a@example.org\n\nbody text\n")

    assert (fields.subject, fields.from_email, fields.preview) == (
        "lf only",
        "a@example.org",
        "body text",
    )


def test_the_body_starts_after_the_first_empty_line():
    assert body_offset(b"A: b\r\n\r\nbody") == 8
    assert body_offset(b"A: b\n\nbody\r\n\r\n") == 6
    assert body_offset(b"\r\nbody") == 2
    assert body_offset(b"A: b\r\nno body") == len(b"A: b\r\nno body")


def test_hostile_messages_are_read_in_bounded_time():
    recipients = b", ".join(
        b"=?utf-8?q?R=C3=A9mi_%d?= <r%d@example.org>" % (n, n) for n in range(50_000)
    )
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (n, n)
        for n in range(5000)
    )
    parts = b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n' + b"--p\r\n\r\nx\r\n" * 20_000
    started = time.monotonic()

    fields = describe(
        b"To: " + recipients + b"\r\nSubject: " + b"=?utf-8?q?a?= " * 50_000 + b"\r\n\r\n"
    )
    describe(nested)
    describe(parts)

    assert time.monotonic() - started < 2
    assert len(fields.to) <= 100


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_it_never_raises_and_returns_clean_text(raw):
    fields = describe(raw)

    texts = [fields.subject, fields.from_name, fields.from_email, fields.preview]
    texts += [fields.message_id, fields.references] + [x for pair in fields.to for x in pair]
    for text in texts:
        assert "\x00" not in text
        text.encode("utf-8")


def field_lines():
    name = st.sampled_from(
        [b"Subject", b"FROM", b"to", b"Cc", b"Reply-To", b"Date", b"Received", b"Message-ID",
         b"In-Reply-To", b"References", b"Content-Type", b"content-\xff", b"X-Other", b"Toto",
         b"Subject ", b"To\t", b" Subject", b"\tFrom", b"", b"Subject:From"]
    )  # fmt: skip
    value = st.binary(max_size=30).map(lambda v: v.replace(b"\n", b""))
    end = st.sampled_from([b"\r\n", b"\n", b"\r\r\n", b"\r", b""])
    return st.lists(
        st.tuples(name, st.sampled_from([b":", b": ", b":\t", b" :", b""]), value, end).map(
            b"".join
        ),
        max_size=12,
    ).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(field_lines())
def test_the_index_fields_are_the_header_fields_a_row_needs(block):
    wanted = {"subject", "from", "to", "cc", "reply-to", "date", "received", "message-id"}
    wanted |= {"in-reply-to", "references"}
    expected: dict[str, list[str]] = {}
    for name, value in header_fields(block):
        if name.lower() in wanted or name.lower().startswith("content-"):
            expected.setdefault(name.lower(), []).append(value)

    assert index_fields(block) == expected


def test_folded_fields_keep_their_folding_whatever_the_line_ends():
    block = b"Subject: one\r\n two\n\tthree\r\nX-Other: x\r\n  not subject\r\nTo: a@b\r\n\r\n"

    assert index_fields(block) == {"subject": ["one\r\n two\r\n\tthree"], "to": ["a@b"]}


def test_a_header_block_without_its_empty_line_is_read_to_the_cap():
    fields = describe(b"Subject: no body\r\nFrom: a@example.org\r\nX-Pad: " + b"x" * 300_000)

    assert (fields.subject, fields.from_email) == ("no body", "a@example.org")


def test_a_huge_folded_header_is_cut_to_the_field_limit():
    fields = describe(b"Subject: start\r\n" + b" more words\r\n" * 50_000 + b"\r\nbody")

    assert fields.subject.startswith("start more words more words")
    assert len(fields.subject) <= MAX_FIELD_BYTES


def test_addresses_read_again_are_fresh_lists():
    raw = b"From: Ann <ann@example.org>\r\nTo: bob@example.org\r\n\r\nhi"
    first = describe(raw)
    first.to[0][0] = "changed"

    assert describe(raw).to == [["", "bob@example.org"]]
    assert describe(raw).from_name == "Ann"


def test_a_long_address_field_is_read_too():
    recipients = b", ".join(b"r%d@example.org" % n for n in range(60))

    assert len(describe(b"To: " + recipients + b"\r\n\r\nhi").to) == 60
