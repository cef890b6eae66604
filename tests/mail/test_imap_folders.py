"""Folders over IMAP against the real Dovecot fixture: listing, special uses,
names that are hard to carry, STATUS and QUOTA."""

import pytest
from imapclient import IMAPClient

from tests.harness.dovecot import QUOTA_STORAGE_KIB, SPECIAL_USE_MAILBOXES
from webmail.mail.errors import ProtocolError
from webmail.mail.imap import open_imap
from webmail.mail.types import Security, ServerSettings


def message(subject: str = "Hello") -> bytes:
    return f"From: a@courriel.test\r\nSubject: {subject}\r\n\r\nBody.\r\n".encode()


@pytest.fixture
def session(dovecot, mail_user):
    settings = ServerSettings(
        dovecot.host, dovecot.imap_port, Security.PLAIN, mail_user.name, mail_user.password
    )
    with open_imap(settings) as opened:
        yield opened


def names(session) -> set[str]:
    return {folder.name for folder in session.list_folders()}


def test_special_use_folders_come_from_the_servers_attributes(session):
    folders = {folder.name: folder for folder in session.list_folders()}

    assert {name: folders[name].special_use for name in SPECIAL_USE_MAILBOXES} == (
        SPECIAL_USE_MAILBOXES
    )
    assert folders["INBOX"].special_use is None
    assert folders["INBOX"].selectable
    assert folders["INBOX"].delimiter == "."


def test_a_folder_named_like_a_flagged_one_is_not_guessed(session):
    session.create_folder("Courrier indésirable")

    [junk] = [folder for folder in session.list_folders() if folder.special_use == "\\Junk"]
    assert junk.name == "Junk"


NON_ASCII_NAMES = ["Reçus 2024 — été", "日本語", "Boîte 📬", "Tom & Jerry", "INBOX.Reçus"]


@pytest.mark.parametrize("name", NON_ASCII_NAMES)
def test_non_ascii_folder_names_round_trip(dovecot, mail_user, session, name):
    session.create_folder(name)
    dovecot.deliver(mail_user, message(), folder=name)

    assert name in names(session)
    assert session.folder_status(name).messages == 1
    assert session.select(name).exists == 1

    session.rename_folder(name, name + " (old)")
    assert name + " (old)" in names(session)
    assert name not in names(session)


# Each is created as exactly that name, or refused: never a command of its own.
@pytest.mark.parametrize(
    "name", ['Reçus "spéciaux"', "back\\slash", "Dossier {5}", "a) (b", "100%*", " A1 LOGOUT"]
)
def test_names_full_of_imap_syntax_are_created_exactly(session, name):
    session.create_folder(name)

    assert name in names(session)
    assert session.folder_status(name).messages == 0


@pytest.mark.parametrize(
    "name", ['Reçus "spéciaux"\r\nA1 LOGOUT', "x\r\n", "nul\0", "tab\tname", ""]
)
def test_names_with_control_characters_are_refused_and_inject_nothing(session, name):
    before = names(session)

    with pytest.raises(ProtocolError) as failure:
        session.create_folder(name)

    assert failure.value.code == "invalid_name"
    session.noop()  # still logged in: no LOGOUT reached the server
    assert names(session) == before


def test_a_name_the_server_refuses_is_a_clear_error(session):
    with pytest.raises(ProtocolError) as failure:
        session.create_folder("a/b")

    assert failure.value.code == "cannot"


def test_creating_an_existing_folder_says_so(session):
    session.create_folder("Projects")

    with pytest.raises(ProtocolError) as failure:
        session.create_folder("Projects")

    assert failure.value.code == "already_exists"


def test_folders_are_created_renamed_and_deleted(session):
    session.create_folder("Projects")
    session.create_folder("Projects.2024")
    session.rename_folder("Projects", "Work")

    assert {"Work", "Work.2024"} <= names(session)
    assert not {"Projects", "Projects.2024"} & names(session)

    session.select("Work.2024")
    session.delete_folder("Work.2024")
    assert "Work.2024" not in names(session)
    assert session.selected is None


def test_selecting_a_missing_folder_is_a_clear_error(session):
    session.select("INBOX")

    with pytest.raises(ProtocolError, match="Nowhere"):
        session.select("Nowhere")

    assert session.selected is None


def test_status_counts_messages_unseen_and_uids(dovecot, mail_user, session):
    dovecot.deliver(mail_user, message("one"), flags=["\\Seen"])
    dovecot.deliver_many(mail_user, [message("two"), message("three")])

    status = session.folder_status("INBOX")

    assert (status.messages, status.unseen, status.uidnext) == (3, 2, 4)
    assert status.uidvalidity > 0
    assert status.highestmodseq is not None


def test_examine_leaves_recent_and_seen_alone(dovecot, mail_user, session):
    uid = dovecot.deliver(mail_user, message())

    selected = session.select("INBOX")
    [summary] = session.fetch_summaries([uid])
    session.fetch_message(uid)
    session.fetch_previews({uid: summary.preview_section})

    assert selected.readonly and selected.exists == 1
    with IMAPClient(dovecot.host, dovecot.imap_port, ssl=False, timeout=10) as other:
        other.login(mail_user.name, mail_user.password)
        assert other.select_folder("INBOX")[b"RECENT"] == 1
        assert b"\\Seen" not in other.get_flags([uid])[uid]


def test_quota_is_the_configured_storage_limit(dovecot, mail_user, session):
    dovecot.deliver(mail_user, message("x" * 5000))

    quota = session.quota()

    assert quota.limit_kib == QUOTA_STORAGE_KIB
    assert 5 <= quota.used_kib < 20
