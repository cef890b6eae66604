"""FETCH responses into summaries, on real-world shapes written out by hand
(each one seen from Dovecot, Gmail, Exchange or a broken mailer)."""

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest

from webmail.mail.errors import ProtocolError
from webmail.mail.imap_fetch import parse_flag_updates, parse_header_date, parse_summaries
from webmail.mail.imap_parse import split_literals
from webmail.mail.imap_preview import decode_preview
from webmail.mail.imap_text import decode_header_text
from webmail.mail.imap_types import Address, Attachment, FlagUpdate

PLAIN_BODY = b'("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1 NIL NIL NIL NIL)'
NO_REFERENCES = b"BODY[HEADER.FIELDS (REFERENCES)] {2}\r\n\r\n"


def fetch_response(
    uid: int,
    envelope: bytes,
    body: bytes = PLAIN_BODY,
    extra: bytes = b"",
    flags: bytes = b"(\\Seen)",
) -> bytes:
    return (
        b'%d (UID %d FLAGS %s INTERNALDATE "28-Nov-2026 09:34:30 +0000" RFC822.SIZE 129 '
        b"ENVELOPE %s BODYSTRUCTURE %s %s%s)"
        % (uid, uid, flags, envelope, body, extra, NO_REFERENCES)
    )


def envelope(
    subject: bytes = b'"Hello"',
    from_: bytes = b'(("Alice" NIL "alice" "example.org"))',
    date: bytes = b'"Tue, 15 Jan 2024 10:00:00 +0100"',
    to: bytes = b'((NIL NIL "bob" "example.org"))',
    in_reply_to: bytes = b"NIL",
    message_id: bytes = b'"<m1@example.org>"',
) -> bytes:
    return b"(%s %s %s %s %s %s NIL NIL %s %s)" % (
        date,
        subject,
        from_,
        from_,
        from_,
        to,
        in_reply_to,
        message_id,
    )


def summarise(*responses: bytes, uids=None):
    data = split_literals(b" ".join(responses))
    return parse_summaries(data, uids or range(1, 100))


def summary(response: bytes):
    [found] = summarise(response)
    return found


def test_a_plain_message_is_summarised():
    found = summary(fetch_response(7, envelope()))

    assert found.uid == 7
    assert found.flags == {"\\Seen"}
    assert found.internal_date == datetime(2026, 11, 28, 9, 34, 30, tzinfo=UTC)
    assert found.size == 129
    assert found.date == datetime(2024, 1, 15, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert found.subject == "Hello"
    assert found.from_ == found.sender == found.reply_to == (Address("Alice", "alice@example.org"),)
    assert found.to == (Address("", "bob@example.org"),)
    assert found.cc == found.bcc == ()
    assert found.message_id == "<m1@example.org>"
    assert found.content_type == "text/plain"
    assert (found.has_attachments, found.preview_section, found.modseq) == (False, "1", None)


def test_a_literal_inside_the_envelope_carries_eight_bit_and_folded_text():
    subject = "Réunion\r\n du lundi".encode()
    response = fetch_response(1, envelope(subject=b"{%d}\r\n%s" % (len(subject), subject)))

    assert summary(response).subject == "Réunion du lundi"


def test_nil_everywhere_gives_empty_values():
    found = summary(fetch_response(1, b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"))

    assert (found.subject, found.date, found.message_id, found.in_reply_to) == ("", None, "", "")
    assert found.from_ == found.to == found.reply_to == ()


def test_group_syntax_is_not_taken_for_addresses():
    undisclosed = b'((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL))'
    team = b'((NIL NIL "team" NIL)("Ann" NIL "ann" "x.test")(NIL NIL NIL NIL))'

    found = summary(fetch_response(1, envelope(to=undisclosed, from_=team)))

    assert found.to == ()
    assert found.from_ == (Address("Ann", "ann@x.test"),)


def test_address_names_are_decoded_whatever_their_form():
    from_ = (
        b'(("=?utf-8?q?Ren=C3=A9e?= =?utf-8?q?_Dupr=C3=A9?=" NIL "r" "x.test")'
        b'("Zo\xc3\xab" NIL "z" "x.test")'
        b'("\\"Bob, the builder\\"" NIL "b" "x.test"))'
    )

    found = summary(fetch_response(1, envelope(from_=from_)))

    assert [address.name for address in found.from_] == ["Renée Dupré", "Zoë", '"Bob, the builder"']


def test_escaped_quotes_and_backslashes_in_the_subject():
    found = summary(fetch_response(1, envelope(subject=rb'"C:\\temp \"urgent\""')))

    assert found.subject == 'C:\\temp "urgent"'


NESTED = (
    b"("
    # 1: alternative (1.1 plain, 1.2 html)
    b'(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 10 1 NIL NIL NIL NIL)'
    b'("text" "html" ("charset" "utf-8") NIL NIL "7bit" 20 1 NIL NIL NIL NIL)'
    b' "alternative" ("boundary" "a") NIL NIL NIL)'
    # 2: related (2.1 html, 2.2 an inline picture with a name)
    b'(("text" "html" ("charset" "utf-8") NIL NIL "7bit" 20 1 NIL NIL NIL NIL)'
    b'("image" "png" ("name" "logo.png") "<logo>" NIL "base64" 400 NIL NIL NIL NIL)'
    b' "related" ("boundary" "r") NIL NIL NIL)'
    # 3: a PDF whose name is an RFC 2231 continuation
    b'("application" "pdf" NIL NIL NIL "base64" 4000 NIL'
    b' ("attachment" ("filename*0*" "utf-8\'\'%C3%A9t%C3%A9" "filename*1" " 2024.pdf")) NIL NIL)'
    # 4: a forwarded message, itself multipart
    b'("message" "rfc822" NIL NIL NIL "7bit" 900 (NIL "Fwd" NIL NIL NIL NIL NIL NIL NIL NIL)'
    b' (("text" "plain" NIL NIL NIL "7bit" 3 1 NIL NIL NIL NIL)'
    b'("application" "zip" ("name" "inner.zip") NIL NIL "base64" 8 NIL NIL NIL NIL)'
    b' "mixed" ("boundary" "i") NIL NIL NIL) 30 NIL NIL NIL NIL)'
    # 5: a picture with an RFC 2047 name and no disposition
    b'("image" "jpeg" ("name" "=?utf-8?b?w6l0w6kuanBn?=") NIL NIL "base64" 600 NIL NIL NIL NIL)'
    b' "mixed" ("boundary" "m") NIL NIL NIL)'
)


def test_nested_multiparts_give_attachments_and_the_preview_part():
    found = summary(fetch_response(1, envelope(), body=NESTED))

    assert found.content_type == "multipart/mixed"
    assert found.preview_section == "1.1"
    assert found.has_attachments
    assert found.attachments == (
        Attachment("3", "été 2024.pdf", "application/pdf", 4000),
        Attachment("4", "", "message/rfc822", 900),
        Attachment("5", "été.jpg", "image/jpeg", 600),
    )


def test_an_html_only_message_previews_its_html_part():
    html_only = b'("text" "html" ("charset" "utf-8") NIL NIL "base64" 100 2 NIL NIL NIL NIL)'

    assert summary(fetch_response(1, envelope(), body=html_only)).preview_section == "1"


def test_a_text_part_sent_as_attachment_counts_as_one():
    log = (
        b'(("text" "plain" NIL NIL NIL "7bit" 3 1 NIL NIL NIL NIL)'
        b'("text" "plain" NIL NIL NIL "7bit" 3 1 NIL ("attachment" ("filename" "log.txt"))'
        b' NIL NIL) "mixed" NIL NIL NIL NIL)'
    )

    found = summary(fetch_response(1, envelope(), body=log))

    assert found.attachments == (Attachment("2", "log.txt", "text/plain", 3),)
    assert found.preview_section == "1"


def test_hostile_nesting_is_bounded():
    deep = b'("text" "plain" NIL NIL NIL "7bit" 1 1)'
    for _ in range(200):
        deep = b"(%s %s)" % (deep, b'"mixed"')

    assert summary(fetch_response(1, envelope(), body=deep)).content_type == "multipart/mixed"


def test_references_come_from_the_header_and_are_trimmed_keeping_the_root():
    ids = b"\r\n ".join(b"<id%d@x.test>" % number for number in range(150))
    header = b"References: " + ids + b"\r\n\r\n"
    response = fetch_response(1, envelope(in_reply_to=b'"<id149@x.test> (sent earlier)"'))
    response = response.replace(
        NO_REFERENCES, b"BODY[HEADER.FIELDS (REFERENCES)] {%d}\r\n%s" % (len(header), header)
    )

    found = summary(response)

    assert len(found.references) == 100
    assert found.references[0] == "<id0@x.test>"
    assert found.references[-1] == "<id149@x.test>"
    assert found.in_reply_to == "<id149@x.test>"


def test_recent_is_dropped_keywords_kept_modseq_and_server_preview_read():
    preview = "Café au lait".encode()
    extra = b"MODSEQ (42) PREVIEW {%d}\r\n%s " % (len(preview), preview)

    found = summary(
        fetch_response(1, envelope(), extra=extra, flags=b"(\\Recent \\Flagged $Forwarded)")
    )

    assert found.flags == {"\\Flagged", "$Forwarded"}
    assert found.modseq == 42
    assert found.preview == "Café au lait"


def test_internal_dates_with_a_padded_day_and_a_negative_zone():
    response = fetch_response(1, envelope()).replace(
        b"28-Nov-2026 09:34:30 +0000", b" 7-Jul-1996 02:44:25 -0700"
    )

    assert summary(response).internal_date == datetime(
        1996, 7, 7, 2, 44, 25, tzinfo=timezone(-timedelta(hours=7))
    )


def test_a_broken_internal_date_is_a_protocol_error():
    response = fetch_response(1, envelope()).replace(b"28-Nov-2026", b"28-Nov-")

    with pytest.raises(ProtocolError):
        summary(response)


def test_unsolicited_fetches_merge_and_unwanted_uids_are_left_out():
    found = summarise(
        b"3 (UID 5 FLAGS (\\Deleted))",
        fetch_response(5, envelope()),
        fetch_response(6, envelope()),
        b"9 (FLAGS (\\Seen))",
        uids=[5, 8],
    )

    assert [item.uid for item in found] == [5]


def test_flag_updates_are_read_with_their_modseq():
    data = split_literals(b"1 (UID 4 FLAGS (\\Seen) MODSEQ (12)) 2 (UID 3 FLAGS ())")

    assert parse_flag_updates(data) == [
        FlagUpdate(3, frozenset(), None),
        FlagUpdate(4, frozenset({"\\Seen"}), 12),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Mon, 1 Jan 2024 10:00 +0000", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        (b"1 Jan 2024 10:00:05 -0000", datetime(2024, 1, 1, 10, 0, 5, tzinfo=UTC)),
        (b"Mon, 01 Jan 2024 10:00:00 GMT", datetime(2024, 1, 1, 10, tzinfo=UTC)),
        (b"Tue, 15 Jan 2024 10:00:00 +0100 (CET)", datetime(2024, 1, 15, 9, tzinfo=UTC)),
        (b"yesterday", None),
        (b"Mon, 32 Jan 2024 10:00:00 +0000", None),
        (b"", None),
    ],
)
def test_header_dates_are_read_leniently(raw, expected):
    assert parse_header_date(raw) == expected


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        # A multi-byte character split across two words, joined before decoding.
        (b"=?utf-8?b?UsM=?= =?utf-8?b?qXVuaW9u?=", "Réunion"),
        (b"=?utf-8?q?Caf=C3?= =?utf-8?q?=A9?=", "Café"),
        (b"=?iso-8859-1?q?=80_5?=", "€ 5"),  # labelled Latin-1, written in Windows-1252
        (b"=?x-klingon?q?abc?=", "abc"),
        (b"=?utf-8?b?!!!notbase64?=", "=?utf-8?b?!!!notbase64?="),
        (b"Re: =?utf-8?q?=C3=A9t=C3=A9?= and more", "Re: été and more"),
        (b"=?UTF-8*fr?Q?d=C3=A9j=C3=A0?=", "déjà"),
        (b"caf\xe9", "café"),  # raw Latin-1, not UTF-8
        # A broken word between two good ones stays as it is, spaces around it too.
        (b"=?utf-8?q?a?= =?utf-8?b?!!!notbase64?= =?utf-8?q?b?=", "a =?utf-8?b?!!!notbase64?= b"),
        # Words in two charsets are decoded apart; the space between them goes.
        (b"=?utf-8?q?=C3=A9?=\t=?iso-8859-1?q?=E9?= fin ", "éé fin "),
    ],
)
def test_header_text_is_decoded_without_ever_raising(raw, text):
    assert decode_header_text(raw) == text


# -- previews ------------------------------------------------------------------------------


def mime(content_type: str, encoding: str = "7bit") -> bytes:
    return f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n".encode()


def test_a_base64_preview_cut_mid_quantum_keeps_its_whole_characters():
    encoded = base64.b64encode("Bonjour à tous, voici le compte rendu".encode())[:23]

    assert decode_preview(mime("text/plain; charset=utf-8", "base64"), encoded) == "Bonjour à tous,"


def test_a_quoted_printable_preview_cut_mid_escape_and_mid_character():
    octets = b"Caf=C3=A9 cr=C3=A8me br=C3"

    assert decode_preview(mime("text/plain; charset=utf-8", "quoted-printable"), octets) == (
        "Café crème br"
    )


def test_an_html_preview_is_plain_text():
    octets = (
        b"<html><head><style>p{color:red}</style><title>T</title></head>"
        b"<body><p>Hello&nbsp;<b>world</b> &amp; you</p><!-- hidden --><img src='x"
    )

    assert decode_preview(mime("text/html; charset=us-ascii"), octets) == "Hello world & you"


def test_a_latin1_preview_and_an_unknown_charset():
    assert decode_preview(mime("text/plain; charset=iso-8859-1"), b"d\xe9j\xe0") == "déjà"
    assert decode_preview(mime("text/plain; charset=x-unknown-thing"), b"plain") == "plain"


def test_an_address_with_a_list_where_a_string_belongs_is_skipped_not_fatal():
    from_ = b'((("odd") NIL "a" "x.test")("Ann" NIL "ann" "x.test"))'

    found = summary(fetch_response(1, envelope(from_=from_)))

    assert found.from_ == (Address("", "a@x.test"), Address("Ann", "ann@x.test"))
