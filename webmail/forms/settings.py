"""The forms of a person's settings page."""

import zoneinfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from webmail.forms.accounts import validate_interval_minutes
from webmail.models import MailAccount
from webmail.models.preferences import Preferences
from webmail.outbox.services import UNDO_SECONDS
from webmail.sitesettings import site_settings

SYNC_INTERVAL_CHOICES = [
    (60, _("Every minute")),
    (120, _("Every 2 minutes")),
    (300, _("Every 5 minutes")),
    (900, _("Every 15 minutes")),
    (1800, _("Every 30 minutes")),
    (3600, _("Every hour")),
]


def time_zone_choices() -> list[tuple[str, str]]:
    # Region/City names only: the legacy aliases (EST5EDT, posixrules…) only confuse.
    names = sorted(n for n in zoneinfo.available_timezones() if "/" in n and n[0].isupper())
    default = _("Same as the site (%(zone)s)") % {"zone": settings.TIME_ZONE}
    return [("", default), ("UTC", "UTC"), *((name, name.replace("_", " ")) for name in names)]


def undo_choices() -> list[tuple[str, str]]:
    choices = [("", _("The site's default"))]
    for seconds in UNDO_SECONDS:
        label = _("Off") if seconds == 0 else _("%(seconds)s seconds") % {"seconds": seconds}
        choices.append((str(seconds), label))
    return choices


class ProfileForm(forms.ModelForm):
    """Preferences, plus the display name kept on the person's user record."""

    display_name = forms.CharField(label=_("Display name"), max_length=150, required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False, choices=time_zone_choices)
    undo_send_seconds = forms.TypedChoiceField(
        label=_("Undo send"),
        required=False,
        choices=undo_choices,
        coerce=int,
        empty_value=None,
        help_text=_("How long a sent message waits, so you can take it back."),
    )

    class Meta:
        model = Preferences
        fields = ["display_name", "language", "time_zone", "theme", "messages_per_page"]
        fields += ["list_mode", "mark_read_on_open", "compose_format", "undo_send_seconds"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.initial.setdefault("display_name", user.display_name)
        self.fields["language"].choices = [("", _("Same as my browser")), *settings.LANGUAGES]

    def save(self, commit=True):
        preferences = super().save(commit=False)
        preferences.user = self.user
        self.user.display_name = self.cleaned_data["display_name"].strip()
        if commit:
            self.user.save(update_fields=["display_name"])
            preferences.save()
        return preferences


class PrivacyForm(forms.ModelForm):
    class Meta:
        model = Preferences
        fields = ["remote_content"]
        widgets = {"remote_content": forms.RadioSelect}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.user = user


class SyncIntervalForm(forms.ModelForm):
    sync_interval = forms.TypedChoiceField(
        label=_("Check for new mail"), choices=SYNC_INTERVAL_CHOICES, coerce=int
    )

    class Meta:
        model = MailAccount
        fields = ["sync_interval"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Intervals shorter than the administrator's minimum are not offered.
        shortest = site_settings().minimum_sync_interval
        field = self.fields["sync_interval"]
        field.choices = [(value, label) for value, label in field.choices if value >= shortest]

    def clean_sync_interval(self):
        seconds = self.cleaned_data["sync_interval"]
        validate_interval_minutes(seconds // 60)
        return seconds
