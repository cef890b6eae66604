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
