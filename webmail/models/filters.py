"""Message filters (rules): what a person asks to be done to new mail in an Inbox."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

MAX_CONDITIONS = 5


class ConditionField(models.TextChoices):
    FROM = "from", _("From")
    RECIPIENTS = "recipients", _("To or Cc")
    SUBJECT = "subject", _("Subject")


class Operator(models.TextChoices):
    CONTAINS = "contains", _("contains")
    NOT_CONTAINS = "not_contains", _("does not contain")
    IS = "is", _("is")


class MessageFilter(models.Model):
    """One rule of an account: conditions on the index's fields, then actions.

    ``conditions`` is a list of ``{"field", "operator", "value"}`` (1 to 5, see
    ConditionField and Operator), matched case-insensitively."""

    account = models.ForeignKey(
        "webmail.MailAccount", on_delete=models.CASCADE, related_name="filters"
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    match_all = models.BooleanField(_("all conditions must match"), default=True)
    conditions = models.JSONField(default=list)
    # A folder deleted (here or on the server) leaves the rest of the filter working.
    move_to = models.ForeignKey(
        "webmail.Folder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("move to"),
    )
    mark_read = models.BooleanField(_("mark as read"), default=False)
    flag = models.BooleanField(_("flag"), default=False)
    trash = models.BooleanField(_("move to the Trash"), default=False)
    stop = models.BooleanField(_("stop here"), default=False)

    class Meta:
        ordering = ["account", "position", "pk"]
        verbose_name = _("message filter")
        verbose_name_plural = _("message filters")

    def __str__(self):
        return self.name

    def action_labels(self) -> list[str]:
        """What it does, in words, for its list: "mark as read", "move to Lists"…"""
        labels = [gettext("mark as read")] if self.mark_read else []
        labels += [gettext("flag")] if self.flag else []
        if self.trash:
            labels.append(gettext("move to the Trash"))
        elif self.move_to is not None:
            labels.append(gettext("move to %(folder)s") % {"folder": self.move_to.name})
        return labels + ([gettext("stop here")] if self.stop else [])


class FilterExemption(models.Model):
    """A message a person moved into or out of an Inbox: should it arrive there
    (again) as a new message, filters leave it alone.

    An IMAP move gives the message a new UID, so the Inbox's high-water mark
    (Folder.filtered_uid) cannot tell it from new mail; what a move keeps is the
    Message-ID, the INTERNALDATE and the size (RFC 6851), so those identify it."""

    folder = models.ForeignKey("webmail.Folder", on_delete=models.CASCADE, related_name="+")
    message_id = models.CharField(max_length=998, blank=True)
    internal_date = models.DateTimeField()
    size = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["folder", "internal_date"], name="filter_exemption_lookup"),
            models.Index(fields=["created_at"], name="filter_exemption_age"),
        ]

    def __str__(self):
        return self.message_id or str(self.internal_date)
