"""Values that cross the gateway boundary: plain, typed, immutable."""

from dataclasses import dataclass, field
from enum import StrEnum


class Security(StrEnum):
    TLS = "tls"  # implicit TLS: IMAP 993, POP3 995, SMTP 465
    STARTTLS = "starttls"  # IMAP 143, POP3 110 (STLS), SMTP 587
    PLAIN = "plain"  # no encryption at all: needs the person's and the admin's consent


class Protocol(StrEnum):
    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"


@dataclass(frozen=True)
class ServerSettings:
    """Where and how to log in. ``pinned_certificate`` (PEM) replaces CA checks by
    an exact match with a certificate the person confirmed; ``ca_file`` adds a
    trust anchor (an organisation's own CA, or the test CA)."""

    host: str
    port: int
    security: Security
    username: str
    password: str = field(repr=False)
    pinned_certificate: str = field(default="", repr=False)
    ca_file: str = ""
    timeout: float = 20.0
