from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from webmail import credentials
from webmail.mail.errors import MailError
from webmail.mail.netguard import host_is_allowed
from webmail.mail.types import Protocol, Security, ServerSettings

SECURITY_CHOICES = [
    (Security.TLS.value, _("TLS")),
    (Security.STARTTLS.value, _("STARTTLS")),
    (Security.PLAIN.value, _("None (insecure)")),
]
INCOMING_PROTOCOL_CHOICES = [(Protocol.IMAP.value, "IMAP"), (Protocol.POP3.value, "POP3")]


class AccountStatus(models.TextChoices):
    NEW = "new", _("Not synced yet")
    OK = "ok", _("Synced")
    SYNCING = "syncing", _("Syncing")
    ERROR = "error", _("Error")
    AUTH_FAILED = "auth_failed", _("Password refused")


class MailAccount(models.Model):
    """One mailbox a person connected: where to read it, where to send from it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_accounts"
    )
    email = models.EmailField(_("e-mail address"))
    display_name = models.CharField(_("your name"), max_length=200, blank=True)
    protocol = models.CharField(
        _("protocol"), max_length=8, choices=INCOMING_PROTOCOL_CHOICES, default="imap"
    )

    incoming_host = models.CharField(_("incoming server"), max_length=253)
    incoming_port = models.PositiveIntegerField(_("port"))
    incoming_security = models.CharField(_("security"), max_length=10, choices=SECURITY_CHOICES)
    incoming_username = models.CharField(_("user name"), max_length=320)
    incoming_password = models.TextField(editable=False)  # encrypted
    incoming_pinned_certificate = models.TextField(blank=True, editable=False)

    smtp_host = models.CharField(_("outgoing server"), max_length=253)
    smtp_port = models.PositiveIntegerField(_("port"))
    smtp_security = models.CharField(_("security"), max_length=10, choices=SECURITY_CHOICES)
    smtp_username = models.CharField(_("user name"), max_length=320, blank=True)
    smtp_password = models.TextField(blank=True, editable=False)  # encrypted; empty: incoming's
    smtp_pinned_certificate = models.TextField(blank=True, editable=False)

    sync_interval = models.PositiveIntegerField(_("check for mail every (seconds)"), default=300)
    is_active = models.BooleanField(_("active"), default=True)
    status = models.CharField(max_length=12, choices=AccountStatus, default=AccountStatus.NEW)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mail account")
        verbose_name_plural = _("mail accounts")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "email"], name="one_account_per_address"),
        ]

    def __str__(self):
        return self.email

    def set_incoming_password(self, raw: str) -> None:
        self.incoming_password = credentials.encrypt(raw)

    def set_smtp_password(self, raw: str) -> None:
        self.smtp_password = credentials.encrypt(raw)

    def incoming_settings(self) -> ServerSettings:
        self._refuse_what_the_site_forbids(self.incoming_host, self.incoming_security)
        return ServerSettings(
            host=self.incoming_host,
            port=self.incoming_port,
            security=Security(self.incoming_security),
            username=self.incoming_username,
            password=credentials.decrypt(self.incoming_password),
            pinned_certificate=self.incoming_pinned_certificate,
            ca_file=settings.MAIL_CA_FILE,
            timeout=settings.MAIL_TIMEOUT,
        )

    def smtp_settings(self) -> ServerSettings:
        self._refuse_what_the_site_forbids(self.smtp_host, self.smtp_security)
        return ServerSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            security=Security(self.smtp_security),
            username=self.smtp_username or self.incoming_username,
            password=credentials.decrypt(self.smtp_password or self.incoming_password),
            pinned_certificate=self.smtp_pinned_certificate,
            ca_file=settings.MAIL_CA_FILE,
            timeout=settings.MAIL_TIMEOUT,
        )

    @staticmethod
    def _refuse_what_the_site_forbids(host: str, security: str) -> None:
        """A host the administrator blocked, or plain text they forbade, after the
        account was added is not dialled any more: every connection starts here.
        Not a ConnectError: waiting and retrying would not change the answer."""
        from webmail.sitesettings import site_settings  # it builds on these models

        site = site_settings()
        if not host_is_allowed(host, site.hosts_allowed, site.hosts_blocked):
            raise MailError("host_blocked", f"{host} is blocked by the site settings")
        if security == Security.PLAIN.value and not site.allow_insecure_connections:
            raise MailError("insecure_forbidden", f"{host}: plain text is not allowed here")

    @property
    def can_sync(self) -> bool:
        """A refused password stops the workers until the person fixes it."""
        return self.is_active and self.status != AccountStatus.AUTH_FAILED
