"""vCard (RFC 6350, and the 3.0 and 2.1 files address books still export), both
ways, for names, e-mail addresses and notes only. Pure: no Django.

Reading never raises on a file's content: what cannot be read is skipped, and
sizes are capped, since the file comes from anywhere.
"""

import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MAX_CARDS = 5000
MAX_LINE = 8000
MAX_FIELD = 2000
_FOLD = re.compile(r"\r?\n[ \t]")
_ESCAPED = re.compile(r"\\(.)", re.DOTALL)
_UNESCAPE = {"n": "\n", "N": "\n"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass(frozen=True)
class Card:
    name: str
    emails: tuple[str, ...]
    note: str = ""


def read_cards(text: str) -> Iterator[Card]:
    """The cards of a .vcf file, in order; at most MAX_CARDS."""
    card: dict[str, list[str]] | None = None
    found = 0
    for line in _logical_lines(text):
        if len(line) > MAX_LINE:
            continue
        name, params, value = _property(line)
        if name == "BEGIN" and value.upper() == "VCARD":
            card = {}
        elif name == "END" and card is not None:
            if made := _card(card):
                yield made
                found += 1
                if found >= MAX_CARDS:
                    return
            card = None
        elif card is not None and name in ("FN", "N", "EMAIL", "NOTE"):
            card.setdefault(name, []).append(_decoded(value, params))


def _logical_lines(text: str) -> Iterator[str]:
    """Unfolded lines; a vCard 2.1 quoted-printable value ending in "=" goes on
    on the next line (a soft line break), and only such a value does."""
    pending = ""
    for line in _FOLD.sub("", text).splitlines():
        line = pending + line
        head = line.partition(":")[0].upper()
        if "QUOTED-PRINTABLE" in head and line.endswith("=") and len(line) < MAX_LINE:
            pending = line[:-1]
            continue
        pending = ""
        yield line
    if pending:
        yield pending


def _property(line: str) -> tuple[str, dict[str, str], str]:
    head, colon, value = line.partition(":")
    if not colon:
        return "", {}, ""
    name, *raw_params = head.split(";")
    params = {}
    for param in raw_params:
        key, _eq, param_value = param.partition("=")
        params[key.strip().upper()] = param_value.strip().strip('"')
    return name.split(".")[-1].strip().upper(), params, value  # "item1.EMAIL" is EMAIL


def _decoded(value: str, params: dict[str, str]) -> str:
    """vCard 2.1 quoted-printable in its charset; later versions are UTF-8."""
    if params.get("ENCODING", "").upper() == "QUOTED-PRINTABLE" or "QUOTED-PRINTABLE" in params:
        raw = quopri.decodestring(value.encode("latin-1", "replace"))
        charset = params.get("CHARSET", "utf-8")
        try:
            return raw.decode(charset, "replace")
        except LookupError:
            return raw.decode("utf-8", "replace")
    return value


def _unescaped(value: str) -> str:
    text = _ESCAPED.sub(lambda match: _UNESCAPE.get(match.group(1), match.group(1)), value)
    return _CONTROL.sub("", text).strip()[:MAX_FIELD]


def _card(properties: dict[str, list[str]]) -> Card | None:
    emails = tuple(
        address
        for value in properties.get("EMAIL", [])
        if "@" in (address := _unescaped(value).removeprefix("mailto:")) and " " not in address
    )
    if not emails:
        return None  # an address book of ours holds addresses
    name = _unescaped(properties["FN"][0]) if properties.get("FN") else _name_of(properties)
    note = _unescaped(properties["NOTE"][0]) if properties.get("NOTE") else ""
    return Card(name[:200], emails, note)


def _name_of(properties: dict[str, list[str]]) -> str:
    """N is "family;given;additional;prefixes;suffixes": "given family"."""
    if not properties.get("N"):
        return ""
    parts = [_unescaped(part) for part in re.split(r"(?<!\\);", properties["N"][0])]
    family, given = [*parts, "", ""][:2]
    return " ".join(part for part in (given, family) if part)


def write_cards(cards: Iterable[Card]) -> Iterator[str]:
    """vCard 3.0 text, one card at a time (what most address books import)."""
    for card in cards:
        lines = ["BEGIN:VCARD", "VERSION:3.0", f"FN:{_escaped(card.name)}"]
        lines.append(f"N:{_escaped(card.name)};;;;")
        lines += [f"EMAIL;TYPE=INTERNET:{_escaped(email)}" for email in card.emails]
        if card.note:
            lines.append(f"NOTE:{_escaped(card.note)}")
        lines.append("END:VCARD")
        yield "".join(_folded(line) + "\r\n" for line in lines)


def _escaped(value: str) -> str:
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def _folded(line: str, width: int = 75) -> str:
    """Lines of at most 75 octets, continued with a space (RFC 6350 3.2); never
    cutting a UTF-8 character."""
    pieces, current, size = [], "", 0
    for character in line:
        length = len(character.encode())
        if size + length > width:
            pieces.append(current)
            current, size = " ", 1
        current += character
        size += length
    pieces.append(current)
    return "\r\n".join(pieces)
