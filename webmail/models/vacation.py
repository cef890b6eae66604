"""The vacation reply ("out of office") of a mail account, and whom it answered."""

from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 4


class VacationReply(models.Model):
    """What to answer new Inbox mail with while its owner is away.

    ``enabled_at`` is when it was last switched on: mail that arrived earlier is
    never answered, however late it is synced."""

    account = models.OneToOneField(
        "webmail.MailAccount", on_delete=models.CASCADE, related_name="vacation_reply"
    )
    enabled = models.BooleanField(_("send a vacation reply"), default=False)
    enabled_at = models.DateTimeField(null=True, blank=True)
    first_day = models.DateField(_("first day"), null=True, blank=True)
    last_day = models.DateField(_("last day"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("message"), max_length=5000, blank=True)
    contacts_only = models.BooleanField(_("only reply to people in my contacts"), default=False)
    days = models.PositiveSmallIntegerField(
        _("reply to the same person at most once every"), default=DEFAULT_DAYS
    )

    class Meta:
        verbose_name = _("vacation reply")
        verbose_name_plural = _("vacation replies")

    def __str__(self):
        return str(self.account)


class VacationRecipient(models.Model):
    """An address the account's vacation reply answered, and when last."""

    account = models.ForeignKey("webmail.MailAccount", on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=320)
    replied_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "address"], name="vacation_one_per_address"),
        ]

    def __str__(self):
        return self.address
