from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.forms.accounts import shortest_interval_minutes, validate_interval_minutes
from webmail.models import MailAccount
from webmail.pop3.models import Pop3Options

MAX_INTERVAL_MINUTES = 24 * 60


class Pop3OptionsForm(forms.ModelForm):
    """How a POP3 account downloads; the folder choice is limited to its own folders."""

    fetch_interval_minutes = forms.IntegerField(
        label=_("Check for new mail every (minutes)"), min_value=1, max_value=MAX_INTERVAL_MINUTES
    )

    class Meta:
        model = Pop3Options
        fields = ["leave_on_server", "delete_after_days", "delete_when_deleted_here"]
        fields += ["target_folder"]

    def __init__(self, *args, account: MailAccount, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target_folder"].queryset = account.folders.filter(selectable=True)
        self.fields["target_folder"].empty_label = _("Inbox")
        self.fields["delete_after_days"].min_value = 1
        self.fields["delete_after_days"].widget.attrs["min"] = 1
        self.initial.setdefault("fetch_interval_minutes", max(1, account.sync_interval // 60))
        self.fields["fetch_interval_minutes"].widget.attrs["min"] = shortest_interval_minutes()

    def clean_fetch_interval_minutes(self):
        minutes = self.cleaned_data["fetch_interval_minutes"]
        validate_interval_minutes(minutes)
        return minutes

    def clean_delete_after_days(self):
        days = self.cleaned_data["delete_after_days"]
        if days is not None and days < 1:
            raise forms.ValidationError(_("Enter a number of days of at least 1."))
        return days
