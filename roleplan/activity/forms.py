from __future__ import annotations

from django import forms

from roleplan.activity.models import DEFAULT_DELIVERY, Delivery, Kind
from roleplan.activity.services import MAX_BODY

BODY_HELP = "Markdown. Type @ and a name to mention someone who can see this."


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=BODY_HELP,
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class CommentEditForm(forms.Form):
    body = forms.CharField(
        label="Comment", max_length=MAX_BODY, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class PreferencesForm(forms.Form):
    """One choice per kind of notification: email at once, the Monday digest, or not at all."""

    def __init__(self, *args, current: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                initial=current.get(kind.value, DEFAULT_DELIVERY[kind]),
                widget=forms.RadioSelect,
            )
