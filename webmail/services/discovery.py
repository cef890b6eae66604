"""Turning an e-mail address into server settings a person can confirm."""

import dataclasses

import dns.resolver
from django.conf import settings

from webmail.mail import autoconfig
from webmail.mail.autoconfig import ServerCandidate
from webmail.mail.types import Protocol
from webmail.sitesettings import provider_presets
from webmail.sitesettings.access import locked_preset

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


def presets_for(email: str) -> list:
    """The administrator's presets, consulted before the bundled table. A site
    locked to one preset uses it for every address, and looks nothing up."""
    locked = locked_preset()
    if locked is not None:
        domain = email.rpartition("@")[2].strip().rstrip(".").lower()
        return [dataclasses.replace(locked.as_provider(), domains=(domain,))]
    return [preset.as_provider() for preset in provider_presets()]


def address_allowed_by_lock(email: str) -> bool:
    """A locked site whose preset lists domains takes addresses of those domains only."""
    locked = locked_preset()
    if locked is None or not locked.domain_list():
        return True
    return email.rpartition("@")[2].strip().rstrip(".").lower() in locked.domain_list()


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
            presets=presets_for(email),
        )
    except ValueError:
        return None
    incoming = (found.imap or found.pop3 or (None,))[0]
    if incoming is None or not found.smtp:
        return None
    protocol = Protocol.IMAP if found.imap else Protocol.POP3
    proposal = {
        "protocol": protocol.value,
        **as_fields("incoming", incoming),
        **as_fields("smtp", found.smtp[0]),
    }
    if found.imap and found.pop3:
        # Offered when the server has both: picking POP3 takes these instead.
        proposal["pop3_alternative"] = as_fields("incoming", found.pop3[0])
    return proposal


def apply_protocol_choice(data: dict, proposal: dict | None) -> dict:
    """A person who switched the proposal from IMAP to POP3 without touching the
    server fields means the discovered POP3 server, not the IMAP one on port 993."""
    alternative = (proposal or {}).get("pop3_alternative")
    if not alternative or data.get("protocol") != Protocol.POP3:
        return data
    imap_fields = {key: proposal[key] for key in alternative}
    if any(str(data.get(key)) != str(value) for key, value in imap_fields.items()):
        return data
    return {**data, **alternative}
