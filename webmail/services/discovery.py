"""Turning an e-mail address into server settings a person can confirm."""

import dns.resolver
from django.conf import settings

from webmail.mail import autoconfig
from webmail.mail.autoconfig import ServerCandidate
from webmail.mail.types import Protocol

DISCOVERY_TIMEOUT = 8.0


def resolver() -> dns.resolver.Resolver | None:
    """The system's resolver, or the name servers the admin configured (host:port)."""
    if not settings.AUTOCONFIG_NAMESERVERS:
        return None
    custom = dns.resolver.Resolver(configure=False)
    host, _, port = settings.AUTOCONFIG_NAMESERVERS[0].partition(":")
    custom.nameservers = [host]
    custom.port = int(port or 53)
    custom.lifetime = DISCOVERY_TIMEOUT
    return custom


def as_fields(prefix: str, candidate: ServerCandidate) -> dict:
    return {
        f"{prefix}_host": candidate.host,
        f"{prefix}_port": candidate.port,
        f"{prefix}_security": candidate.security.value,
        f"{prefix}_username": candidate.username,
    }


def propose_settings(email: str) -> dict | None:
    """The best guess for every field of the server settings form, or None.

    IMAP is preferred to POP3 when a provider offers both: mail stays in sync
    on every device."""
    try:
        found = autoconfig.discover(
            email,
            resolver=resolver(),
            allow_private=settings.AUTOCONFIG_ALLOW_PRIVATE,
            timeout=DISCOVERY_TIMEOUT,
        )
    except ValueError:
        return None
    incoming = (found.imap or found.pop3 or (None,))[0]
    if incoming is None or not found.smtp:
        return None
    protocol = Protocol.IMAP if found.imap else Protocol.POP3
    return {
        "protocol": protocol.value,
        **as_fields("incoming", incoming),
        **as_fields("smtp", found.smtp[0]),
        "source": incoming.source,
    }
