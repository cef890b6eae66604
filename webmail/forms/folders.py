from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from webmail.services.folder_admin import MAX_NAME_LENGTH
from webmail.services.mail_import import looks_like_mail_file


class FolderNameForm(forms.Form):
    name = forms.CharField(label=_("Folder name"), max_length=MAX_NAME_LENGTH, strip=True)


class NewFolderForm(FolderNameForm):
    parent = forms.ModelChoiceField(
        label=_("Inside"), queryset=None, required=False, empty_label=_("(top level)")
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = account.folders.order_by("name")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".eml,.mbox"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(one, initial) for one in files]


class MailImportForm(forms.Form):
    folder = forms.ModelChoiceField(label=_("Into the folder"), queryset=None)
    files = MultipleFileField(
        label=_("Files"),
        help_text=_("One .mbox file (as Thunderbird keeps a folder), or .eml messages."),
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["folder"].queryset = account.folders.filter(selectable=True).order_by("name")

    def clean_files(self):
        files = self.cleaned_data["files"]
        if sum(upload.size for upload in files) > settings.MAIL_IMPORT_MAX_BYTES:
            raise forms.ValidationError(too_big_message())
        for upload in files:
            if not looks_like_mail_file(upload):
                raise forms.ValidationError(
                    _("“%(name)s” is neither a mail message (.eml) nor a mailbox (.mbox).")
                    % {"name": upload.name}
                )
        return files


def too_big_message() -> str:
    return _("Upload at most %(size)s at a time.") % {
        "size": filesizeformat(settings.MAIL_IMPORT_MAX_BYTES)
    }
