"""Search text from raw messages: bounded, never raising, UTF-8 without NUL."""

from email.message import EmailMessage

from webmail.mail.text import MAX_PARTS, extract_text


def test_plain_text_is_preferred_over_html():
    message = EmailMessage()
    message["Subject"] = "Both"
    message.set_content("Plain words here.")
    message.add_alternative("<p>Html <b>words</b></p>", subtype="html")
    assert extract_text(bytes(message)) == "Plain words here."


def test_html_only_mail_loses_its_markup_scripts_and_styles():
    raw = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<style>p{color:red}</style><script>alert(1)</script><p>Caf\xc3\xa9 &amp; cr\xc3\xa8me</p>"
    )
    assert extract_text(raw) == "Café & crème"


def test_an_unknown_charset_still_gives_text():
    raw = b"Content-Type: text/plain; charset=x-unknown-42\r\n\r\nHello \xff world"
    assert extract_text(raw).startswith("Hello")


def test_attachments_are_not_indexed_as_body_text():
    message = EmailMessage()
    message.set_content("The body.")
    message.add_attachment(b"secret file", maintype="text", subtype="plain", filename="a.txt")
    assert extract_text(bytes(message)) == "The body."


def test_nul_bytes_never_reach_the_database():
    assert "\x00" not in extract_text(b"Content-Type: text/plain\r\n\r\nA\x00B")


def test_thousands_of_parts_are_capped():
    boundary = "b"
    parts = "".join(
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n" for n in range(5000)
    )
    raw = f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{parts}--{boundary}--\r\n"
    text = extract_text(raw.encode())
    assert "part 0" in text
    assert text.count("part") < MAX_PARTS


def test_deep_nesting_does_not_blow_the_stack():
    raw = b""
    for depth in range(300):
        raw = (
            f"Content-Type: multipart/mixed; boundary=d{depth}\r\n\r\n--d{depth}\r\n".encode()
            + (raw or b"Content-Type: text/plain\r\n\r\ndeep\r\n")
            + f"\r\n--d{depth}--\r\n".encode()
        )
    assert extract_text(raw) == ""  # beyond MAX_DEPTH: nothing, and no RecursionError


def test_transfer_encodings_and_charsets_of_text_parts_are_decoded():
    message = EmailMessage()
    message.set_content("Première ligne, café.", charset="iso-8859-1", cte="quoted-printable")
    message.add_attachment(b"%PDF-1.4 binary", maintype="application", subtype="pdf")
    message.add_attachment("Texte en base64.", subtype="plain", cte="base64", disposition="inline")
    assert extract_text(bytes(message)) == "Première ligne, café.\n\nTexte en base64."


def test_the_text_of_a_forwarded_message_is_indexed():
    inner = EmailMessage()
    inner["Subject"] = "Original"
    inner.set_content("Words of the original.")
    outer = EmailMessage()
    outer.set_content("See below.")
    outer.add_attachment(inner)  # message/rfc822
    assert extract_text(bytes(outer)) == "See below.\n\nWords of the original."


def test_parts_of_a_digest_are_messages_by_default():
    raw = (
        b"Content-Type: multipart/digest; boundary=d\r\n\r\n"
        b"--d\r\n\r\nSubject: one\r\n\r\nFirst digest entry.\r\n"
        b"--d\r\n\r\nSubject: two\r\n\r\nSecond digest entry.\r\n--d--\r\n"
    )
    assert extract_text(raw) == "First digest entry.\nSecond digest entry."


def test_blanks_become_one_space_and_blank_lines_one_empty_line():
    raw = (
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"one  two\tthree \t four\x0bfive\r\n\r\n\r\n\r\nnext  paragraph \r\n"
    )
    assert extract_text(raw) == "one two three four five\n\nnext paragraph"


def test_text_with_nothing_to_collapse_is_kept_as_it_is():
    raw = b"Content-Type: text/plain; charset=utf-8\r\n\r\nOne line.\r\nTwo lines.\r\n"
    assert extract_text(raw) == "One line.\nTwo lines."
