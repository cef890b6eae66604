"""Which folder holds sent mail, drafts, trash, junk and archives.

Servers say so with SPECIAL-USE attributes (RFC 6154). Many do not (Exchange,
older Courier and Cyrus setups, or a Dovecot without ``special_use`` lines), and
then clients agree on names: we recognise the usual ones in the languages of
our users' mailers, upper or lower case, at the top level or under INBOX.
"""

import dataclasses
import unicodedata
from collections.abc import Iterable, Sequence

from webmail.mail.imap_types import SPECIAL_USES, FolderInfo

# Attributes from before RFC 6154 (Gmail's XLIST) that still appear in the wild.
_LEGACY_ATTRIBUTES = {"\\spam": "\\Junk", "\\allmail": "\\All", "\\starred": "\\Flagged"}
_ATTRIBUTES = {use.lower(): use for use in SPECIAL_USES} | _LEGACY_ATTRIBUTES

# Ordered by preference within each use: the first that exists wins.
WELL_KNOWN_NAMES: dict[str, tuple[str, ...]] = {
    "\\Sent": (
        "Sent", "Sent Items", "Sent Messages", "Sent Mail", "Envoyés", "Éléments envoyés",
        "Messages envoyés", "Gesendet", "Gesendete Objekte", "Gesendete Elemente",
        "Enviados", "Elementos enviados", "Inviati", "Posta inviata", "Verzonden",
        "Verzonden items", "Itens enviados", "Skickat", "Skickade objekt", "Sendt",
        "Sendte elementer", "Wysłane", "Odeslané", "Отправленные",
    ),
    "\\Drafts": (
        "Drafts", "Draft", "Brouillons", "Entwürfe", "Borradores", "Bozze", "Concepten",
        "Rascunhos", "Utkast", "Kladder", "Kopie robocze", "Koncepty", "Черновики",
    ),
    "\\Trash": (
        "Trash", "Deleted Items", "Deleted Messages", "Deleted", "Bin", "Corbeille",
        "Éléments supprimés", "Messages supprimés", "Papierkorb", "Gelöschte Elemente",
        "Gelöschte Objekte", "Papelera", "Elementos eliminados", "Cestino",
        "Posta eliminata", "Prullenbak", "Verwijderde items", "Lixeira", "Lixo",
        "Itens excluídos", "Papperskorgen", "Kosz", "Koš", "Корзина",
    ),
    "\\Junk": (
        "Junk", "Spam", "Junk E-mail", "Junk Email", "Junk Mail", "Bulk Mail",
        "Courrier indésirable", "Indésirables", "Pourriel", "Junk-E-Mail", "Spamverdacht",
        "Correo no deseado", "Posta indesiderata", "Ongewenste e-mail", "Lixo eletrônico",
        "Skräppost", "Спам",
    ),
    "\\Archive": (
        "Archive", "Archives", "Archiv", "Archivio", "Archivo", "Archief", "Arquivo",
        "Arkiv", "Archiwum", "Архив",
    ),
}  # fmt: skip


def _normalised(name: str) -> str:
    # NFC first: macOS servers hand out decomposed accents ("e" + U+0301).
    return unicodedata.normalize("NFC", name).strip().casefold()


_RANK_BY_NAME = {
    _normalised(name): (use, rank)
    for use, names in WELL_KNOWN_NAMES.items()
    for rank, name in enumerate(names)
}


def special_use_from_attributes(attributes: Iterable[str]) -> str | None:
    """The RFC 6154 use named by a LIST response's attributes, if any."""
    for attribute in attributes:
        use = _ATTRIBUTES.get(attribute.lower())
        if use is not None:
            return use
    return None


def special_use_by_name(name: str, delimiter: str | None) -> tuple[str, int, int] | None:
    """(use, depth, rank) when ``name`` is a well-known name at the top level
    (depth 0) or directly under INBOX (depth 1, Courier/Cyrus "INBOX.Sent")."""
    leaf, depth = name, 0
    if delimiter and delimiter in name:
        parent, _, leaf = name.partition(delimiter)
        if parent.upper() != "INBOX" or delimiter in leaf:
            return None
        depth = 1
    found = _RANK_BY_NAME.get(_normalised(leaf))
    return (found[0], depth, found[1]) if found else None


def with_fallback_special_uses(folders: Sequence[FolderInfo]) -> list[FolderInfo]:
    """``folders`` where each use no folder carries gets the best-named
    selectable folder without a use of its own: top level before INBOX
    children, then the order of WELL_KNOWN_NAMES."""
    present = {folder.special_use for folder in folders}
    best: dict[str, tuple[tuple[int, int], int]] = {}
    for index, folder in enumerate(folders):
        if folder.special_use or not folder.selectable:
            continue
        found = special_use_by_name(folder.name, folder.delimiter)
        if found is None or found[0] in present:
            continue
        use, depth, rank = found
        if use not in best or (depth, rank) < best[use][0]:
            best[use] = ((depth, rank), index)
    chosen = {index: use for use, (_, index) in best.items()}
    return [
        dataclasses.replace(folder, special_use=chosen[index]) if index in chosen else folder
        for index, folder in enumerate(folders)
    ]
