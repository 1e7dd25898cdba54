from __future__ import annotations

from django import forms
from django.contrib.auth.models import User
from django.db import connection

from roleplan.ownership.models import AssetKind, Gap


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        full = obj.get_full_name()
        return f"{full} ({obj.username})" if full else obj.username


def active_people():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


# The people a handover can go to, as plain rows for people_labels(): the select and the order
# of active_people(). The asset page adds its own condition (ownership/page.py).
PEOPLE_SELECT = f"SELECT id, first_name, last_name, username FROM {User._meta.db_table}"
PEOPLE_ORDER = "ORDER BY first_name, last_name, username"
PEOPLE_SQL = f"{PEOPLE_SELECT} WHERE is_active = %s {PEOPLE_ORDER}"


def people_choices() -> list[tuple[str, str]]:
    """The active people as (value, label) pairs for a select, labelled as PersonChoiceField
    labels them, read as plain rows (no model instances: the asset page shows every person)."""
    # Plain SQL: the same rows as active_people(), without the ORM's compiling on every page
    # that shows a handover form (the asset page, registry rows).
    with connection.cursor() as cursor:
        cursor.execute(PEOPLE_SQL, [True])
        return people_labels(cursor.fetchall())


def people_labels(rows: list[tuple]) -> list[tuple[str, str]]:
    """(value, label) pairs of (id, first_name, last_name, username) rows."""
    choices = []
    for pk, first, last, username in rows:
        full = f"{first} {last}".strip()
        choices.append((str(pk), f"{full} ({username})" if full else username))
    return choices


class RegistryFilterForm(forms.Form):
    SORTS = ("name", "kind", "owner", "deputy", "confirmed")
    q = forms.CharField(required=False, label="Search by name")
    kind = forms.ChoiceField(required=False, choices=[("", "All kinds"), *AssetKind.choices])
    owner = forms.CharField(required=False, max_length=150)
    gap = forms.ChoiceField(
        required=False, choices=[("", "All assets"), ("any", "Any gap"), *Gap.choices]
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, k) for k in SORTS] + [(f"-{k}", f"-{k}") for k in SORTS],
    )
    page = forms.IntegerField(required=False, min_value=1)


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
