"""Reading raw messages for display: bounded, never raising, safe names."""

from pathlib import Path

import pytest

from webmail.mail.mime import MAX_PARTS, parse_for_display, part_payload, safe_filename

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "eml"


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda p: p.stem)
def test_every_message_of_the_corpus_parses(path):
    parsed = parse_for_display(path.read_bytes())
    assert "\x00" not in parsed.subject


def test_bad_charsets_still_give_text():
    parsed = parse_for_display((CORPUS / "bad-charsets.eml").read_bytes())
    assert parsed.subject == "café and 日本"
    assert parsed.text.startswith("Hello")


def test_broken_folding_is_unfolded():
    parsed = parse_for_display((CORPUS / "broken-folding.eml").read_bytes())
    assert "folded" in parsed.subject and "across lines" in parsed.subject


def test_a_forwarded_message_is_an_attachment_not_the_body():
    parsed = parse_for_display((CORPUS / "nested-rfc822.eml").read_bytes())
    assert parsed.text.strip() == "See attached."
    assert parsed.html is None
    assert [part.content_type for part in parsed.attachments] == ["message/rfc822"]
    _part, data = part_payload((CORPUS / "nested-rfc822.eml").read_bytes(), 1)
    assert b"Subject: Inner" in data


def test_hostile_parameters_and_charsets_lose_only_what_cannot_be_read():
    raw = (CORPUS / "hostile-parameters.eml").read_bytes()
    parsed = parse_for_display(raw)

    # UTF-7's lone surrogates are U+FFFD; RFC 2231 pieces CPython cannot sort are
    # dropped and the boundary beside them kept; an idna "charset" reads as bytes.
    assert (parsed.subject, parsed.text) == (
        "\ufffd hostile parameters",
        "Body with a lone surrogate: \ufffd",
    )
    assert [part.filename for part in parsed.attachments] == ["?.pdf", "idna.txt", "message.eml"]
    assert [part_payload(raw, part.index)[1][:3] for part in parsed.attachments[:2]] == [
        b"PDF",
        b"\xc2\x80",
    ]
    assert list(parsed.inline_parts) == ["\ufffdt\ufffd@example.org"]  # an 8-bit Content-ID


@pytest.mark.parametrize(("name", "attachments"), [("multipart", 0), ("rfc822", 1)])
def test_nesting_deeper_than_the_stdlib_recurses_is_too_deep_not_a_crash(name, attachments):
    raw = (CORPUS / f"nested-{name}-bomb.eml").read_bytes()
    parsed = parse_for_display(raw)

    assert parsed.subject.startswith("Nested") and parsed.problem == "too_deep"
    assert len(parsed.attachments) == attachments


def test_attachment_names_lose_path_separators_and_bidi_overrides():
    parsed = parse_for_display((CORPUS / "attachment-names.eml").read_bytes())
    names = [part.filename for part in parsed.attachments]
    assert all("/" not in name and "\\" not in name and "\u202e" not in name for name in names)
    assert parsed.html is None  # an HTML *attachment* is never rendered as the body


@pytest.mark.parametrize(
    ("name", "expected"),
    [("../../etc/passwd", "_.._etc_passwd"), ("", "attachment"), ("a\u202etxt.exe", "a_txt.exe")],
)
def test_safe_filenames(name, expected):
    assert safe_filename(name) == expected


def test_huge_headers_are_refused_not_parsed():
    raw = b"Subject: x\r\n" + b"X-Filler: " + b"y" * 400_000 + b"\r\n\r\nbody"
    assert parse_for_display(raw).problem == "headers_too_large"


def test_thousands_of_parts_are_capped():
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\n{n}\r\n" for n in range(3000))
    raw = f"Content-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n".encode()
    parsed = parse_for_display(raw)
    assert parsed.problem == "too_many_parts"
    assert len(parsed.attachments) < MAX_PARTS
