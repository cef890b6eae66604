"""The administrator's settings of the whole site, and provider presets."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from webmail.mail.autoconfig_xml import EMAIL_ADDRESS, EMAIL_LOCAL_PART, ServerTemplate
from webmail.mail.netguard import HostRules
from webmail.mail.providers import Provider
from webmail.mail.types import Protocol, Security
from webmail.models.accounts import SECURITY_CHOICES

SINGLETON_ID = 1
# The delays the outbox accepts (webmail.outbox.services.UNDO_SECONDS; a test keeps them equal).
UNDO_SEND_CHOICES = [
    (0, _("No delay")),
    (5, _("5 seconds")),
    (10, _("10 seconds")),
    (20, _("20 seconds")),
    (30, _("30 seconds")),
]
HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?)+$|^[0-9a-f:.]+$")
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*$")


def split_entries(text: str) -> list[str]:
    """Entries of a list field: one per line, commas accepted too."""
    return [entry.strip() for entry in re.split(r"[\n,]", text or "") if entry.strip()]


def validate_host_rules(text: str) -> None:
    try:
        HostRules.parse(split_entries(text))
    except ValueError as error:
        raise ValidationError(_("Not a valid host, wildcard or network: %(error)s"), params={
            "error": error
        }) from error  # fmt: skip


class UsernameFormat(models.TextChoices):
    ADDRESS = EMAIL_ADDRESS, _("The whole e-mail address")
    LOCAL_PART = EMAIL_LOCAL_PART, _("The part before the @")


class ProviderPreset(models.Model):
    """Server settings for some e-mail domains, pinned by the administrator: account
    discovery uses them before the bundled table of providers."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    domains = models.TextField(
        _("e-mail domains"), blank=True, help_text=_("One per line, for example example.org.")
    )
    mx_patterns = models.TextField(
        _("MX host patterns"),
        blank=True,
        help_text=_("Optional, one per line: custom domains whose MX hosts match (*.example.net)."),
    )
    imap_host = models.CharField(_("IMAP server"), max_length=253, blank=True)
    imap_port = models.PositiveIntegerField(_("IMAP port"), null=True, blank=True)
    imap_security = models.CharField(
        _("IMAP security"), max_length=10, choices=SECURITY_CHOICES, default=Security.TLS.value
    )
    pop3_host = models.CharField(_("POP3 server"), max_length=253, blank=True)
    pop3_port = models.PositiveIntegerField(_("POP3 port"), null=True, blank=True)
    pop3_security = models.CharField(
        _("POP3 security"), max_length=10, choices=SECURITY_CHOICES, default=Security.TLS.value
    )
    smtp_host = models.CharField(_("SMTP server"), max_length=253)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=465)
    smtp_security = models.CharField(
        _("SMTP security"), max_length=10, choices=SECURITY_CHOICES, default=Security.TLS.value
    )
    username_format = models.CharField(
        _("user name"), max_length=20, choices=UsernameFormat, default=UsernameFormat.ADDRESS
    )

    class Meta:
        verbose_name = _("provider preset")
        verbose_name_plural = _("provider presets")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def domain_list(self) -> list[str]:
        return [domain.lower().rstrip(".") for domain in split_entries(self.domains)]

    def servers(self) -> tuple[ServerTemplate, ...]:
        """IMAP, then POP3, then SMTP, as discovery ranks them."""
        sides = [
            (Protocol.IMAP, self.imap_host, self.imap_port, self.imap_security),
            (Protocol.POP3, self.pop3_host, self.pop3_port, self.pop3_security),
            (Protocol.SMTP, self.smtp_host, self.smtp_port, self.smtp_security),
        ]
        return tuple(
            ServerTemplate(protocol, host.lower(), port, Security(security), self.username_format)
            for protocol, host, port, security in sides
            if host and port
        )

    def as_provider(self) -> Provider:
        patterns = tuple(pattern.lower() for pattern in split_entries(self.mx_patterns))
        return Provider(self.name, tuple(self.domain_list()), self.servers(), patterns)

    def clean(self):
        errors = {}
        for domain in self.domain_list():
            if not DOMAIN.match(domain):
                errors["domains"] = _("%(domain)s is not an e-mail domain.") % {"domain": domain}
        for side in ["imap", "pop3", "smtp"]:
            host, port = getattr(self, f"{side}_host"), getattr(self, f"{side}_port")
            if host and not HOST_NAME.match(host.lower()):
                errors[f"{side}_host"] = _("Enter a server name such as mail.example.org.")
            elif host and not port:
                errors[f"{side}_port"] = _("Enter the port of this server.")
        if not (self.imap_host or self.pop3_host):
            errors["imap_host"] = _("Enter an IMAP server, a POP3 server, or both.")
        errors.update(self._domains_taken())
        if errors:
            raise ValidationError(errors)

    def _domains_taken(self) -> dict:
        mine = set(self.domain_list())
        for other in ProviderPreset.objects.exclude(pk=self.pk):
            taken = mine & set(other.domain_list())
            if taken:
                message = _("%(domains)s already belong to the preset %(name)s.")
                return {"domains": message % {"domains": ", ".join(sorted(taken)), "name": other}}
        return {}


class SiteSettings(models.Model):
    """The one record of the site's settings. Until an administrator saves it, the
    values come from the environment (``SiteSettings.from_environment``)."""

    signup_open = models.BooleanField(_("sign-up is open"), default=True)
    require_two_factor = models.BooleanField(
        _("two-factor authentication required for everyone"), default=False
    )
    allow_insecure_connections = models.BooleanField(
        _("allow unencrypted (plain-text) connections to mail servers"), default=False
    )
    mail_hosts_allowed = models.TextField(
        _("allowed mail servers"),
        blank=True,
        validators=[validate_host_rules],
        help_text=_(
            "One per line: names (mail.example.org), wildcards (*.example.org) or networks "
            "(192.0.2.0/24). Empty: every server not blocked."
        ),
    )
    mail_hosts_blocked = models.TextField(
        _("blocked mail servers"),
        blank=True,
        validators=[validate_host_rules],
        help_text=_("Same form as above; the block list wins."),
    )
    default_sync_interval = models.PositiveIntegerField(
        _("check for mail every (seconds), by default"), default=300
    )
    minimum_sync_interval = models.PositiveIntegerField(
        _("shortest interval a person may choose (seconds)"), default=60
    )
    attachment_max_bytes = models.PositiveBigIntegerField(
        _("largest attachment (bytes)"),
        default=25 * 1024 * 1024,
        help_text=_("1048576 bytes are 1 MB."),
    )
    storage_limit_bytes = models.PositiveBigIntegerField(
        _("mail kept here per person (bytes)"),
        default=1024**3,
        help_text=_("Mail downloaded over POP3 is kept here; 1073741824 bytes are 1 GB."),
    )
    undo_send_seconds = models.PositiveSmallIntegerField(
        _("undo send, by default"), choices=UNDO_SEND_CHOICES, default=5
    )
    image_proxy_enabled = models.BooleanField(
        _("remote images may be shown (through Courriel's image proxy)"), default=True
    )
    locked_preset = models.ForeignKey(
        ProviderPreset,
        verbose_name=_("lock every mail account to this preset"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_(
            "People then only type their address and password; they cannot choose another server."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("site settings")
        verbose_name_plural = _("site settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=SINGLETON_ID), name="site_settings_one"),
        ]

    def __str__(self):
        return str(_("Site settings"))

    def save(self, *args, **kwargs):
        self.id = SINGLETON_ID  # one record, whoever creates it
        super().save(*args, **kwargs)

    @classmethod
    def from_environment(cls) -> "SiteSettings":
        """The values before any administrator saved the record (see README)."""
        return cls(
            id=SINGLETON_ID,
            signup_open=settings.SIGNUP_OPEN,
            require_two_factor=settings.REQUIRE_TWO_FACTOR,
            allow_insecure_connections=settings.ALLOW_INSECURE_MAIL_CONNECTIONS,
            mail_hosts_allowed="\n".join(settings.MAIL_HOSTS_ALLOWED),
            mail_hosts_blocked="\n".join(settings.MAIL_HOSTS_BLOCKED),
            default_sync_interval=settings.SYNC_INTERVAL_SECONDS,
            minimum_sync_interval=settings.SYNC_INTERVAL_MINIMUM_SECONDS,
            attachment_max_bytes=settings.ATTACHMENT_MAX_BYTES,
            storage_limit_bytes=settings.POP3_STORAGE_LIMIT_BYTES,
            undo_send_seconds=settings.UNDO_SEND_SECONDS,
            image_proxy_enabled=settings.IMAGE_PROXY_ENABLED,
        )

    def clean(self):
        if self.minimum_sync_interval > self.default_sync_interval:
            raise ValidationError(
                {"minimum_sync_interval": _("The shortest interval exceeds the default one.")}
            )
        if self.minimum_sync_interval < 1:
            raise ValidationError({"minimum_sync_interval": _("Enter at least 1 second.")})

    @property
    def hosts_allowed(self) -> list[str]:
        return split_entries(self.mail_hosts_allowed)

    @property
    def hosts_blocked(self) -> list[str]:
        return split_entries(self.mail_hosts_blocked)

    def sync_interval_for(self, chosen: int) -> int:
        """The interval really used for an account whose person chose ``chosen``."""
        return max(chosen, self.minimum_sync_interval)
