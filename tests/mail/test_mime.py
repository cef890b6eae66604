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
