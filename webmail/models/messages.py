from django.db import models


class BodyState(models.TextChoices):
    PENDING = "pending"
    INDEXED = "indexed"
    TOO_LARGE = "too_large"
    FAILED = "failed"


class Message(models.Model):
    """One message as the index knows it: enough to list, search and thread it."""

    # No index of their own: the composite indexes below lead with them, and every
    # index costs each of the sync's inserts.
    account = models.ForeignKey(
        "webmail.MailAccount", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    folder = models.ForeignKey(
        "webmail.Folder", on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    uid = models.BigIntegerField()
    modseq = models.BigIntegerField(null=True, blank=True)

    message_id = models.CharField(max_length=998, blank=True)  # threads: see ThreadLink
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)

    subject = models.TextField(blank=True)
    from_name = models.CharField(max_length=500, blank=True)
    from_email = models.CharField(max_length=320, blank=True)
    to = models.JSONField(default=list, blank=True)  # [[name, address], …]
    cc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    date = models.DateTimeField(null=True, blank=True)
    internal_date = models.DateTimeField()
    size = models.PositiveBigIntegerField(default=0)
    has_attachments = models.BooleanField(default=False)
    preview = models.CharField(max_length=300, blank=True)
    preview_section = models.CharField(max_length=100, blank=True)

    is_seen = models.BooleanField(default=False)
    is_flagged = models.BooleanField(default=False)
    is_answered = models.BooleanField(default=False)
    is_draft = models.BooleanField(default=False)
    keywords = models.JSONField(default=list, blank=True)  # other flags, e.g. $Forwarded

    # Filled by the body indexer, in the background, newest first.
    body_state = models.CharField(max_length=10, choices=BodyState, default=BodyState.PENDING)
    body_text = models.TextField(blank=True)
    raw_sha256 = models.CharField(max_length=64, blank=True)

    # The conversation (webmail.engine.threads), set by a pass after the rows are
    # written; empty until then. A label, unique across accounts, never reused.
    thread_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["folder", "uid"], name="message_uid_unique_per_folder"),
        ]
        indexes = [
            models.Index(fields=["folder", "-internal_date"], name="message_folder_recent"),
            models.Index(fields=["account", "-internal_date"], name="message_account_recent"),
            models.Index(fields=["thread_id", "-internal_date"], name="message_thread_recent"),
            models.Index(
                fields=["folder"],
                condition=models.Q(thread_id__isnull=True),
                name="message_unthreaded",
            ),
        ]

    def __str__(self):
        return self.subject or f"#{self.uid}"


class ThreadLink(models.Model):
    """What the threading pass remembers of an account: the conversation of each
    Message-ID seen or named (``m:…``), and the latest conversation started under
    each subject (``s:…``), so a new message joins by index lookups alone."""

    account = models.ForeignKey("webmail.MailAccount", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=600)
    thread_id = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "key"], name="thread_link_unique_key"),
        ]
        indexes = [models.Index(fields=["account", "thread_id"], name="thread_link_thread")]

    def __str__(self):
        return self.key
