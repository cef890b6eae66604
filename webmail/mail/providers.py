"""Settings of common mail providers, bundled so the usual addresses need no lookup.

The table is data: each provider's domains, the MX host patterns that reveal a
custom domain hosted there, and its servers in order of preference (implicit TLS
before STARTTLS, RFC 8314 §3). Values are the providers' published settings,
cross-checked with Thunderbird's ISPDB where it lists the provider; a protocol a
provider does not document is left out rather than guessed.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from webmail.mail.autoconfig_xml import EMAIL_LOCAL_PART, ServerTemplate
from webmail.mail.types import Protocol, Security

IMAP, POP3, SMTP = Protocol.IMAP, Protocol.POP3, Protocol.SMTP
TLS, STARTTLS = Security.TLS, Security.STARTTLS


@dataclass(frozen=True)
class Provider:
    name: str
    domains: tuple[str, ...]
    servers: tuple[ServerTemplate, ...]
    # Shell-style patterns (fnmatch) for MX hosts of custom domains hosted here.
    mx_patterns: tuple[str, ...] = ()


PROVIDERS: tuple[Provider, ...] = (
    Provider(
        name="Gmail",
        domains=("gmail.com", "googlemail.com"),
        mx_patterns=("*.google.com", "*.googlemail.com"),  # Google Workspace
        servers=(
            ServerTemplate(IMAP, "imap.gmail.com", 993, TLS),
            ServerTemplate(POP3, "pop.gmail.com", 995, TLS),
            ServerTemplate(SMTP, "smtp.gmail.com", 465, TLS),
            ServerTemplate(SMTP, "smtp.gmail.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="Outlook.com",
        domains=("outlook.com", "hotmail.com", "hotmail.fr", "live.com", "live.fr", "msn.com"),
        servers=(
            ServerTemplate(IMAP, "outlook.office365.com", 993, TLS),
            ServerTemplate(POP3, "outlook.office365.com", 995, TLS),
            ServerTemplate(SMTP, "smtp-mail.outlook.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="Microsoft 365",
        domains=(),
        mx_patterns=("*.mail.protection.outlook.com",),
        servers=(
            ServerTemplate(IMAP, "outlook.office365.com", 993, TLS),
            ServerTemplate(POP3, "outlook.office365.com", 995, TLS),
            ServerTemplate(SMTP, "smtp.office365.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="Yahoo",
        domains=("yahoo.com", "yahoo.fr", "ymail.com"),
        servers=(
            ServerTemplate(IMAP, "imap.mail.yahoo.com", 993, TLS),
            ServerTemplate(POP3, "pop.mail.yahoo.com", 995, TLS),
            ServerTemplate(SMTP, "smtp.mail.yahoo.com", 465, TLS),
            ServerTemplate(SMTP, "smtp.mail.yahoo.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="iCloud",
        domains=("icloud.com", "me.com", "mac.com"),
        # Apple: IMAP logs in with the name part only, SMTP with the whole address.
        # iCloud offers no POP3.
        servers=(
            ServerTemplate(IMAP, "imap.mail.me.com", 993, TLS, EMAIL_LOCAL_PART),
            ServerTemplate(SMTP, "smtp.mail.me.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="GMX",
        domains=("gmx.com", "gmx.fr"),
        servers=(
            ServerTemplate(IMAP, "imap.gmx.com", 993, TLS),
            ServerTemplate(POP3, "pop.gmx.com", 995, TLS),
            ServerTemplate(SMTP, "mail.gmx.com", 465, TLS),
            ServerTemplate(SMTP, "mail.gmx.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="GMX (Germany)",
        domains=("gmx.net", "gmx.de"),
        servers=(
            ServerTemplate(IMAP, "imap.gmx.net", 993, TLS),
            ServerTemplate(POP3, "pop.gmx.net", 995, TLS),
            ServerTemplate(SMTP, "mail.gmx.net", 465, TLS),
            ServerTemplate(SMTP, "mail.gmx.net", 587, STARTTLS),
        ),
    ),
    Provider(
        name="Fastmail",
        domains=("fastmail.com", "fastmail.fm"),
        servers=(
            ServerTemplate(IMAP, "imap.fastmail.com", 993, TLS),
            ServerTemplate(POP3, "pop.fastmail.com", 995, TLS),
            ServerTemplate(SMTP, "smtp.fastmail.com", 465, TLS),
            ServerTemplate(SMTP, "smtp.fastmail.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="Zoho Mail",
        domains=("zoho.com", "zohomail.com"),
        servers=(
            ServerTemplate(IMAP, "imap.zoho.com", 993, TLS),
            ServerTemplate(POP3, "pop.zoho.com", 995, TLS),
            ServerTemplate(SMTP, "smtp.zoho.com", 465, TLS),
            ServerTemplate(SMTP, "smtp.zoho.com", 587, STARTTLS),
        ),
    ),
    Provider(
        name="Orange",
        domains=("orange.fr", "wanadoo.fr"),
        servers=(
            ServerTemplate(IMAP, "imap.orange.fr", 993, TLS),
            ServerTemplate(POP3, "pop.orange.fr", 995, TLS),
            ServerTemplate(SMTP, "smtp.orange.fr", 465, TLS),
        ),
    ),
    Provider(
        name="Free",
        domains=("free.fr",),
        # Free logs in with the name part of the address (its help pages, ISPDB).
        servers=(
            ServerTemplate(IMAP, "imap.free.fr", 993, TLS, EMAIL_LOCAL_PART),
            ServerTemplate(POP3, "pop.free.fr", 995, TLS, EMAIL_LOCAL_PART),
            ServerTemplate(SMTP, "smtp.free.fr", 465, TLS, EMAIL_LOCAL_PART),
            ServerTemplate(SMTP, "smtp.free.fr", 587, STARTTLS, EMAIL_LOCAL_PART),
        ),
    ),
    Provider(
        name="SFR",
        domains=("sfr.fr", "neuf.fr"),
        servers=(
            ServerTemplate(IMAP, "imap.sfr.fr", 993, TLS),
            ServerTemplate(POP3, "pop.sfr.fr", 995, TLS),
            ServerTemplate(SMTP, "smtp.sfr.fr", 465, TLS),
        ),
    ),
    Provider(
        name="La Poste",
        domains=("laposte.net",),
        # La Poste's "identifiant" is the name part of the address.
        servers=(
            ServerTemplate(IMAP, "imap.laposte.net", 993, TLS, EMAIL_LOCAL_PART),
            ServerTemplate(POP3, "pop.laposte.net", 995, TLS, EMAIL_LOCAL_PART),
            ServerTemplate(SMTP, "smtp.laposte.net", 465, TLS, EMAIL_LOCAL_PART),
        ),
    ),
    Provider(
        name="OVHcloud",
        domains=("ovh.net", "ovh.com"),
        # Hosted domains ("MX Plan") receive on mx*.ovh.net / mx*.mail.ovh.net.
        mx_patterns=("mx*.ovh.net",),
        servers=(
            ServerTemplate(IMAP, "ssl0.ovh.net", 993, TLS),
            ServerTemplate(POP3, "ssl0.ovh.net", 995, TLS),
            ServerTemplate(SMTP, "ssl0.ovh.net", 465, TLS),
            ServerTemplate(SMTP, "ssl0.ovh.net", 587, STARTTLS),
        ),
    ),
)

_BY_DOMAIN = {domain: provider for provider in PROVIDERS for domain in provider.domains}


def provider_for_domain(domain: str, presets: Iterable[Provider] = ()) -> Provider | None:
    """The provider that owns this e-mail domain: the administrator's ``presets``
    first, then the bundled table."""
    name = domain.strip().rstrip(".").lower()
    for preset in presets:
        if name in preset.domains:
            return preset
    return _BY_DOMAIN.get(name)


def provider_for_mx(mx_hosts: Iterable[str], presets: Iterable[Provider] = ()) -> Provider | None:
    """The provider hosting a custom domain, judged by its MX hosts (most preferred
    first): the first host that matches a provider's patterns decides; the
    administrator's ``presets`` before the bundled table."""
    table = (*presets, *PROVIDERS)
    for host in mx_hosts:
        provider = _provider_for_mx_host(host.strip().rstrip(".").lower(), table)
        if provider is not None:
            return provider
    return None


def _provider_for_mx_host(host: str, table: Iterable[Provider]) -> Provider | None:
    for provider in table:
        if any(fnmatchcase(host, pattern) for pattern in provider.mx_patterns):
            return provider
    return None
