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
