"""The form of a message filter: up to five conditions in fixed rows, then actions."""

from django import forms
from django.utils.translation import gettext_lazy as _

from webmail.models import Folder, MailAccount, MessageFilter, SpecialUse
from webmail.models.filters import MAX_CONDITIONS, ConditionField, Operator

MATCH_CHOICES = [("all", _("all of the conditions")), ("any", _("any of the conditions"))]


def folder_choices(user) -> list:
    """Each account's folders (but its Inbox), grouped under the account's address."""
    groups: dict[str, list] = {}
    folders = Folder.objects.filter(account__user=user, selectable=True).select_related("account")
    for folder in folders.exclude(special_use=SpecialUse.INBOX).order_by("account", "name"):
        groups.setdefault(folder.account.email, []).append((folder.pk, folder.name))
    return [("", _("Do not move")), *groups.items()]


class FilterForm(forms.ModelForm):
    match = forms.ChoiceField(
        label=_("Apply when the message matches"), choices=MATCH_CHOICES, initial="all"
    )
    move_to = forms.TypedChoiceField(
        label=_("Move to"), required=False, coerce=int, empty_value=None
    )

    class Meta:
        model = MessageFilter
        fields = ["name", "account", "enabled", "mark_read", "flag", "trash", "stop"]
        labels = {"account": _("Mail account")}
        help_texts = {"stop": _("Later filters are not applied to the messages this one matched.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["account"].queryset = MailAccount.objects.filter(user=user)
        self.fields["account"].empty_label = None
        self.fields["move_to"].choices = folder_choices(user)
        if self.instance.pk:
            self.initial["match"] = "all" if self.instance.match_all else "any"
            self.initial["move_to"] = self.instance.move_to_id
        for index in range(MAX_CONDITIONS):
            self.add_condition_fields(index)
        for index, condition in enumerate(self.instance.conditions[:MAX_CONDITIONS]):
            for key in ("field", "operator", "value"):
                self.initial[f"{key}_{index}"] = condition[key]

    def add_condition_fields(self, index: int) -> None:
        fields = [("", _("(no condition)")), *ConditionField.choices]
        self.fields[f"field_{index}"] = forms.ChoiceField(
            label=_("Field"), choices=fields[1:] if index == 0 else fields, required=index == 0
        )
        self.fields[f"operator_{index}"] = forms.ChoiceField(
            label=_("Operator"), choices=Operator.choices
        )
        self.fields[f"value_{index}"] = forms.CharField(
            label=_("Value"), max_length=200, required=False
        )

    def condition_rows(self) -> list[tuple]:
        """For the template: the bound fields of each row."""
        return [
            (self[f"field_{i}"], self[f"operator_{i}"], self[f"value_{i}"])
            for i in range(MAX_CONDITIONS)
        ]

    def clean_move_to(self):
        pk = self.cleaned_data["move_to"]
        if pk is None:
            return None
        folder = Folder.objects.filter(pk=pk, account__user=self.user).first()
        if folder is None:
            raise forms.ValidationError(_("Choose one of the folders offered."))
        return folder

    def clean(self):
        data = super().clean()
        data["conditions"] = self.clean_conditions(data)
        account, folder = data.get("account"), data.get("move_to")
        if folder and account and folder.account_id != account.pk:
            self.add_error("move_to", _("Choose a folder of this filter's mail account."))
        if folder and data.get("trash"):
            self.add_error("move_to", _("Move to a folder or to the Trash, not both."))
        actions = [folder, *(data.get(name) for name in ("mark_read", "flag", "trash", "stop"))]
        if not any(actions):
            raise forms.ValidationError(_("Choose at least one action."))
        return data

    def clean_conditions(self, data) -> list[dict]:
        conditions = []
        for index in range(MAX_CONDITIONS):
            field, value = data.get(f"field_{index}"), data.get(f"value_{index}", "").strip()
            if not field:
                if value:
                    self.add_error(f"field_{index}", _("Choose what to look at."))
                continue
            if not value:
                self.add_error(f"value_{index}", _("Enter the text to look for."))
                continue
            operator = data.get(f"operator_{index}")
            conditions.append({"field": field, "operator": operator, "value": value})
        return conditions

    def save(self, commit=True):
        message_filter = super().save(commit=False)
        message_filter.match_all = self.cleaned_data["match"] == "all"
        message_filter.conditions = self.cleaned_data["conditions"]
        message_filter.move_to = self.cleaned_data["move_to"]
        if commit:
            message_filter.save()
        return message_filter
