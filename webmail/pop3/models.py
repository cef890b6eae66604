"""What a POP3 account keeps beyond webmail's models: its options, and a ledger of
every message it downloaded, which makes downloads idempotent and deletions safe."""

from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Pop3Options(models.Model):
    """How one POP3 account downloads. The fetch interval is MailAccount.sync_interval."""

    account = models.OneToOneField(
        "webmail.MailAccount",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="pop3_options",
    )
    leave_on_server = models.BooleanField(
        _("leave a copy on the server"),
        default=False,
        help_text=_("By default messages are deleted from the server once stored here."),
    )
    delete_after_days = models.PositiveIntegerField(
        _("delete from the server after (days)"),
        null=True,
        blank=True,
        help_text=_("Only with a copy left on the server. Empty: never."),
    )
    delete_when_deleted_here = models.BooleanField(
        _("delete from the server when deleted here"),
        default=False,
        help_text=_("Only with a copy left on the server."),
    )
    target_folder = models.ForeignKey(
        "webmail.Folder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("put new mail in"),
        help_text=_("Empty: the Inbox."),
    )
    # A server that answered "busy" or "too soon" (IN-USE, LOGIN-DELAY) is left alone
    # until then, so that beat does not queue fetch after fetch against it.
    retry_after = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("POP3 options")
        verbose_name_plural = _("POP3 options")

    def __str__(self):
        return str(self.account_id)

    def should_delete(self, downloaded_at, kept_here: bool, now) -> bool:
        """Whether a message stored here (``kept_here``: not deleted here since) is to
        be deleted on the server now."""
        if not self.leave_on_server:
            return True
        if self.delete_when_deleted_here and not kept_here:
            return True
        if self.delete_after_days is None:
            return False
        return downloaded_at <= now - timedelta(days=self.delete_after_days)

    def should_delete_new(self, now) -> bool:
        """Whether a message downloaded just now is to be deleted on the server."""
        return self.should_delete(now, True, now)


class DownloadedMessage(models.Model):
    """The UIDL ledger: one row per message ever downloaded for an account, written in
    the same transaction as its Message row and only after its raw file is durable.

    A unique id found here is never downloaded again, only deleted on the server when
    the options say so; ``message`` becomes NULL when the message is deleted here."""

    account = models.ForeignKey("webmail.MailAccount", on_delete=models.CASCADE, related_name="+")
    uidl = models.CharField(max_length=255)
    message = models.ForeignKey(
        "webmail.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raw_sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)
    downloaded_at = models.DateTimeField(default=timezone.now)
    # When QUIT committed our DELE, or when the server was first seen without it.
    deleted_on_server_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("downloaded POP3 message")
        verbose_name_plural = _("downloaded POP3 messages")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "uidl"], name="pop3_uidl_unique_per_account"
            ),
        ]
        indexes = [
            models.Index(fields=["account", "raw_sha256"], name="pop3_ledger_account_sha256"),
        ]

    def __str__(self):
        return self.uidl
