from django.db import models


class MailImport(models.Model):
    """Uploaded .eml / .mbox files being read into a folder, and how far it got.

    ``position`` counts the messages dealt with (imported or skipped) across the
    files in order: a retried task starts there. ``appending`` is the position of
    a message sent to the IMAP server whose APPEND was not yet recorded done."""

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        STOPPED = "stopped"  # storage full, server refusal: what came before stays

    folder = models.ForeignKey("webmail.Folder", on_delete=models.CASCADE, related_name="+")
    files = models.JSONField(default=list)  # [[storage name, original file name], …]
    state = models.CharField(max_length=8, choices=State, default=State.QUEUED)
    position = models.PositiveIntegerField(default=0)
    appending = models.PositiveIntegerField(null=True, blank=True)
    imported = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=dict)  # {reason code: count}
    stopped_because = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["folder", "-created_at"], name="mail_import_recent")]

    def __str__(self):
        return f"import {self.pk} into folder {self.folder_id}"

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())
