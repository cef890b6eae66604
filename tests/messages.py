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
