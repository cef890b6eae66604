"""The form of an account's vacation reply."""

from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.models import VacationReply

MAX_DAYS = 365


class VacationForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("Reply to the same person at most once every … days"),
        min_value=1,
        max_value=MAX_DAYS,
    )

    class Meta:
        model = VacationReply
        fields = ["enabled", "first_day", "last_day", "subject", "text", "contacts_only", "days"]
        labels = {"text": _("Message"), "contacts_only": _("Only reply to people in my contacts")}
        help_texts = {
            "first_day": _("Optional. Days are counted in your time zone."),
            "last_day": _("Optional. Replies stop after this day."),
            "subject": _("Leave empty to answer with “Re: ” and their subject."),
        }
        widgets = {
            "first_day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "last_day": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "text": forms.Textarea(attrs={"rows": 8}),
        }

    def clean_subject(self):
        subject = self.cleaned_data["subject"]
        if "\r" in subject or "\n" in subject:
            raise forms.ValidationError(_("The subject must fit on one line."))
        return subject

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", _("The last day cannot come before the first day."))
        if cleaned.get("enabled") and not cleaned.get("text"):
            self.add_error("text", _("Write the message to send."))
        return cleaned
