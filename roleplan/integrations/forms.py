"""Forms of the token and webhook pages. They validate; services.py writes."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import User

from products.models import Product
from projects.access import ProjectAccess
from projects.models import Project
from roleplan.integrations import targets
from roleplan.integrations.models import EVENT_LABELS, WEBHOOK_EVENTS, TargetKind

EXPIRY_CHOICES = [
    ("30", "In 30 days"),
    ("90", "In 90 days"),
    ("365", "In a year"),
    ("", "Never"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What will use it, so you know which to revoke: “Jira sync”."
    )
    can_write = forms.BooleanField(
        label="Read and write",
        required=False,
        help_text="Without it the token only reads; writes answer 403.",
    )
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        initial="90",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Name the token.")
        return name


class SubscriptionForm(forms.Form):
    target_url = forms.URLField(
        label="Target URL",
        max_length=500,
        assume_scheme="https",
        help_text="Where roleplan POSTs each event. Public addresses only.",
    )
    kind = forms.ChoiceField(
        label="Format", choices=TargetKind.choices, initial=TargetKind.STANDARD
    )
    events = forms.MultipleChoiceField(
        choices=[(str(e), EVENT_LABELS[e]) for e in WEBHOOK_EVENTS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )

    def clean_target_url(self) -> str:
        url = self.cleaned_data["target_url"]
        try:
            targets.resolve(url)
        except targets.TargetRefused as exc:
            raise forms.ValidationError(str(exc)) from None
        return url


class NewSubscriptionForm(SubscriptionForm):
    """A new subscription names its scope: a product or a project the person may change, or
    (staff) the whole installation."""

    scope = forms.ChoiceField(label="Events of")
    field_order = ["scope", "target_url", "kind", "events"]

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        products = Product.objects.for_page(user).filter(can_edit=True).order_by("asset__name")
        # The projects whose subscriptions the person may manage: the rule of ProjectAccess.
        projects = Project.objects.order_by("name").with_user_is_editor(user)
        if not user.is_staff:
            projects = projects.involving(user)
        projects = [p for p in projects if ProjectAccess(project=p, user=user).can_edit]
        choices = [("", "The whole installation")] if user.is_staff else []
        choices += [(f"product:{p.asset.slug}", f"Product: {p.asset.name}") for p in products]
        choices += [(f"project:{p.slug}", f"Project: {p.name}") for p in projects]
        self.fields["scope"].choices = choices
        self.fields["scope"].required = not user.is_staff

    def scope_slugs(self) -> dict[str, str | None]:
        kind, _, slug = self.cleaned_data["scope"].partition(":")
        return {
            "product": slug if kind == "product" else None,
            "project": slug if kind == "project" else None,
        }
