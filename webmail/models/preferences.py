from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustedSender(models.Model):
    """A sender whose remote images a person chose to always show."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_senders"
    )
    email = models.CharField(_("e-mail address"), max_length=320)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sender whose images are shown")
        constraints = [
            models.UniqueConstraint(fields=["user", "email"], name="trusted_sender_once"),
        ]

    def __str__(self):
        return self.email


class Theme(models.TextChoices):
    SYSTEM = "system", _("Same as my device")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class ListMode(models.TextChoices):
    CONVERSATIONS = "conversations", _("Conversations")
    MESSAGES = "messages", _("Single messages")


class ComposeFormat(models.TextChoices):
    HTML = "html", _("Rich text (HTML)")
    PLAIN = "plain", _("Plain text")


class RemoteContent(models.TextChoices):
    NEVER = "never", _("Never show remote images")
    ASK = "ask", _("Ask for each message")
    ALWAYS = "always", _("Always show remote images (through the proxy)")


MESSAGES_PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]


class Preferences(models.Model):
    """How one person likes Courriel to behave; every field has a sensible default."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    language = models.CharField(
        _("language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )  # empty: the browser's
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)  # empty: the site's
    theme = models.CharField(_("theme"), max_length=10, choices=Theme, default=Theme.SYSTEM)
    messages_per_page = models.PositiveSmallIntegerField(
        _("messages per page"), choices=MESSAGES_PER_PAGE_CHOICES, default=50
    )
    list_mode = models.CharField(
        _("message list shows"), max_length=16, choices=ListMode, default=ListMode.CONVERSATIONS
    )
    mark_read_on_open = models.BooleanField(_("mark as read when opened"), default=True)
    compose_format = models.CharField(
        _("write messages in"), max_length=8, choices=ComposeFormat, default=ComposeFormat.HTML
    )
    undo_send_seconds = models.PositiveSmallIntegerField(
        _("undo send delay (seconds)"), null=True, blank=True
    )  # empty: the site's default
    remote_content = models.CharField(
        _("remote images"), max_length=8, choices=RemoteContent, default=RemoteContent.ASK
    )

    class Meta:
        verbose_name = _("preferences")
        verbose_name_plural = _("preferences")

    def __str__(self):
        return f"Preferences of {self.user}"


def preferences_for(user) -> Preferences:
    """The person's preferences; defaults (unsaved) for anyone who never changed them."""
    if not getattr(user, "is_authenticated", False):
        return Preferences()
    try:
        return user.preferences
    except Preferences.DoesNotExist:
        return Preferences(user=user)
