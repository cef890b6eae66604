from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.contacts.models import Contact

MAX_IMPORT_BYTES = 5 * 1024 * 1024


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        taken = Contact.objects.filter(user=self.user, email__iexact=email)
        if taken.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("This address is already in your contacts."))
        return email


class ImportForm(forms.Form):
    file = forms.FileField(label=_("vCard file (.vcf)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("This file is larger than 5 MB."))
        return upload
