"""Reading raw messages for display: bounded, never raising, safe names."""

from pathlib import Path

import pytest

from webmail.mail.mime import (
    MAX_FILENAME_BYTES,
    MAX_PARTS,
    described_leaves,
    parse_for_display,
    parse_raw,
    part_payloads,
    safe_filename,
)

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
    _part, data = part_payloads((CORPUS / "nested-rfc822.eml").read_bytes(), [1])[1]
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
    assert [
        part_payloads(raw, [part.index])[part.index][1][:3] for part in parsed.attachments[:2]
    ] == [
        b"PDF",
        b"\xc2\x80",
    ]
    assert list(parsed.inline_parts) == ["été@example.org"]  # an 8-bit (Latin-1) Content-ID


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


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("é" * 150 + ".pdf", "é" * 98 + ".pdf"),  # 2 bytes each: 196 + 4
        ("a" * 300, "a" * MAX_FILENAME_BYTES),
        ("a" * 190 + "." + "b" * 30, ("a" * 190 + "." + "b" * 30)[:MAX_FILENAME_BYTES]),
        ("a\ud800b.txt", "a_b.txt"),  # a lone surrogate cannot go in a header
    ],
)
def test_long_names_are_cut_in_the_stem_to_a_byte_budget(name, expected):
    assert safe_filename(name) == expected
    assert len(safe_filename(name).encode()) <= MAX_FILENAME_BYTES


def test_an_eight_bit_content_id_is_read_not_fatal():
    parsed = parse_for_display((CORPUS / "eight-bit-content-id.eml").read_bytes())
    assert list(parsed.inline_parts) == ["logo-é@example"]  # as the HTML says, in UTF-8
    assert parsed.inline_parts["logo-é@example"].content_type == "image/png"


def test_raw_utf8_headers_and_file_names_are_read_as_utf8():
    raw = (
        b"Subject: caf\xc3\xa9\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="r\xc3\xa9sum\xc3\xa9.pdf"\r\n\r\nx\r\n'
        b'--b\r\nContent-Type: application/pdf; name="\xe9t\xe9.pdf"\r\n\r\nx\r\n--b--\r\n'
    )
    parsed = parse_for_display(raw)
    assert parsed.subject == "café"
    assert [part.filename for part in parsed.attachments] == ["résumé.pdf", "été.pdf"]


def test_several_parts_at_once_are_the_parts_one_at_a_time():
    raw = (CORPUS / "attachment-names.eml").read_bytes()
    together = part_payloads(raw, [1, 2, 99])
    assert sorted(together) == [1, 2]
    assert together == {index: part_payloads(raw, [index])[index] for index in (1, 2)}


def test_described_leaves_are_the_parts_as_numbered_for_display():
    raw = (CORPUS / "attachment-names.eml").read_bytes()
    leaves = described_leaves(parse_raw(raw)[0])
    assert [part.index for part in leaves] == list(range(len(leaves)))
    assert [leaves[part.index] for part in parse_for_display(raw).attachments] == (
        parse_for_display(raw).attachments
    )


def test_huge_headers_are_refused_not_parsed():
    raw = b"Subject: x\r\n" + b"X-Filler: " + b"y" * 400_000 + b"\r\n\r\nbody"
    assert parse_for_display(raw).problem == "headers_too_large"


def test_thousands_of_parts_are_capped():
    parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\n{n}\r\n" for n in range(3000))
    raw = f"Content-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n".encode()
    parsed = parse_for_display(raw)
    assert parsed.problem == "too_many_parts"
    assert len(parsed.attachments) < MAX_PARTS
