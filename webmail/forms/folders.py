from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.services.folder_admin import MAX_NAME_LENGTH


class FolderNameForm(forms.Form):
    name = forms.CharField(label=_("Folder name"), max_length=MAX_NAME_LENGTH, strip=True)


class NewFolderForm(FolderNameForm):
    parent = forms.ModelChoiceField(
        label=_("Inside"), queryset=None, required=False, empty_label=_("(top level)")
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = account.folders.order_by("name")
