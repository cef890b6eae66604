"""Realistic messages for tests."""

from email.message import EmailMessage


def make_message(number: int, subject: str | None = None, **headers) -> bytes:
    message = EmailMessage()
    message["From"] = f"Émilie Sender {number} <sender{number}@example.org>"
    message["To"] = "alice@courriel.test"
    message["Subject"] = subject or f"Message numéro {number}"
    message["Message-ID"] = f"<m{number}@example.org>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(f"Body of message {number}.\n")
    return bytes(message)


def newsletter(unsubscribe: str, *, one_click: bool = True) -> bytes:
    """A list's message with this List-Unsubscribe (and the one-click header)."""
    post = "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" if one_click else ""
    return (
        "From: Weekly News <news@lists.example.org>\r\nSubject: Issue 42\r\n"
        "List-Id: Weekly News <weekly.lists.example.org>\r\n"
        f"List-Unsubscribe: {unsubscribe}\r\n{post}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThis week…\r\n"
    ).encode()


def plain_message(number: int, subject: str, body: bytes, extra: bytes = b"") -> bytes:
    """A message written by hand, CRLF line ends, exactly these bytes."""
    head = (
        f"From: Sender {number} <s{number}@example.org>\r\nTo: alice@courriel.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <t{number}@example.org>\r\n"
        f"Date: Sun, 08 Mar 2026 09:{number:02d}:00 +0000\r\n"
    ).encode()
    return head + extra + b"\r\n" + body


def tricky_messages() -> list[bytes]:
    """What an mbox must carry unchanged: body lines starting "From " and ">From ",
    8-bit text, CRLF line ends everywhere, a 2 MB attachment."""
    import os
    from email import policy

    big = EmailMessage()
    big["From"], big["To"], big["Subject"] = "s5@example.org", "alice@courriel.test", "Big one"
    big["Message-ID"] = "<t5@example.org>"
    big.set_content("See the attachment.\n")
    big.add_attachment(os.urandom(2 * 1024 * 1024), "application", "octet-stream", filename="a.bin")
    eight_bit = b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    eight_bit += b"Content-Transfer-Encoding: 8bit\r\n"
    return [
        plain_message(1, "From line", b"From the start of a line.\r\nAnd after.\r\n"),
        plain_message(2, "Quoted", b">From quoted already.\r\n>>From twice.\r\n\r\nFrom\r\n"),
        plain_message(3, "Eight bit", "Café, naïve, 日本語.\r\n".encode(), eight_bit),
        plain_message(4, "No final newline", b"The end"),
        big.as_bytes(policy=policy.SMTP),
    ]


def offline_account(user, email: str = "alice@example.org"):
    """A mail account whose servers are never reached: for pages drawn from the index."""
    from webmail.models import MailAccount

    return MailAccount.objects.create(
        user=user, email=email, incoming_host="imap.example.org", incoming_port=993,
        incoming_security="tls", incoming_username="alice", smtp_host="smtp.example.org",
        smtp_port=465, smtp_security="tls",
    )  # fmt: skip
