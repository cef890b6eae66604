"""Building outgoing messages: headers, bodies, attachments, threading, and no injection."""

import email
import email.header
import email.policy
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webmail.mail.compose import (
    MAX_REFERENCES,
    MESSAGE_ID,
    Attachment,
    Mailbox,
    build_message,
    envelope_recipients,
    make_message_id,
    read_headers,
    reply_references,
    subject_with_prefix,
)

ALICE = Mailbox("alice@example.org", "Alice Liddell")
BOB = Mailbox("bob@example.net", "Bob")
LINE_BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00"]
# Printable text as people type it: no control characters, no lone surrogates.
typed_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=200
)


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def simple(**changes) -> bytes:
    values = {"sender": ALICE, "to": [BOB], "subject": "Hello", "text": "Hi Bob."}
    return build_message(**{**values, **changes})


def body_text(message) -> str:
    """The decoded text; base64 carries the canonical CRLF line ends (RFC 2046 section 4.1.1)."""
    return message.get_content().replace("\r\n", "\n")


def normalised_lines(text: str) -> str:
    """What a text body reads back as: CR, LF and CRLF all end a line, and the
    last line always ends."""
    lines = re.split(r"\r\n|\r|\n", text)
    if lines[-1] == "" and len(lines) > 1:
        lines.pop()
    return "".join(f"{line}\n" for line in lines)


# --- headers -----------------------------------------------------------------------------


def test_a_simple_message_has_the_usual_headers():
    sent_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

    message = parse(simple(date=sent_at, message_id="<one@example.org>"))

    assert message["From"] == "Alice Liddell <alice@example.org>"
    assert message["To"] == "Bob <bob@example.net>"
    assert message["Subject"] == "Hello"
    assert message["Message-ID"] == "<one@example.org>"
    assert message["Date"].datetime == sent_at
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "text/plain"


def test_a_generated_message_id_is_in_the_senders_domain_and_new_each_time():
    first, second = read_headers(simple()), read_headers(simple())

    assert first.message_id.endswith("@example.org>")
    assert first.message_id != second.message_id


def test_a_message_id_for_an_international_domain_is_ascii():
    assert make_message_id("bücher.example").endswith("@xn--bcher-kva.example>")


def test_a_date_in_another_time_zone_keeps_its_offset():
    paris = datetime(2026, 7, 14, 12, 0, tzinfo=timezone(timedelta(hours=2)))

    assert parse(simple(date=paris))["Date"].datetime == paris


def test_a_naive_date_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        simple(date=datetime(2026, 1, 1, 12, 0))


def test_non_ascii_names_and_subjects_are_encoded_words_and_read_back():
    raw = simple(
        sender=Mailbox("zoe@example.org", "Zoë Ünïcode, Jr."),
        subject="Réunion à 15 h — ordre du jour 📅",
    )
    message = parse(raw)

    assert raw.isascii()
    assert b"=?utf-8?" in raw
    assert message["From"].addresses[0].display_name == "Zoë Ünïcode, Jr."
    assert message["Subject"] == "Réunion à 15 h — ordre du jour 📅"


def test_a_long_non_ascii_name_is_split_into_encoded_words_without_spaces():
    name = "Zoë " + "¡" * 8 + "𐀀" * 30
    raw = simple(sender=Mailbox("a@example.org", name))
    header = raw.split(b"\r\nTo:")[0].split(b"From: ", 1)[1].decode()

    decoded = str(email.header.make_header(email.header.decode_header(header)))

    assert "\r\n " in header
    assert decoded == f"{name} <a@example.org>"


def test_an_international_domain_goes_out_in_idna():
    message = parse(simple(to=[Mailbox("info@bücher.example", "Bücher")]))

    assert message["To"].addresses[0].addr_spec == "info@xn--bcher-kva.example"


def test_a_non_ascii_local_part_is_refused_as_it_needs_smtputf8():
    with pytest.raises(ValueError, match="SMTPUTF8"):
        simple(to=[Mailbox("zoë@example.org")])


def test_cc_and_reply_to_appear_but_never_bcc():
    carol = Mailbox("carol@example.com")
    raw = simple(cc=[carol], reply_to=[Mailbox("lists@example.org")])
    message = parse(raw)

    assert message["Cc"] == "carol@example.com"
    assert message["Reply-To"] == "lists@example.org"
    assert "Bcc" not in message


def test_envelope_recipients_include_bcc_once_each():
    recipients = envelope_recipients(
        [BOB, Mailbox("carol@example.com")], [Mailbox("Bob@Example.net")], ["dave@example.com"]
    )

    assert recipients == ["bob@example.net", "carol@example.com", "dave@example.com"]


@pytest.mark.parametrize("address", ["", "nobody", "@example.org", "a b@example.org"])
def test_something_that_is_not_an_address_is_refused(address):
    with pytest.raises(ValueError):
        envelope_recipients([address])


# --- injection ---------------------------------------------------------------------------


INJECTABLE = {
    "subject": lambda value: simple(subject=f"Hi{value}Bcc: all@example.org"),
    "sender name": lambda value: simple(sender=Mailbox("a@example.org", f"A{value}Bcc: x@y.z")),
    "recipient name": lambda value: simple(to=[Mailbox("b@example.org", f"B{value}X-Evil: 1")]),
    "address": lambda value: simple(to=[Mailbox(f"b@example.org{value}X-Evil: 1")]),
    "message id": lambda value: simple(message_id=f"<a@b>{value}X-Evil: 1"),
    "in-reply-to": lambda value: simple(in_reply_to=f"<a@b>{value}X-Evil: 1"),
    "references": lambda value: simple(references=["<a@b>", f"<c@d>{value}X-Evil: 1"]),
    "filename": lambda value: simple(attachments=[Attachment(f"a{value}X-Evil: 1.txt", b"x")]),
    "content type": lambda value: simple(
        attachments=[Attachment("a.txt", b"x", f"text/plain{value}X-Evil: 1")]
    ),
}


@pytest.mark.parametrize("field", sorted(INJECTABLE))
@pytest.mark.parametrize("line_break", LINE_BREAKS)
def test_a_line_break_in_any_header_value_is_refused(field, line_break):
    with pytest.raises(ValueError):
        INJECTABLE[field](line_break)


@given(
    before=typed_text,
    after=typed_text,
    line_break=st.sampled_from(LINE_BREAKS),
    field=st.sampled_from(["subject", "name", "filename"]),
)
def test_no_header_value_with_a_line_break_ever_gets_through(before, after, line_break, field):
    value = f"{before}{line_break}{after}"
    build = {
        "subject": lambda: simple(subject=value),
        "name": lambda: simple(sender=Mailbox("a@example.org", value)),
        "filename": lambda: simple(attachments=[Attachment(value, b"x")]),
    }[field]

    with pytest.raises(ValueError):
        build()


@given(subject=typed_text, name=typed_text, filename=typed_text.filter(str.strip))
@settings(max_examples=150, deadline=None)
def test_any_typed_subject_name_and_filename_reads_back_exactly(subject, name, filename):
    raw = simple(
        subject=subject,
        sender=Mailbox("a@example.org", name),
        attachments=[Attachment(filename, b"data")],
    )
    message = parse(raw)
    [attachment] = message.iter_attachments()

    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert message["Subject"] == subject.strip()
    # Python's reader adds a space between adjacent encoded words in a phrase, which
    # RFC 2047 section 6.2 says to drop: compare without whitespace here, and see
    # test_a_long_non_ascii_name_is_split_into_encoded_words_without_spaces.
    read_name = message["From"].addresses[0].display_name
    assert "".join(read_name.split()) == "".join(name.split())
    assert attachment.get_filename() == filename.strip()


# --- bodies ------------------------------------------------------------------------------


def test_a_utf8_body_is_declared_and_reads_back():
    message = parse(simple(text="Bonjour Zoë,\n\nÇa va ? 👋\n"))

    assert message.get_content_charset() == "utf-8"
    assert body_text(message) == "Bonjour Zoë,\n\nÇa va ? 👋\n"


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=2000))
@settings(max_examples=150, deadline=None)
def test_any_text_body_reads_back_with_normalised_line_endings(text):
    raw = simple(text=text)

    assert raw.isascii()
    assert body_text(parse(raw)) == normalised_lines(text)


def test_a_rich_message_carries_a_plain_alternative_first():
    message = parse(simple(text="Hello *Bob*", html="<p>Hello <b>Bob</b></p>"))

    assert message.get_content_type() == "multipart/alternative"
    plain, rich = message.iter_parts()
    assert plain.get_content_type() == "text/plain"
    assert rich.get_content_type() == "text/html"
    assert body_text(message.get_body(("html",))) == "<p>Hello <b>Bob</b></p>\n"


def test_mime_version_appears_once_at_the_top():
    raw = simple(html="<p>x</p>", attachments=[Attachment("a.bin", b"\x00")])

    assert raw.count(b"MIME-Version:") == 1


def test_attachments_keep_their_bytes_and_rfc2231_filenames():
    pdf = bytes(range(256)) * 10
    raw = simple(
        html="<p>See attached</p>",
        attachments=[
            Attachment("résumé été 2026.pdf", pdf, "application/pdf"),
            Attachment("notes.txt", "Zoë\n".encode(), "text/plain"),
        ],
    )
    message = parse(raw)
    first, second = message.iter_attachments()

    assert message.get_content_type() == "multipart/mixed"
    assert body_text(message.get_body(("plain",))) == "Hi Bob.\n"
    assert b"filename*=utf-8''r%C3%A9sum%C3%A9%20%C3%A9t%C3%A9%202026.pdf" in raw
    assert first.get_filename() == "résumé été 2026.pdf"
    assert first.get_content_type() == "application/pdf"
    assert first.get_content() == pdf
    assert second.get_content_disposition() == "attachment"
    assert second.get_payload(decode=True) == "Zoë\n".encode()


@pytest.mark.parametrize("content_type", ["", "nonsense", "message/partial", "multipart/mixed"])
def test_a_content_type_that_cannot_be_sent_as_bytes_becomes_octet_stream(content_type):
    message = parse(simple(attachments=[Attachment("x.eml", b"From: a@b\r\n\r\nx", content_type)]))

    [attachment] = message.iter_attachments()
    assert attachment.get_content_type() == "application/octet-stream"


# --- replies and forwards ----------------------------------------------------------------


def test_a_reply_names_its_parent_and_the_thread():
    references = reply_references("<root@example.org>\r\n <second@example.org>", "<third@a.b>")
    message = parse(simple(in_reply_to="<third@a.b>", references=references))

    assert message["In-Reply-To"] == "<third@a.b>"
    assert message["References"].split() == [
        "<root@example.org>",
        "<second@example.org>",
        "<third@a.b>",
    ]


def test_reply_references_drop_garbage_and_duplicates():
    references = reply_references("junk <a@b> <a@b> <no-at> <x y@z>", "<c@d>")

    assert references == ["<a@b>", "<c@d>"]


def test_a_long_thread_keeps_its_root_and_its_latest_references():
    thread = " ".join(f"<m{index}@example.org>" for index in range(100))

    references = reply_references(thread, "<parent@example.org>")

    assert len(references) == MAX_REFERENCES
    assert references[0] == "<m0@example.org>"
    assert references[-2:] == ["<m99@example.org>", "<parent@example.org>"]


@pytest.mark.parametrize(
    ("subject", "prefix", "expected"),
    [
        ("Hello", "Re:", "Re: Hello"),
        ("Re: Hello", "Re:", "Re: Hello"),
        ("Re: Re: Hello", "Re:", "Re: Hello"),
        ("RE: Hello", "Re:", "Re: Hello"),
        ("re:Hello", "Re:", "Re: Hello"),
        ("Réf. : Hello", "Re:", "Re: Hello"),
        ("RE: Réf. : Hello", "Re:", "Re: Hello"),
        ("Re[2]: Hello", "Re:", "Re: Hello"),
        ("Re^3: Hello", "Re:", "Re: Hello"),
        ("AW: SV: Hello", "Re:", "Re: Hello"),
        ("Fwd: Hello", "Re:", "Re: Fwd: Hello"),
        ("Hello", "Fwd:", "Fwd: Hello"),
        ("Fwd: Hello", "Fwd:", "Fwd: Hello"),
        ("FW: Fwd: Hello", "Fwd:", "Fwd: Hello"),
        ("TR: Hello", "Fwd:", "Fwd: Hello"),
        ("TR : TR: Hello", "Fwd:", "Fwd: Hello"),
        ("WG: Hello", "Fwd:", "Fwd: Hello"),
        ("Re: Hello", "Fwd:", "Fwd: Re: Hello"),
        ("Reunion", "Re:", "Re: Reunion"),
        ("Trip: Lisbon", "Fwd:", "Fwd: Trip: Lisbon"),
        ("", "Re:", "Re:"),
    ],
)
def test_the_subject_gets_its_prefix_once(subject, prefix, expected):
    assert subject_with_prefix(subject, prefix) == expected


@given(subject=typed_text, prefix=st.sampled_from(["Re:", "Fwd:"]))
def test_prefixing_twice_changes_nothing(subject, prefix):
    once = subject_with_prefix(subject, prefix)

    assert subject_with_prefix(once, prefix) == once
    assert once.startswith(prefix)


@given(subject=typed_text, stack=st.lists(st.sampled_from(["Re:", "RE :", "Réf. :", "AW:"])))
def test_any_stack_of_reply_markers_collapses_to_one(subject, stack):
    stacked = " ".join([*stack, subject])

    assert subject_with_prefix(stacked, "Re:") == subject_with_prefix(subject, "Re:")


# --- reading back --------------------------------------------------------------------------


def test_read_headers_returns_the_message_id_and_the_decoded_subject():
    headers = read_headers(simple(subject="Café", message_id="<x@example.org>"))

    assert headers.message_id == "<x@example.org>"
    assert headers.subject == "Café"


def test_read_headers_refuses_a_message_without_a_message_id():
    with pytest.raises(ValueError, match="Message-ID"):
        read_headers(b"Subject: hi\r\n\r\nbody\r\n")


def test_message_ids_made_here_are_well_formed():
    assert MESSAGE_ID.fullmatch(make_message_id("example.org"))


def test_a_forwarded_message_is_message_rfc822_when_it_can_be_else_an_eml_file():
    import email.policy

    from webmail.mail.compose import Attachment, Mailbox, build_message

    seven_bit = b"From: bob@example.net\r\nSubject: Lunch\r\n\r\nAt noon?\r\n"
    eight_bit = b"From: bob@example.net\r\nSubject: Caf\xc3\xa9\r\n\r\nOui\r\n"
    raw = build_message(
        sender=Mailbox("alice@example.org"),
        to=[Mailbox("erin@example.net")],
        text="Below.",
        attachments=[
            Attachment("Lunch.eml", seven_bit, "message/rfc822"),
            Attachment("Cafe.eml", eight_bit, "message/rfc822"),
        ],
    )
    message = email.message_from_bytes(raw, policy=email.policy.default)
    inner, as_file = message.iter_attachments()
    assert (inner.get_content_type(), inner["Content-Transfer-Encoding"]) == (
        "message/rfc822",
        "7bit",
    )
    assert inner.get_content()["Subject"] == "Lunch"
    assert (as_file.get_content_type(), as_file.get_filename()) == (
        "application/octet-stream",
        "Cafe.eml",
    )
    assert as_file.get_content() == eight_bit


def test_extra_header_fields_are_added_and_line_breaks_in_them_refused():
    raw = build_message(
        sender=Mailbox("alice@courriel.test"),
        to=[Mailbox("bob@example.net")],
        subject="Away",
        text="Back Monday.",
        extra_headers=[("Auto-Submitted", "auto-replied")],
    )
    assert b"\r\nAuto-Submitted: auto-replied\r\n" in raw
    with pytest.raises(ValueError):
        build_message(
            sender=Mailbox("alice@courriel.test"),
            to=[Mailbox("bob@example.net")],
            extra_headers=[("Auto-Submitted", "no\r\nBcc: victim@example.net")],
        )
