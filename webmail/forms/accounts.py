import math
import re

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from webmail.error_messages import describe
from webmail.mail.netguard import host_is_allowed
from webmail.models.accounts import INCOMING_PROTOCOL_CHOICES, SECURITY_CHOICES
from webmail.services.discovery import address_allowed_by_lock
from webmail.sitesettings import site_settings
from webmail.sitesettings.access import locked_preset

HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$|^[0-9a-fA-F:.]+$"
)


class AccountStartForm(forms.Form):
    """What a person types to add an account; Courriel finds the rest."""

    display_name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail address"))
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        if not address_allowed_by_lock(email):
            raise forms.ValidationError(describe("domain_locked"))
        return email


def validate_host(value: str) -> str:
    value = value.strip().rstrip(".").lower()
    if not HOST_NAME.match(value):
        raise forms.ValidationError(_("Enter a server name such as imap.example.org."))
    site = site_settings()
    if not host_is_allowed(value, site.hosts_allowed, site.hosts_blocked):
        raise forms.ValidationError(describe("host_blocked"))
    return value


def shortest_interval_minutes() -> int:
    return max(1, math.ceil(site_settings().minimum_sync_interval / 60))


def validate_interval_minutes(minutes: int | None) -> None:
    """The administrator's shortest interval between checks for mail."""
    shortest = shortest_interval_minutes()
    if minutes is not None and minutes < shortest:
        message = ngettext(
            "This site checks for mail every minute at the most often.",
            "This site checks for mail every %(minutes)s minutes at the most often.",
            shortest,
        )
        raise forms.ValidationError(message % {"minutes": shortest})


class ServerSettingsForm(forms.Form):
    """Server settings, proposed by discovery and always editable by hand."""

    protocol = forms.ChoiceField(label=_("Protocol"), choices=INCOMING_PROTOCOL_CHOICES)
    incoming_host = forms.CharField(label=_("Incoming server"), max_length=253)
    incoming_port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535)
    incoming_security = forms.ChoiceField(label=_("Security"), choices=SECURITY_CHOICES)
    incoming_username = forms.CharField(label=_("User name"), max_length=320)
    smtp_host = forms.CharField(label=_("Outgoing server (SMTP)"), max_length=253)
    smtp_port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535)
    smtp_security = forms.ChoiceField(label=_("Security"), choices=SECURITY_CHOICES)
    smtp_username = forms.CharField(label=_("User name"), max_length=320)
    password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the password you entered before."),
    )
    allow_insecure = forms.BooleanField(
        label=_("Send my password without encryption (only on a network I trust)"),
        required=False,
    )
    trust_incoming_certificate = forms.BooleanField(
        label=_("Trust this certificate for the incoming server"), required=False
    )
    trust_smtp_certificate = forms.BooleanField(
        label=_("Trust this certificate for the outgoing server"), required=False
    )
    sync_interval_minutes = forms.IntegerField(
        label=_("Check for new mail every (minutes)"),
        required=False,
        max_value=24 * 60,
        help_text=_("Leave empty for the site's default."),
    )

    # With the site locked to one preset, these must be the preset's own values.
    SERVER_FIELDS = ["incoming_host", "incoming_port", "incoming_security"]
    SERVER_FIELDS += ["smtp_host", "smtp_port", "smtp_security"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sync_interval_minutes"].widget.attrs["min"] = shortest_interval_minutes()
        self.locked = locked_preset()

    def clean_sync_interval_minutes(self):
        minutes = self.cleaned_data["sync_interval_minutes"]
        validate_interval_minutes(minutes)
        return minutes

    def clean_incoming_host(self):
        return validate_host(self.cleaned_data["incoming_host"])

    def clean_smtp_host(self):
        return validate_host(self.cleaned_data["smtp_host"])

    def clean(self):
        data = super().clean()
        if self.locked is not None and not self.matches_locked_preset(data):
            raise forms.ValidationError(describe("server_locked"))
        plain = "plain" in {data.get("incoming_security"), data.get("smtp_security")}
        if plain and not site_settings().allow_insecure_connections:
            raise forms.ValidationError(describe("insecure_forbidden"))
        if plain and not data.get("allow_insecure"):
            self.add_error(
                "allow_insecure",
                _("Without encryption, anyone on the network can read your password."),
            )
        return data

    def asks_insecure_consent(self) -> bool:
        """A locked site asks only when its preset itself is unencrypted."""
        if self.locked is None:
            return True
        return any(server.security.value == "plain" for server in self.locked.servers())

    def hidden_server_fields(self):
        """On a locked site the server fields travel unseen (and are checked on POST)."""
        names = ["protocol", *self.SERVER_FIELDS, "incoming_username", "smtp_username"]
        return [self[name] for name in names]

    def matches_locked_preset(self, data: dict) -> bool:
        """Server-side, whatever the page showed: only the preset's servers pass."""
        servers = {
            (template.protocol.value, template.host, template.port, template.security.value)
            for template in self.locked.servers()
        }
        incoming = (data.get("protocol"), *(data.get(f) for f in self.SERVER_FIELDS[:3]))
        outgoing = ("smtp", *(data.get(f) for f in self.SERVER_FIELDS[3:]))
        return incoming in servers and outgoing in servers
