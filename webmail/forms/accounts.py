import re

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from webmail.error_messages import describe
from webmail.mail.netguard import host_is_allowed
from webmail.models.accounts import INCOMING_PROTOCOL_CHOICES, SECURITY_CHOICES

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


def validate_host(value: str) -> str:
    value = value.strip().rstrip(".").lower()
    if not HOST_NAME.match(value):
        raise forms.ValidationError(_("Enter a server name such as imap.example.org."))
    if not host_is_allowed(value, settings.MAIL_HOSTS_ALLOWED, settings.MAIL_HOSTS_BLOCKED):
        raise forms.ValidationError(describe("host_blocked"))
    return value


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

    def clean_incoming_host(self):
        return validate_host(self.cleaned_data["incoming_host"])

    def clean_smtp_host(self):
        return validate_host(self.cleaned_data["smtp_host"])

    def clean(self):
        data = super().clean()
        plain = "plain" in {data.get("incoming_security"), data.get("smtp_security")}
        if plain and not settings.ALLOW_INSECURE_MAIL_CONNECTIONS:
            raise forms.ValidationError(describe("insecure_forbidden"))
        if plain and not data.get("allow_insecure"):
            self.add_error(
                "allow_insecure",
                _("Without encryption, anyone on the network can read your password."),
            )
        return data
