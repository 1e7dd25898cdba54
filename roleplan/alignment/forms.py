from __future__ import annotations

import hashlib
import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.models import User

from projects.models import ChangeRequest
from roleplan.alignment.models import Weekday
from roleplan.dates import DateField
from roleplan.people import display_name


class NotesForm(forms.Form):
    text = forms.CharField(required=False, widget=forms.Textarea, max_length=50_000)
    version = forms.IntegerField(min_value=1)
    mode = forms.ChoiceField(
        required=False, choices=[("save", "save"), ("mine", "mine"), ("combine", "combine")]
    )


class ActionItemForm(forms.Form):
    """A new action item. The ids are the sync page's (one page holds two forms with a
    `text` field)."""

    text = forms.CharField(
        max_length=500,
        label="New action",
        widget=forms.TextInput(
            attrs={"id": "action-text", "placeholder": "e.g. Ask finance about the extra budget"}
        ),
    )
    owner = forms.TypedChoiceField(
        coerce=int, label="Owner", widget=forms.Select(attrs={"id": "action-owner"})
    )
    due_date = DateField(
        required=False,
        label="Due",
        widget=forms.DateInput(attrs={"type": "date", "id": "action-due"}),
    )

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {p.pk: p for p in people}
        self.fields["owner"].choices = [(p.pk, display_name(p)) for p in people]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Say what needs to be done.")
        return text

    def clean_owner(self) -> User:
        return self.people[self.cleaned_data["owner"]]


class TopicForm(forms.Form):
    """A topic either person wants to talk about (its id is the sync page's)."""

    text = forms.CharField(
        max_length=300,
        label="New topic",
        widget=forms.TextInput(
            attrs={"id": "topic-text", "placeholder": "e.g. Hiring for the Q3 roadmap"}
        ),
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Say what you want to talk about.")
        return text


class DecisionForm(forms.Form):
    text = forms.CharField(
        max_length=5000,
        label="New decision",
        widget=forms.Textarea(
            attrs={"id": "decision-text", "rows": 2, "placeholder": "What did you decide, and why?"}
        ),
    )
    change_request = forms.TypedChoiceField(
        coerce=int,
        required=False,
        empty_value=None,
        label="Settles change request",
        help_text="The change request itself is decided on its page, where its options are "
        "applied to the baseline.",
        widget=forms.Select(attrs={"id": "decision-cr"}),
    )

    def __init__(self, *args: Any, change_requests: list[ChangeRequest], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.change_requests = {cr.pk: cr for cr in change_requests}
        self.fields["change_request"].choices = [
            ("", "— none —"),
            *((cr.pk, f"{cr.project.name}: {cr.code} {cr.title}") for cr in change_requests),
        ]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write down what was decided.")
        return text

    def clean_change_request(self) -> ChangeRequest | None:
        pk = self.cleaned_data["change_request"]
        return self.change_requests.get(pk) if pk else None


TIME_ZONES = sorted(zoneinfo.available_timezones())
# Changes with the machine's time zone database: part of the options' cache key.
ZONES_STAMP = hashlib.blake2b("\n".join(TIME_ZONES).encode(), digest_size=8).hexdigest()


class TimeZoneSelect(forms.Select):
    """A select of the ~600 time zones. Its options are the same in every form but for the one
    chosen, so its template keeps them in the cache under the chosen zone ({% cache %}), and
    the options are built only when the cache has none (a profile of the series settings put
    ~20 ms a page in drawing them)."""

    template_name = "alignment/widgets/time_zone_select.html"

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)  # not the options yet
        chosen = context["widget"]["value"]
        context["widget"]["optgroups"] = lambda: self.optgroups(name, chosen, attrs)
        context["widget"]["zones_stamp"] = ZONES_STAMP
        return context


class SeriesForm(forms.Form):
    weekday = forms.TypedChoiceField(coerce=int, choices=Weekday.choices)
    time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), label="Time")
    time_zone = forms.ChoiceField(
        choices=[(tz, tz) for tz in TIME_ZONES], label="Time zone", widget=TimeZoneSelect
    )
    duration_minutes = forms.IntegerField(min_value=5, max_value=480, label="Duration (minutes)")
    paused = forms.BooleanField(required=False, label="Paused (no meetings, no reminders)")
    version = forms.IntegerField(widget=forms.HiddenInput)
