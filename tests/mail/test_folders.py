"""Finding Sent, Drafts, Trash, Junk and Archive on servers that do not say."""

import unicodedata

import pytest

from webmail.mail.folders import (
    special_use_by_name,
    special_use_from_attributes,
    with_fallback_special_uses,
)
from webmail.mail.imap_types import FolderInfo


def folder(name: str, *attributes: str, delimiter: str = ".") -> FolderInfo:
    return FolderInfo(
        name=name,
        raw_name=name.encode(),
        delimiter=delimiter,
        flags=frozenset(attributes),
        special_use=special_use_from_attributes(attributes),
        selectable="\\Noselect" not in attributes,
    )


def uses(folders: list[FolderInfo]) -> dict[str, str]:
    return {
        found.special_use: found.name
        for found in with_fallback_special_uses(folders)
        if found.special_use
    }


@pytest.mark.parametrize(
    ("name", "use"),
    [
        ("Sent Items", "\\Sent"),
        ("Éléments envoyés", "\\Sent"),
        ("Messages envoyés", "\\Sent"),
        ("Gesendete Objekte", "\\Sent"),
        ("Enviados", "\\Sent"),
        ("Inviati", "\\Sent"),
        ("Verzonden", "\\Sent"),
        ("Brouillons", "\\Drafts"),
        ("Entwürfe", "\\Drafts"),
        ("Borradores", "\\Drafts"),
        ("Bozze", "\\Drafts"),
        ("Deleted Items", "\\Trash"),
        ("Corbeille", "\\Trash"),
        ("Éléments supprimés", "\\Trash"),
        ("Papierkorb", "\\Trash"),
        ("Papelera", "\\Trash"),
        ("Cestino", "\\Trash"),
        ("Courrier indésirable", "\\Junk"),
        ("Indésirables", "\\Junk"),
        ("SPAM", "\\Junk"),
        ("Archives", "\\Archive"),
        ("Archiv", "\\Archive"),
    ],
)
def test_well_known_names_in_several_languages_are_recognised(name, use):
    assert uses([folder("INBOX"), folder(name)]) == {use: name}


def test_names_are_matched_ignoring_case_spaces_and_decomposed_accents():
    decomposed = unicodedata.normalize("NFD", " ÉLÉMENTS ENVOYÉS ")

    assert uses([folder(decomposed)]) == {"\\Sent": decomposed}


@pytest.mark.parametrize("delimiter", [".", "/"])
def test_folders_directly_under_inbox_count(delimiter):
    names = [f"INBOX{delimiter}Sent", f"INBOX{delimiter}Trash", f"Work{delimiter}Drafts"]

    found = uses([folder(name, delimiter=delimiter) for name in names])

    assert found == {"\\Sent": names[0], "\\Trash": names[1]}


def test_a_top_level_folder_wins_over_one_under_inbox_then_the_usual_name():
    folders = [folder("INBOX.Sent"), folder("Sent Items"), folder("Sent Messages")]

    assert uses(folders) == {"\\Sent": "Sent Items"}


def test_the_servers_attribute_wins_over_any_name():
    folders = [folder("Sent"), folder("Outbox copies", "\\Sent"), folder("Trash")]

    assert uses(folders) == {"\\Sent": "Outbox copies", "\\Trash": "Trash"}


def test_a_folder_that_cannot_be_selected_is_not_chosen():
    assert uses([folder("Trash", "\\Noselect"), folder("INBOX.Trash")]) == {
        "\\Trash": "INBOX.Trash"
    }


def test_legacy_gmail_attributes_are_understood():
    assert special_use_from_attributes(["\\HasNoChildren", "\\SPAM"]) == "\\Junk"
    assert special_use_from_attributes(["\\HasNoChildren"]) is None


def test_deeper_or_foreign_parents_are_not_guessed():
    assert special_use_by_name("Projects.Sent", ".") is None
    assert special_use_by_name("INBOX.Old.Sent", ".") is None
    assert special_use_by_name("Sent", None) == ("\\Sent", 0, 0)
