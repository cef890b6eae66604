from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.compose.models import Draft, Identity
from webmail.compose.senders import Sender
from webmail.mail.reply import html_to_plain, text_to_html
from webmail.mail.written_html import clean_written_html
from webmail.models import MailAccount
from webmail.models.preferences import ComposeFormat


class ComposeForm(forms.Form):
    sender = forms.ChoiceField(label=_("From"))
    to = forms.CharField(label=_("To"), required=False, max_length=20000)
    cc = forms.CharField(label=_("Cc"), required=False, max_length=20000)
    bcc = forms.CharField(label=_("Bcc"), required=False, max_length=20000)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=998)
    format = forms.ChoiceField(label=_("Format"), choices=ComposeFormat.choices)
    body_html = forms.CharField(
        label=_("Message (HTML)"), required=False, widget=forms.Textarea(attrs={"rows": 14})
    )
    body_text = forms.CharField(
        label=_("Message"), required=False, widget=forms.Textarea(attrs={"rows": 14})
    )

    def __init__(self, *args, senders: list[Sender], **kwargs):
        super().__init__(*args, **kwargs)
        self.senders = {sender.key: sender for sender in senders}
        self.fields["sender"].choices = [(s.key, s.label) for s in senders]
        for name in ("to", "cc", "bcc"):
            self.fields[name].widget.attrs.update(
                {"autocomplete": "off", "class": "compose__addresses", "spellcheck": "false"}
            )

    @classmethod
    def initial_for(cls, draft: Draft, sender_key: str) -> dict:
        fields = ("to", "cc", "bcc", "subject", "format", "body_html", "body_text")
        initial = {name: getattr(draft, name) for name in fields}
        initial["body_html"] = clean_written_html(draft.body_html)  # stored before a cleanup
        return {"sender": sender_key, **initial}

    def draft_fields(self, draft: Draft) -> dict:
        """The cleaned values as Draft fields; the sender's account must be the draft's
        or another of the person's (changing From may change the account)."""
        data = dict(self.cleaned_data)
        sender = self.senders[data.pop("sender")]
        data["subject"] = " ".join(data["subject"].split())
        data["body_html"] = clean_written_html(data["body_html"])
        if data["format"] == ComposeFormat.PLAIN and not data["body_text"].strip():
            data["body_text"] = html_to_plain(data["body_html"]) if data["body_html"] else ""
        elif data["format"] == ComposeFormat.HTML and not data["body_html"].strip():
            data["body_html"] = text_to_html(data["body_text"]) if data["body_text"] else ""
        return {**data, "account": sender.account, "identity": sender.identity}


class IdentityForm(forms.ModelForm):
    class Meta:
        model = Identity
        fields = ["account", "display_name", "email", "reply_to", "signature", "signature_html"]
        fields += ["is_default"]
        widgets = {
            "signature": forms.Textarea(attrs={"rows": 4}),
            "signature_html": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = MailAccount.objects.filter(user=user)
        self.fields["account"].label = _("Account")
        self.fields["signature"].help_text = _("Added below new messages and above quotes.")
        self.fields["signature_html"].help_text = _(
            "Optional, for messages in rich text: bold, italics, links, lists. "
            "Anything else is removed. Empty: the signature above is used."
        )

    def clean_signature_html(self):
        return clean_written_html(self.cleaned_data["signature_html"])
