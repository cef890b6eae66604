"""The mbox format both ways (mboxrd), against Python's own mailbox module too."""

import io
import mailbox
from datetime import UTC, datetime

from webmail.mail.mbox import (
    FLAGGED,
    SEEN,
    envelope_sender,
    from_line,
    looks_like_message,
    mbox_entry,
    read_mbox,
    status_flags,
)

WHEN = datetime(2026, 3, 8, 9, 5, 7, tzinfo=UTC)
TRICKY = (
    b"Return-Path: <bounce@example.org>\r\nFrom: a@example.org\r\nSubject: tricky\r\n\r\n"
    b"From the start, a line that mbox must quote.\r\n>From one already quoted.\r\n"
    b">>From twice.\r\nFrom\r\nCaf\xc3\xa9 8-bit.\r\n"
)


def lines_of(data: bytes):
    return iter(io.BytesIO(data).readline, b"")


def test_the_from_line_has_the_envelope_sender_and_an_asctime_date():
    expected = b"From bounce@example.org Sun Mar  8 09:05:07 2026\n"
    assert from_line("bounce@example.org", WHEN) == expected
    assert from_line("", WHEN).startswith(b"From MAILER-DAEMON ")


def test_the_envelope_sender_is_the_return_path():
    assert envelope_sender(TRICKY) == "bounce@example.org"
    assert envelope_sender(b"From: a@example.org\n\nbody") == ""


def test_an_entry_quotes_from_lines_mboxrd_style_with_lf_line_ends():
    entry = mbox_entry(TRICKY, when=WHEN)
    assert b"\r" not in entry
    assert b"\n>From the start" in entry
    assert b"\n>>From one already quoted" in entry
    assert b"\n>>>From twice" in entry
    assert b"\nFrom\n" in entry  # "From" without a space is no separator
    assert entry.endswith(b"8-bit.\n\n")


def test_written_then_read_gives_the_same_bytes_with_lf():
    others = [b"Subject: no final newline\n\nlast line", b"Subject: empty body\n\n"]
    data = b"".join(mbox_entry(raw, when=WHEN) for raw in [TRICKY, *others])
    entries = list(read_mbox(lines_of(data)))
    assert [e.raw for e in entries] == [
        TRICKY.replace(b"\r\n", b"\n"),
        b"Subject: no final newline\n\nlast line\n",
        b"Subject: empty body\n\n",
    ]
    assert entries[0].sender == "bounce@example.org" and entries[0].received == WHEN


def test_pythons_mailbox_reads_what_we_write(tmp_path):
    path = tmp_path / "out.mbox"
    path.write_bytes(b"".join(mbox_entry(raw, when=WHEN) for raw in [TRICKY, TRICKY]))
    messages = list(mailbox.mbox(path))
    assert len(messages) == 2
    assert messages[0]["Subject"] == "tricky"
    assert messages[0].get_from() == "bounce@example.org Sun Mar  8 09:05:07 2026"


def test_we_read_what_pythons_mailbox_writes_including_crlf_files(tmp_path):
    box = mailbox.mbox(tmp_path / "in.mbox")
    box.add(b"From: a@example.org\nSubject: one\n\nbody one\n")
    box.add(b"From: b@example.org\nSubject: two\nStatus: RO\n\nbody two\n")
    box.flush()
    data = (tmp_path / "in.mbox").read_bytes().replace(b"\n", b"\r\n")
    entries = list(read_mbox(lines_of(data)))
    assert [e.raw.split(b"\n")[1] for e in entries] == [b"Subject: one", b"Subject: two"]
    assert entries[1].flags == {SEEN} and entries[0].flags == set()


def test_mboxo_quoting_is_undone_as_mboxrd():
    data = b"From x Sun Mar  8 09:05:07 2026\nSubject: s\n\n>From here\n"
    [entry] = read_mbox(lines_of(data))
    assert entry.raw == b"Subject: s\n\nFrom here\n"


def test_thunderbird_from_lines_and_status_headers():
    data = (
        b"From - Sun Mar  8 09:05:07 2026\nX-Mozilla-Status: 0005\nSubject: s\n\nb\n\n"
        b"From - Sun Mar  8 09:05:07 2026\nX-Status: F\nSubject: t\n\nb\n"
    )
    first, second = read_mbox(lines_of(data))
    assert first.sender == "" and first.received == WHEN
    assert first.flags == {SEEN, FLAGGED} and second.flags == {FLAGGED}


def test_an_unquoted_from_inside_a_paragraph_does_not_split_a_message():
    data = b"From x Sun Mar  8 09:05:07 2026\nSubject: s\n\nline\nFrom here on\n"
    assert len(list(read_mbox(lines_of(data)))) == 1


def test_garbage_before_and_between_messages_comes_out_as_entries_that_are_not_mail():
    data = (
        b"garbage before\n\nFrom x Sun Mar  8 09:05:07 2026\nSubject: one\n\nb\n\n"
        b"From y Sun Mar  8 09:05:07 2026\n\x00\x01 binary junk\nno header here\n\n"
        b"From z Sun Mar  8 09:05:07 2026\nSubject: two\n\nb\n"
    )
    entries = list(read_mbox(lines_of(data)))
    assert [looks_like_message(e.raw) for e in entries] == [False, True, False, True]


def test_what_looks_like_a_message():
    assert looks_like_message(b"Received: x\r\n\tfolded\r\nSubject: s\r\n\r\nbody")
    assert not looks_like_message(b"Note: this is a text file\n\nwith a colon")
    assert not looks_like_message(b"\x89PNG\r\n\x1a\n")
    assert not looks_like_message(b"")


def test_status_without_r_is_unread():
    assert status_flags(b"Status: O\nSubject: s\n\n") == set()


def test_a_from_line_with_a_date_starts_a_message_even_without_an_empty_line():
    data = (
        b"From x Sun Mar  8 09:05:07 2026\nSubject: one\n\nb\n"
        b"From y Sun Mar  8 09:05:07 2026\nSubject: two\n\nb\n"
    )
    assert [e.sender for e in read_mbox(lines_of(data))] == ["x", "y"]
