"""Identities (From addresses with a signature) and drafts, with their attachments.

A draft lives here first: the copy in the IMAP Drafts folder is a mirror that a
background task keeps up to date (``server_version`` trails ``version``), so a
server that is down loses nothing. POP3 accounts have only this copy.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from webmail.models.preferences import ComposeFormat


class Identity(models.Model):
    """One more From address of an account, with its display name, Reply-To and signature."""

    account = models.ForeignKey(
        "webmail.MailAccount", on_delete=models.CASCADE, related_name="identities"
    )
    display_name = models.CharField(_("name shown"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail address"))
    reply_to = models.EmailField(_("replies go to"), blank=True)
    signature = models.TextField(_("signature"), blank=True)
    signature_html = models.TextField(_("rich signature (HTML)"), blank=True)
    is_default = models.BooleanField(_("default for this account"), default=False)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        ordering = ["account", "email", "id"]

    def __str__(self):
        return f"{self.display_name} <{self.email}>" if self.display_name else self.email


class DraftState(models.TextChoices):
    EDITING = "editing", _("Being written")
    QUEUED = "queued", _("In the outbox")


class Kind(models.TextChoices):
    NEW = "", _("New message")
    REPLY = "reply", _("Reply")
    FORWARD = "forward", _("Forward")


class Draft(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    account = models.ForeignKey(
        "webmail.MailAccount", on_delete=models.CASCADE, related_name="drafts"
    )
    identity = models.ForeignKey(Identity, on_delete=models.SET_NULL, null=True, blank=True)
    to = models.TextField(blank=True)
    cc = models.TextField(blank=True)
    bcc = models.TextField(blank=True)
    subject = models.TextField(blank=True)
    format = models.CharField(max_length=8, choices=ComposeFormat, default=ComposeFormat.HTML)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)

    # Threading, and the message to mark \Answered or $Forwarded once this is sent.
    kind = models.CharField(max_length=8, choices=Kind, blank=True)
    original = models.ForeignKey(
        "webmail.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    in_reply_to = models.CharField(max_length=998, blank=True)
    references = models.TextField(blank=True)
    message_id = models.CharField(max_length=998)

    state = models.CharField(max_length=8, choices=DraftState, default=DraftState.EDITING)
    outbox = models.OneToOneField(
        "outbox.OutboxMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The mirror in the IMAP Drafts folder: which version it holds, and where.
    version = models.PositiveIntegerField(default=0)
    server_version = models.PositiveIntegerField(default=0)
    server_folder = models.CharField(max_length=1000, blank=True)
    server_uidvalidity = models.BigIntegerField(null=True, blank=True)
    server_uid = models.BigIntegerField(null=True, blank=True)
    server_error = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["user", "state"], name="draft_user_state")]

    def __str__(self):
        return self.subject or self.message_id

    @property
    def is_empty(self) -> bool:
        return not (
            self.to or self.cc or self.bcc or self.subject or self.body_text.strip()
            or self.body_html.strip() or self.attachments.exists()
        )  # fmt: skip


class DraftAttachment(models.Model):
    """A file attached to a draft; the bytes stay in the row, as the outbox's do."""

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size = models.PositiveIntegerField()
    content = models.BinaryField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.filename
