from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet

from roleplan.ownership.models import AssetKind, offered_gaps


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


def active_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


def handover_people(current_owner_id: int) -> list[User]:
    """Who an asset can be handed over to: every active person but its owner, with what the
    picker shows of them (templates/ownership/handover.html#handover-form)."""
    return list(
        active_people().exclude(pk=current_owner_id).only("username", "first_name", "last_name")
    )


class RegistryFilterForm(forms.Form):
    SORTS = ("name", "kind", "owner", "deputy", "confirmed")
    q = forms.CharField(required=False, label="Search by name")
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *AssetKind.choices])
    owner = forms.CharField(required=False, max_length=150)
    gap = forms.ChoiceField(required=False)
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS],
    )
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The role conflict is a gap only when an app gave it a rule (extensions).
        gaps = [(gap.value, gap.label) for gap in offered_gaps()]
        self.fields["gap"].choices = [("", "All assets"), ("any", "Any gap"), *gaps]


class AssetCreateForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(AssetKind.PROCESS, "Process"), (AssetKind.SYSTEM, "System")],
        help_text="Products are created on the Products page, with their vision and roadmap.",
    )
    name = forms.CharField(max_length=200)
    owner = PersonChoiceField(queryset=active_people(), help_text="The one accountable person.")
    deputy = PersonChoiceField(
        queryset=active_people(), required=False, help_text="Optional; never the owner."
    )
    team = forms.CharField(max_length=120, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean(self):
        data = super().clean()
        if data.get("deputy") and data.get("owner") and data["deputy"] == data["owner"]:
            self.add_error("deputy", "The deputy cannot be the owner.")
        return data


class AssetEditForm(forms.Form):
    name = forms.CharField(max_length=200)
    deputy = PersonChoiceField(
        queryset=active_people(), required=False, help_text="Optional; never the owner."
    )
    team = forms.CharField(max_length=120, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()


class HandoverForm(forms.Form):
    new_owner = PersonChoiceField(queryset=active_people(), label="New owner")
    reason = forms.CharField(
        max_length=1000,
        widget=forms.TextInput(attrs={"placeholder": "Why does it change hands?"}),
        help_text="Kept in the history for everyone to read.",
    )
    expected_owner = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, current_owner_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if current_owner_id is not None:
            self.fields["new_owner"].queryset = active_people().exclude(pk=current_owner_id)

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the asset changes hands.")
        return reason
