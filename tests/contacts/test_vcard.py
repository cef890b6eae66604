"""vCard both ways: what address books export reads, what we write reads back."""

from hypothesis import given
from hypothesis import strategies as st

from tests.mail.hostile_mail import FUZZ
from webmail.contacts.vcard import MAX_CARDS, Card, read_cards, write_cards


def round_trip(cards: list[Card]) -> list[Card]:
    return list(read_cards("".join(write_cards(cards))))


def test_what_we_write_reads_back_the_same():
    cards = [
        Card("Zoé Lefèvre, Ph.D.; \\ the second", ("zoe@example.fr",), "Line one\nLine two"),
        Card("", ("anon@example.org",)),
        Card("A" * 300, ("long@example.org",), "é" * 120),
    ]
    assert round_trip(cards) == [
        cards[0],
        cards[1],
        Card("A" * 200, ("long@example.org",), "é" * 120),
    ]


def test_lines_are_folded_at_75_octets_without_cutting_a_character():
    text = "".join(write_cards([Card("é" * 100, ("e@example.org",))]))
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_cards_from_other_address_books():
    vcf = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\n"
        "N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen\r\n"
        "EMAIL;INTERNET:jm@example.de\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE:caf=C3=A9 =\r\nsoft break\r\n"
        "END:VCARD\r\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ann\n  Example\n"
        "item1.EMAIL;type=INTERNET;type=pref:ann@example.org\n"
        "EMAIL:ann.work@example.com\nPHOTO;ENCODING=b;TYPE=JPEG:AAAA=\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nFN:No address\nTEL:+33 1 23 45 67 89\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nFN:Jo\nEMAIL:mailto:jo@example.net\nEND:VCARD\n"
    )
    assert list(read_cards(vcf)) == [
        Card("Jürgen Müller", ("jm@example.de",), "café soft break"),
        Card("Ann Example", ("ann@example.org", "ann.work@example.com")),
        Card("Jo", ("jo@example.net",)),
    ]


def test_a_hostile_file_is_read_within_bounds():
    card = "BEGIN:VCARD\nFN:x\x00\x1b[31m\nEMAIL:x@example.org\nEND:VCARD\n"
    cards = list(read_cards(card * (MAX_CARDS + 10)))
    assert len(cards) == MAX_CARDS and cards[0].name == "x[31m"
    huge = "BEGIN:VCARD\nFN:" + "y" * 100_000 + "\nEMAIL:y@example.org\nEND:VCARD\n"
    assert list(read_cards(huge)) == [Card("", ("y@example.org",))]


@FUZZ
@given(st.text())
def test_any_text_reads_without_an_error(text):
    for card in read_cards("BEGIN:VCARD\n" + text):
        assert all("@" in email for email in card.emails)
