from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import models
from django.utils.translation import gettext_lazy as _

from webmail.sessions_list.agents import short_device_name


class SignedInSession(models.Model):
    """What a person needs to recognise one of their signed-in devices.

    Tied to Django's own session row: when that row goes (sign-out, expiry,
    "sign out everywhere else"), this one goes with it. The page refers to it by
    its own id, never by the session key, which is the device's secret."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    user_agent = models.CharField(_("device"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    signed_in_at = models.DateTimeField(_("signed in"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), auto_now_add=True)

    class Meta:
        verbose_name = _("signed-in device")
        verbose_name_plural = _("signed-in devices")
        ordering = ["-last_seen_at", "-id"]

    def __str__(self):
        return f"{self.user} on {self.user_agent[:40]}"

    @property
    def browser(self) -> str:
        return short_device_name(self.user_agent)[0]

    @property
    def system(self) -> str:
        return short_device_name(self.user_agent)[1]
