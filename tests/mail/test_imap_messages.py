"""Messages over IMAP against the real Dovecot fixture: summaries, previews,
flags, moves, appends, QRESYNC, CHANGEDSINCE and IDLE."""

import threading
import time
from datetime import UTC, datetime

import pytest
from imapclient import IMAPClient

from tests.messages import make_message
from webmail.mail.errors import ProtocolError
from webmail.mail.imap import open_imap
from webmail.mail.imap_types import Address, Attachment, FlagUpdate
from webmail.mail.types import Security, ServerSettings


def message(subject: str = "Hello", body: str = "Body.", headers: str = "") -> bytes:
    return (
        f"From: Alice <alice@courriel.test>\r\nTo: bob@courriel.test\r\n"
        f"Subject: {subject}\r\n{headers}\r\n{body}\r\n"
    ).encode()


@pytest.fixture
def imap_settings(dovecot, mail_user) -> ServerSettings:
    return ServerSettings(
        dovecot.host, dovecot.imap_port, Security.PLAIN, mail_user.name, mail_user.password
    )


@pytest.fixture
def session(imap_settings):
    with open_imap(imap_settings) as opened:
        yield opened


@pytest.fixture
def other(dovecot, mail_user):
    """Another client of the same mailbox, changing things behind our back."""
    with IMAPClient(dovecot.host, dovecot.imap_port, ssl=False, timeout=10) as client:
        client.login(mail_user.name, mail_user.password)
        yield client


def uids_in(session, folder: str) -> list[int]:
    session.select(folder)
    return session.all_uids()


NON_ASCII = (
    b"From: =?utf-8?q?Ren=C3=A9e_Dupr=C3=A9?= <renee@courriel.test>\r\n"
    b"To: =?iso-8859-1?q?J=FCrgen?= <jurgen@courriel.test>, team@courriel.test\r\n"
    b"Cc: \xc3\x89lodie <elodie@courriel.test>\r\n"
    b"Subject: =?utf-8?b?UsOpdW5pb24gZGUgc3VpdmkgZHUgcHJvamV0?= \xe2\x80\x94 lundi\r\n"
    b"Date: Mon, 15 Jan 2024 10:00:00 +0100\r\n"
    b"Message-ID: <root@courriel.test>\r\n\r\nBonjour \xc3\xa0 tous.\r\n"
)
WITH_ATTACHMENT = (
    b"From: a@courriel.test\r\nSubject: Report\r\nMIME-Version: 1.0\r\n"
    b"Message-ID: <report@courriel.test>\r\n"
    b"In-Reply-To: <root@courriel.test>\r\n"
    b"References: <root@courriel.test>\r\n <middle@courriel.test>\r\n"
    b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
    b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n\r\nVoici le rapport =C3=A9crit.\r\n"
    b'--XX\r\nContent-Type: application/pdf; name="r.pdf"\r\n'
    b"Content-Disposition: attachment; filename*=utf-8''rapport%20%C3%A9t%C3%A9.pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--XX--\r\n"
)


def test_summaries_decode_non_ascii_headers(dovecot, mail_user, session):
    uid = dovecot.deliver(mail_user, NON_ASCII, flags=["\\Seen", "$Label1"])
    session.select("INBOX")

    [found] = session.fetch_summaries([uid])

    assert found.subject == "Réunion de suivi du projet — lundi"
    assert found.from_ == (Address("Renée Dupré", "renee@courriel.test"),)
    assert found.to == (
        Address("Jürgen", "jurgen@courriel.test"),
        Address("", "team@courriel.test"),
    )
    assert found.cc == (Address("Élodie", "elodie@courriel.test"),)
    assert found.date == datetime(2024, 1, 15, 9, 0, tzinfo=UTC)
    assert found.internal_date.tzinfo is not None
    assert found.flags == {"\\Seen", "$Label1"}
    assert found.modseq and found.size == len(NON_ASCII)
    assert found.preview == "Bonjour à tous."  # Dovecot's own PREVIEW


def test_summaries_show_attachments_and_threads(dovecot, mail_user, session):
    uid = dovecot.deliver(mail_user, WITH_ATTACHMENT)
    session.select("INBOX")

    [found] = session.fetch_summaries([uid])

    assert found.has_attachments
    assert found.attachments == (Attachment("2", "rapport été.pdf", "application/pdf", 12),)
    assert found.content_type == "multipart/mixed"
    assert found.preview_section == "1"
    assert found.message_id == "<report@courriel.test>"
    assert found.in_reply_to == "<root@courriel.test>"
    assert found.references == ("<root@courriel.test>", "<middle@courriel.test>")


def test_previews_decode_the_preview_part(dovecot, mail_user, session):
    html = (
        b"From: a@courriel.test\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"PGh0bWw+PGJvZHk+PHA+Q2Fm6SBjcuhtZTwvcD48L2JvZHk+PC9odG1sPg==\r\n"
    )
    uids = dovecot.deliver_many(mail_user, [html, WITH_ATTACHMENT, NON_ASCII])
    session.select("INBOX")
    summaries = session.fetch_summaries(uids)

    previews = session.fetch_previews(
        {summary.uid: summary.preview_section for summary in summaries}, max_bytes=64
    )

    assert previews == {
        uids[0]: "Café crème",
        uids[1]: "Voici le rapport écrit.",
        uids[2]: "Bonjour à tous.",
    }


def test_missing_uids_are_left_out_of_summaries(dovecot, mail_user, session):
    uid = dovecot.deliver(mail_user, message())
    session.select("INBOX")

    assert [found.uid for found in session.fetch_summaries([uid, uid + 10])] == [uid]
    assert session.fetch_summaries([]) == []


def test_summary_batches_come_one_per_batch_in_order(dovecot, mail_user, session):
    uids = dovecot.deliver_many(mail_user, [message(f"Message {n}") for n in range(5)])
    session.select("INBOX")
    batches = [[uids[4], uids[3]], [], [uids[0], uids[2] + 100], uids[1:3]]

    found = [[s.uid for s in batch] for batch in session.fetch_summary_batches(batches)]

    assert found == [[uids[3], uids[4]], [], [uids[0]], uids[1:3]]
    assert session.fetch_summaries(uids) == [
        summary
        for batch in session.fetch_summary_batches([uids[:2], uids[2:]])
        for summary in batch
    ]


def test_pipelined_batches_answered_concurrently_lose_nothing(dovecot, mail_user, session):
    # Dovecot runs pipelined FETCHes concurrently: once a batch's output fills the
    # socket, the next batch's responses come before the first one's completion.
    mail = [message(f"Message {n}", body="x" * 2000) for n in range(600)]
    uids = dovecot.deliver_many(mail_user, mail)
    session.select("INBOX")
    batches = [uids[start : start + 50] for start in range(0, len(uids), 50)]

    for _round in range(5):
        found = [[s.uid for s in batch] for batch in session.fetch_summary_batches(batches)]
        assert found == batches


def test_leaving_summary_batches_early_keeps_the_session_usable(dovecot, mail_user, session):
    uids = dovecot.deliver_many(mail_user, [message(f"Message {n}") for n in range(4)])
    session.select("INBOX")
    batches = session.fetch_summary_batches([[uid] for uid in uids])

    first = next(batches)
    batches.close()  # the second batch's FETCH is still in flight, maybe a third

    assert [s.uid for s in first] == uids[:1]
    assert session.all_uids() == uids
    assert [s.subject for s in session.fetch_summaries(uids[-1:])] == ["Message 3"]


def test_messages_and_parts_are_fetched_as_stored(dovecot, mail_user, session):
    uid = dovecot.deliver(mail_user, WITH_ATTACHMENT)
    session.select("INBOX")

    assert session.fetch_message(uid) == WITH_ATTACHMENT
    assert session.fetch_part(uid, "2") == b"JVBERi0xLjQK"
    assert b"filename*=" in session.fetch_part(uid, "2.MIME")
    with pytest.raises(ProtocolError) as failure:
        session.fetch_message(uid + 1)
    assert failure.value.code == "nonexistent"


@pytest.mark.parametrize("section", ["1] BODY[", "2 (FLAGS)", "HEADER.FIELDS (X)", "1.0", ""])
def test_odd_sections_are_refused(dovecot, mail_user, session, section):
    uid = dovecot.deliver(mail_user, message())
    session.select("INBOX")

    with pytest.raises(ProtocolError) as failure:
        session.fetch_part(uid, section)
    assert failure.value.code == "invalid_section"


def test_uid_lists(dovecot, mail_user, session):
    uids = dovecot.deliver_many(mail_user, [message(str(n)) for n in range(5)])
    session.select("INBOX")

    assert session.all_uids() == uids
    assert session.uids_since(uids[2]) == uids[3:]
    assert session.uids_since(uids[-1]) == []


def test_flags_are_added_removed_and_read_back(dovecot, mail_user, session):
    uids = dovecot.deliver_many(mail_user, [message("a"), message("b")])
    session.select("INBOX", readonly=False)

    session.store_flags(uids, add=["\\Seen", "\\Flagged", "$Todo"])
    session.store_flags(uids[:1], remove=["\\Flagged", "$Todo"])

    assert [(update.uid, update.flags) for update in session.fetch_flags()] == [
        (uids[0], {"\\Seen"}),
        (uids[1], {"\\Seen", "\\Flagged", "$Todo"}),
    ]
    assert [update.uid for update in session.fetch_flags(uids=uids[1:])] == uids[1:]


def test_an_empty_folder_has_no_flags(session):
    session.select("Drafts")

    assert session.fetch_flags() == []
    assert session.all_uids() == []


def test_changes_need_a_read_write_selection(dovecot, mail_user, session):
    uid = dovecot.deliver(mail_user, message())
    session.select("INBOX")

    with pytest.raises(ProtocolError) as failure:
        session.store_flags([uid], add=["\\Seen"])
    assert failure.value.code == "read_only"


@pytest.mark.parametrize("flag", ["\\Seen) A1 LOGOUT", "two words", "", "\\", "été", "a\r\nb"])
def test_malformed_flags_are_refused(dovecot, mail_user, session, flag):
    uid = dovecot.deliver(mail_user, message())
    session.select("INBOX", readonly=False)

    with pytest.raises(ProtocolError) as failure:
        session.store_flags([uid], add=[flag])
    assert failure.value.code == "invalid_flag"
    session.noop()


def test_changed_since_returns_only_what_changed(dovecot, mail_user, session, other):
    uids = dovecot.deliver_many(mail_user, [message(str(n)) for n in range(3)])
    before = session.select("INBOX").highestmodseq

    other.select_folder("INBOX")
    other.add_flags([uids[1]], ["\\Answered"])

    [changed] = session.fetch_flags(changed_since=before)
    assert changed.uid == uids[1]
    assert changed.flags == {"\\Answered"}
    assert changed.modseq > before


def test_qresync_reports_what_vanished_and_what_changed(dovecot, mail_user, session, other):
    uids = dovecot.deliver_many(mail_user, [message(str(n)) for n in range(4)])
    known = session.select("INBOX")

    other.select_folder("INBOX")
    other.add_flags([uids[1]], ["\\Flagged"])
    other.delete_messages([uids[2], uids[3]])
    other.expunge()
    session.select("Archive")  # as a sync would, between two visits

    resynced = session.select("INBOX", qresync=(known.uidvalidity, known.highestmodseq))

    assert resynced.qresync
    assert resynced.vanished == (uids[2], uids[3])
    assert [(update.uid, update.flags) for update in resynced.changed] == [(uids[1], {"\\Flagged"})]
    assert resynced.highestmodseq > known.highestmodseq
    assert resynced.exists == 2


def test_qresync_with_another_uidvalidity_reports_nothing_stale(dovecot, mail_user, session):
    dovecot.deliver(mail_user, message())
    known = session.select("INBOX")

    resynced = session.select("INBOX", qresync=(known.uidvalidity + 1, 1))

    assert resynced.uidvalidity == known.uidvalidity
    assert (resynced.vanished, resynced.changed) == ((), ())


def test_move_uses_move_and_reports_the_new_uids(dovecot, mail_user, session):
    uids = dovecot.deliver_many(mail_user, [message("a"), message("b"), message("c")])
    session.select("INBOX", readonly=False)

    moved = session.move(uids[:2], "Archive")

    archived = uids_in(session, "Archive")
    assert moved == dict(zip(uids[:2], archived, strict=True))
    assert uids_in(session, "INBOX") == uids[2:]


def test_move_without_move_expunges_only_the_moved_messages(dovecot, mail_user, session, other):
    uids = dovecot.deliver_many(mail_user, [message("a"), message("b")])
    other.select_folder("INBOX")
    other.add_flags([uids[1]], ["\\Deleted"])  # another client's, not yet expunged
    session.capabilities -= {"MOVE"}
    session.select("INBOX", readonly=False)

    moved = session.move([uids[0]], "Trash")

    assert list(moved) == [uids[0]]
    assert uids_in(session, "INBOX") == [uids[1]]
    assert len(uids_in(session, "Trash")) == 1


def test_move_without_move_or_uidplus_is_refused_and_changes_nothing(dovecot, mail_user, session):
    uid = dovecot.deliver(mail_user, message())
    session.capabilities -= {"MOVE", "UIDPLUS"}
    session.select("INBOX", readonly=False)

    with pytest.raises(ProtocolError) as failure:
        session.move([uid], "Trash")

    assert failure.value.code == "move_unsupported"
    assert uids_in(session, "INBOX") == [uid]


def test_append_returns_the_uid_and_keeps_flags_and_date(session):
    when = datetime(2024, 3, 1, 12, 30, tzinfo=UTC)

    uid = session.append("Sent", message("Sent copy"), flags=["\\Seen"], when=when)

    session.select("Sent")
    [found] = session.fetch_summaries([uid])
    assert (found.subject, found.flags, found.internal_date) == ("Sent copy", {"\\Seen"}, when)


def test_append_to_a_non_ascii_folder(session):
    session.create_folder("Envoyés")

    uid = session.append("Envoyés", message())

    assert uids_in(session, "Envoyés") == [uid]


def test_idle_returns_soon_after_another_connection_delivers(dovecot, mail_user, session):
    session.select("INBOX")
    delivery = threading.Timer(0.3, dovecot.deliver, (mail_user, message("new")))
    delivery.start()
    started = time.monotonic()

    changed = session.idle(10)

    delivery.join()
    assert changed
    assert time.monotonic() - started < 2
    assert len(session.all_uids()) == 1  # the session is usable after IDLE


def test_idle_returns_false_when_nothing_happens(session):
    started = time.monotonic()

    assert session.idle(0.3) is False
    assert 0.25 < time.monotonic() - started < 2
    assert session.selected == "INBOX"


def test_without_idle_polling_notices_a_delivery(dovecot, mail_user, session):
    session.capabilities -= {"IDLE"}
    session.select("INBOX")
    delivery = threading.Timer(0.3, dovecot.deliver, (mail_user, message("new")))
    delivery.start()
    started = time.monotonic()

    changed = session.idle(5)

    delivery.join()
    assert changed
    assert time.monotonic() - started < 2.5


def test_flag_changes_by_another_connection_wake_idle(dovecot, mail_user, session, other):
    uid = dovecot.deliver(mail_user, message())
    session.select("INBOX")
    other.select_folder("INBOX")
    change = threading.Timer(0.3, other.add_flags, ([uid], ["\\Seen"]))
    change.start()

    assert session.idle(5)
    change.join()
    assert session.fetch_flags() == [
        FlagUpdate(uid, frozenset({"\\Seen"}), session.fetch_flags()[0].modseq)
    ]


def test_messages_are_found_by_message_id_and_odd_ids_are_refused(dovecot, mail_user, session):
    dovecot.deliver_many(mail_user, [make_message(1), make_message(2), make_message(1)])
    session.select("INBOX")
    assert session.uids_with_message_id("<m1@example.org>") == [1, 3]
    assert session.uids_with_message_id('<q"u\\ote@example.org>') == []  # quoted, not injected
    for odd in ["<m1@example.org> OR ALL", "m1@example.org", "<a@b>\r\nA1 LOGOUT", ""]:
        with pytest.raises(ProtocolError):
            session.uids_with_message_id(odd)


def test_header_fields_come_alone_for_several_messages_and_leave_them_unread(
    dovecot, mail_user, session
):
    robot = dovecot.deliver(mail_user, message(headers="Auto-Submitted: auto-replied\r\n"))
    plain = dovecot.deliver(mail_user, message(body="A long body. " * 500))
    session.select("INBOX")

    blocks = session.fetch_header_fields([robot, plain, plain + 10], ["Auto-Submitted", "From"])

    assert (
        blocks[robot]
        == b"From: Alice <alice@courriel.test>\r\nAuto-Submitted: auto-replied\r\n\r\n"
    )
    assert blocks[plain] == b"From: Alice <alice@courriel.test>\r\n\r\n"
    assert plain + 10 not in blocks
    assert all(b"\\Seen" not in update.flags for update in session.fetch_flags(uids=[robot, plain]))


@pytest.mark.parametrize("name", ["From)] BODY[", "X Spam", ""])
def test_header_field_names_that_would_change_the_command_are_refused(session, name):
    session.select("INBOX")
    with pytest.raises(ProtocolError):
        session.fetch_header_fields([1], [name])
