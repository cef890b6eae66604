from django.db import models
from django.utils.translation import gettext_lazy as _


class SpecialUse(models.TextChoices):
    INBOX = "inbox", _("Inbox")
    DRAFTS = "drafts", _("Drafts")
    SENT = "sent", _("Sent")
    ARCHIVE = "archive", _("Archive")
    JUNK = "junk", _("Junk")
    TRASH = "trash", _("Trash")
    NONE = "", _("Folder")


class Folder(models.Model):
    """A mailbox folder and how far the local index has caught up with it."""

    account = models.ForeignKey(
        "webmail.MailAccount", on_delete=models.CASCADE, related_name="folders"
    )
    name = models.CharField(max_length=1000)  # decoded; imapclient encodes modified UTF-7
    delimiter = models.CharField(max_length=1, blank=True)
    special_use = models.CharField(max_length=8, choices=SpecialUse, blank=True)
    selectable = models.BooleanField(default=True)
    watch = models.BooleanField(default=False, help_text=_("Keep an IDLE connection open"))

    # Sync state: an epoch (UIDVALIDITY), where the server was at the last
    # complete sync (UIDNEXT, HIGHESTMODSEQ), and whether that sync finished.
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uidnext = models.BigIntegerField(null=True, blank=True)
    highestmodseq = models.BigIntegerField(null=True, blank=True)
    complete = models.BooleanField(default=False)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Filters (webmail.services.filters): the highest UID of the current epoch they
    # have looked at. Empty: not started, the next pass only sets it, so the mail
    # already there (an initial sync, a rebuilt index) is never filtered.
    filtered_uid = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["account", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="folder_name_unique_per_account"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def leaf_name(self) -> str:
        """The last part of a nested name: "2026" for "Projects/2026"."""
        return self.name.rsplit(self.delimiter, 1)[-1] if self.delimiter else self.name

    @property
    def depth(self) -> int:
        return self.name.count(self.delimiter) if self.delimiter else 0
