"""When to send: a date and time on the person's own clock."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webmail.models import preferences_for


class ScheduleForm(forms.Form):
    # On the compose page the field sits in a closed <details> of the Send form: a
    # browser-side "required" would block plain Send. The server still requires it.
    use_required_attribute = False

    send_at = forms.DateTimeField(
        label=_("Send on"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone_of(user)

    def clean_send_at(self) -> datetime:
        value = self.cleaned_data["send_at"]
        aware = value.replace(tzinfo=None).replace(tzinfo=self.zone)
        if aware <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return aware


def zone_of(user) -> ZoneInfo:
    """The person's time zone, else the site's: a scheduled time means their clock."""
    name = preferences_for(user).time_zone or settings.TIME_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
