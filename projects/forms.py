"""Forms of the projects pages. Choices come from lists the view already loaded, so rendering a
form runs no query; every message is attached to the field it is about."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from products.models import Horizon
from projects.models import (
    LATER_HORIZONS,
    TO_A_HORIZON,
    CostCategory,
    DeliverableStatus,
    ItemEffect,
    Methodology,
    Moscow,
    ProjectStatus,
    RiskCategory,
    RiskStatus,
)
from projects.services import FUTURE_ACTUAL, OptionItem
from roleplan.dates import DateField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def person_label(user: User) -> str:
    full = user.get_full_name()
    return f"{full} ({user.username})" if full else user.username


class ObjectChoiceField(forms.ChoiceField):
    """A choice among objects already in memory; cleans to the object (or None)."""

    def __init__(self, *, objects: Iterable = (), label_from=str, empty_label="—", **kwargs):
        self.label_from = label_from
        self.empty_label = empty_label
        super().__init__(**kwargs)
        self.set_objects(objects)

    def set_objects(self, objects: Iterable) -> None:
        self.by_key = {str(obj.pk): obj for obj in objects}
        choices = [(key, self.label_from(obj)) for key, obj in self.by_key.items()]
        if not self.required or self.empty_label:
            choices = [("", self.empty_label or "—"), *choices]
        self.choices = choices

    def clean(self, value):
        value = super().clean(value)
        return self.by_key.get(str(value)) if value not in (None, "") else None

    def prepare_value(self, value):
        return str(value.pk) if hasattr(value, "pk") else value


class ObjectMultipleChoiceField(forms.MultipleChoiceField):
    def __init__(self, *, objects: Iterable = (), label_from=str, **kwargs):
        self.label_from = label_from
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)
        self.set_objects(objects)

    def set_objects(self, objects: Iterable) -> None:
        self.by_key = {str(obj.pk): obj for obj in objects}
        self.choices = [(key, self.label_from(obj)) for key, obj in self.by_key.items()]

    def clean(self, value):
        value = super().clean(value)
        return [self.by_key[str(v)] for v in value]

    def prepare_value(self, value):
        if value is None:
            return []
        return [str(v.pk) if hasattr(v, "pk") else str(v) for v in value]


class VersionedForm(forms.Form):
    """Carries the version the user loaded, for compare-and-set."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def strip(value: str) -> str:
    return (value or "").strip()


class ProjectForm(VersionedForm):
    name = forms.CharField(max_length=200)
    product = ObjectChoiceField(
        required=False,
        empty_label="No product",
        help_text="The product this project serves; its owner asks for changes and decides them.",
    )
    manager = ObjectChoiceField(label="Project manager", label_from=person_label)
    start_date = DateField(widget=DATE)
    deadline = DateField(widget=DATE)
    budget = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    currency = forms.CharField(max_length=3, min_length=3, initial="EUR")
    status = forms.ChoiceField(choices=ProjectStatus.choices)
    methodology = forms.ChoiceField(choices=Methodology.choices)
    statement_of_work = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What the project will and will not do.",
    )
    benefits = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the organisation is better off afterwards. Needed before approval.",
    )
    outcomes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What changes for users and customers, measurably. Needed before approval.",
    )
    editors = ObjectMultipleChoiceField(
        required=False, label_from=person_label, help_text="People who may edit besides you."
    )

    def __init__(self, *args, products=(), people=(), locked: bool = False, creating=False, **kw):
        super().__init__(*args, **kw)
        self.fields["product"].set_objects(products)
        self.fields["manager"].set_objects(people)
        self.fields["editors"].set_objects(people)
        self.locked = locked
        if creating:
            del self.fields["version"]
            del self.fields["status"]
        if locked:
            for name in ("start_date", "deadline", "budget", "currency"):
                self.fields[name].disabled = True
                self.fields[
                    name
                ].help_text = (
                    "Fixed by the approved baseline: only a decided change request moves it."
                )

    def clean_name(self) -> str:
        name = strip(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError("Give the project a name.")
        return name

    def clean_currency(self) -> str:
        value = strip(self.cleaned_data["currency"]).upper()
        if not value.isalpha():
            raise forms.ValidationError("Use a three-letter currency code such as EUR.")
        return value

    def clean(self):
        data = super().clean()
        start, deadline = data.get("start_date"), data.get("deadline")
        if start and deadline and deadline <= start:
            self.add_error("deadline", "The deadline must be after the start date.")
        return data


class DeliverableForm(VersionedForm):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it exists and what done means.",
    )
    status = forms.ChoiceField(choices=DeliverableStatus.choices, initial=DeliverableStatus.PLANNED)
    estimate_days = forms.DecimalField(
        label="Estimate (person-days)",
        required=False,
        max_digits=7,
        decimal_places=1,
        min_value=Decimal(0),
    )
    start_date = DateField(required=False, widget=DATE)
    due_date = DateField(required=False, widget=DATE)
    moscow = forms.ChoiceField(label="MoSCoW", choices=Moscow.choices, initial=Moscow.MUST)
    in_scope = forms.BooleanField(required=False, initial=True, label="In scope")
    roadmap_item = ObjectChoiceField(
        required=False,
        empty_label="Not traced",
        help_text="The roadmap item it delivers.",
    )
    owner = ObjectChoiceField(
        required=False,
        empty_label="No one yet",
        label_from=person_label,
        help_text="Who sees it done.",
    )
    group = forms.CharField(
        required=False,
        max_length=200,
        help_text="A phase or work package, e.g. “Migration” (“Phase 1 › Migration” nests).",
    )

    def __init__(self, *args, roadmap_items=(), people=None, creating=False, **kw):
        super().__init__(*args, **kw)
        self.fields["roadmap_item"].set_objects(roadmap_items)
        if people is None:  # the scope page's quick add: the item's own page has them
            del self.fields["owner"]
            del self.fields["group"]
        else:
            self.fields["owner"].set_objects(people)
        if creating:
            del self.fields["version"]

    def clean_group(self) -> str:
        return " ".join(strip(self.cleaned_data["group"]).split())

    def clean_title(self) -> str:
        title = strip(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("Give the deliverable a title.")
        return title

    def clean(self):
        data = super().clean()
        start, due = data.get("start_date"), data.get("due_date")
        if start and due and due < start:
            self.add_error("due_date", "The due date cannot be before the start.")
        if data.get("moscow") == Moscow.WONT and data.get("in_scope"):
            self.add_error("in_scope", "A won't-have deliverable is out of scope: untick it.")
        return data


class MilestoneForm(VersionedForm):
    title = forms.CharField(max_length=200)
    due_date = DateField(widget=DATE)
    done_on = DateField(required=False, widget=DATE, label="Done on")
    depends_on = ObjectMultipleChoiceField(
        required=False,
        label="Depends on (finish-to-start)",
        help_text="This milestone is reached only after these.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, milestones=(), creating=False, **kw):
        super().__init__(*args, **kw)
        self.fields["depends_on"].set_objects(milestones)
        if creating:
            del self.fields["version"]

    def clean_title(self) -> str:
        title = strip(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("Give the milestone a title.")
        return title


class CostLineForm(VersionedForm):
    category = forms.ChoiceField(choices=CostCategory.choices)
    description = forms.CharField(max_length=200)
    planned = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal(0))
    actual = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        help_text="Empty until the money is spent.",
    )
    date = DateField(widget=DATE, help_text="When it falls (or fell) due.")

    def __init__(self, *args, creating=False, **kw):
        super().__init__(*args, **kw)
        if creating:
            del self.fields["version"]

    def clean_description(self) -> str:
        value = strip(self.cleaned_data["description"])
        if not value:
            raise forms.ValidationError("Say what the cost is for.")
        return value

    def clean(self):
        data = super().clean()
        day = data.get("date")
        if data.get("actual") is not None and day and day > timezone.localdate():
            self.add_error("actual", FUTURE_ACTUAL)
        return data


LEVEL_CHOICES = [(n, str(n)) for n in range(1, 6)]


class RiskForm(VersionedForm):
    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=RiskCategory.choices)
    probability = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, help_text="1 rare … 5 almost certain"
    )
    impact = forms.TypedChoiceField(
        choices=LEVEL_CHOICES, coerce=int, help_text="1 minor … 5 severe"
    )
    owner = ObjectChoiceField(label_from=person_label, help_text="One person watches this risk.")
    mitigation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    status = forms.ChoiceField(choices=RiskStatus.choices, initial=RiskStatus.OPEN)
    review_date = DateField(widget=DATE)

    def __init__(self, *args, people=(), creating=False, **kw):
        super().__init__(*args, **kw)
        self.fields["owner"].set_objects(people)
        if creating:
            del self.fields["version"]
            self.fields["review_date"].initial = timezone.localdate() + timedelta(days=14)

    def clean_title(self) -> str:
        title = strip(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("Name the risk.")
        return title


class ChangeRequestForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="For example: add Feature XYZ.")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="The change you ask for."
    )
    why = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why it matters now: the customer or business need.",
    )
    value = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The value you expect, in the KPI's terms if it has one.",
    )
    roadmap_item = ObjectChoiceField(required=False, empty_label="None")
    kpi = ObjectChoiceField(required=False, label="KPI", empty_label="None")
    # Raised from a baselined deliverable that someone tried to take out of scope: the request
    # comes with the option that does it.
    descope = ObjectChoiceField(required=False, widget=forms.HiddenInput, empty_label="")

    def __init__(self, *args, roadmap_items=(), kpis=(), descopable=(), **kw):
        super().__init__(*args, **kw)
        self.fields["roadmap_item"].set_objects(roadmap_items)
        self.fields["kpi"].set_objects(kpis)
        self.fields["descope"].set_objects(descopable)

    def clean(self):
        data = super().clean()
        for name in ("title", "description", "why"):
            if name in data and not strip(data[name]):
                self.add_error(name, "This field is required.")
        return data


class ChangeOptionForm(VersionedForm):
    title = forms.CharField(max_length=200, help_text='For example: "Keep ABC, backlog XYZ".')
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    scope_impact = forms.CharField(
        label="Scope impact",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changes in scope, in words.",
    )
    adds = forms.CharField(
        label="Deliverables added, not for a roadmap item",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line; they join the scope if this option is chosen. Deliverables for "
        "a roadmap item go with the item below.",
    )
    # A list box, not a checkbox per deliverable: a project has hundreds in scope.
    descopes = ObjectMultipleChoiceField(
        label="Deliverables moved out of scope",
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (⌘ on a Mac) to choose several.",
    )
    deadline_days = forms.IntegerField(
        label="Deadline impact (days)",
        initial=0,
        min_value=-3650,
        max_value=3650,
        help_text="Days added to the deadline; negative is earlier.",
    )
    budget_amount = forms.DecimalField(
        label="Budget impact",
        initial=0,
        max_digits=14,
        decimal_places=2,
        help_text="Amount added to the budget; negative is a saving.",
    )

    def __init__(self, *args, deliverables=(), creating=False, **kw):
        super().__init__(*args, **kw)
        self.fields["descopes"].set_objects(deliverables)
        if creating:
            del self.fields["version"]

    def clean_title(self) -> str:
        title = strip(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError("Give the option a title.")
        return title

    def clean_adds(self) -> str:
        lines = [line.strip()[:200] for line in self.cleaned_data["adds"].splitlines()]
        return "\n".join(line for line in lines if line)


EFFECT_CHOICES = [("", "—"), *ItemEffect.choices]
HORIZON_CHOICES = [("", "—"), *((h, Horizon(h).label) for h in LATER_HORIZONS)]


class OptionItemForm(forms.Form):
    """One roadmap item an option touches: what happens to it. A row with no item, or with an
    item and nothing said about it (the request's own item is offered in the first row), is
    left out."""

    item = ObjectChoiceField(label="Roadmap item", required=False, empty_label="—")
    effect = forms.ChoiceField(label="What happens to it", choices=EFFECT_CHOICES, required=False)
    horizon = forms.ChoiceField(
        label="Back to", choices=HORIZON_CHOICES, required=False, help_text="When sent back."
    )
    adds = forms.CharField(
        label="Deliverables added for it",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, traced to this item. Brought in with none: one named after it.",
    )

    def __init__(self, *args, roadmap_items=(), **kw):
        super().__init__(*args, **kw)
        self.fields["item"].set_objects(roadmap_items)

    def clean(self):
        data = super().clean()
        if data.get("item") is None:
            return data
        effect, horizon = data.get("effect"), data.get("horizon")
        if not effect and not horizon and not (data.get("adds") or "").strip():
            data["item"] = None  # an item chosen (or offered) and nothing said about it
            return data
        if not effect:
            self.add_error("effect", "Say what happens to this item.")
        elif effect in TO_A_HORIZON and not horizon:
            self.add_error("horizon", "Choose the horizon it goes back to.")
        elif effect not in TO_A_HORIZON and horizon:
            self.add_error("horizon", "Only an item descoped or deferred goes back to a horizon.")
        lines = [line.strip()[:200] for line in (data.get("adds") or "").splitlines()]
        data["adds"] = "\n".join(line for line in lines if line)
        return data

    @property
    def option_item(self) -> OptionItem | None:
        data = self.cleaned_data
        if data.get("item") is None:
            return None
        return OptionItem(
            item=data["item"], effect=data["effect"], horizon=data["horizon"], adds=data["adds"]
        )


class BaseOptionItemFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        chosen = [f.cleaned_data["item"].pk for f in self.forms if f.cleaned_data.get("item")]
        if len(chosen) != len(set(chosen)):
            raise forms.ValidationError("Say once what happens to each roadmap item.")

    @property
    def option_items(self) -> list[OptionItem]:
        return [row for form in self.forms if (row := form.option_item) is not None]


ITEM_ROWS_BLANK = 2  # blank rows under the saved ones; saving offers two more


def option_item_formset(*args, roadmap_items=(), initial=(), **kw) -> BaseOptionItemFormSet:
    """The option form's rows of roadmap items: those saved, then blank ones."""
    formset_class = forms.formset_factory(
        OptionItemForm, formset=BaseOptionItemFormSet, extra=ITEM_ROWS_BLANK, max_num=50
    )
    return formset_class(
        *args,
        prefix="items",
        initial=list(initial),
        form_kwargs={"roadmap_items": roadmap_items},
        **kw,
    )


class ApprovalRequestForm(forms.Form):
    note = forms.CharField(
        label="A note for the product's owner",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: what to look at first.",
    )


class ApprovalReturnForm(forms.Form):
    comment = forms.CharField(
        label="What should change before you approve",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The project manager sees it on the project page.",
    )

    def clean_comment(self) -> str:
        value = strip(self.cleaned_data["comment"])
        if not value:
            raise forms.ValidationError("Say what should change before you approve.")
        return value


class ScopeRemovalForm(VersionedForm):
    """The product's owner takes baselined scope out without a change request, saying why."""

    delete = forms.TypedChoiceField(
        label="Remove how",
        choices=[("0", "Take it out of scope (it stays in the backlog)"), ("1", "Delete it")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="0",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the project and shown beside the scope's difference from the "
        "baseline.",
    )

    def clean_reason(self) -> str:
        value = strip(self.cleaned_data["reason"])
        if not value:
            raise forms.ValidationError("Say why: the reason is kept with the project.")
        return value


REJECT = "reject"


class DecisionForm(forms.Form):
    """Choose an option (or reject). Each option's version travels in option_version_<pk>, so a
    decision is taken on the option as the product manager saw it."""

    choice = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose an option, or reject the request."},
    )
    rationale = forms.CharField(
        label="Why",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with the decision, for everyone to read later.",
    )

    def __init__(self, *args, options=(), **kw):
        super().__init__(*args, **kw)
        self.options = {str(o.pk): o for o in options}
        self.fields["choice"].choices = [
            *[(str(o.pk), f"Option {o.label}: {o.title}") for o in options],
            (REJECT, "Reject the request"),
        ]

    def clean_rationale(self) -> str:
        value = strip(self.cleaned_data["rationale"])
        if not value:
            raise forms.ValidationError("Say why: the decision is recorded with its reason.")
        return value

    @property
    def chosen_option(self):
        return self.options.get(self.cleaned_data.get("choice"))

    @property
    def chosen_version(self) -> int | None:
        option = self.chosen_option
        if option is None:
            return None
        raw = self.data.get(f"option_version_{option.pk}", "")
        return int(raw) if str(raw).isdigit() else None


class ConfirmForm(VersionedForm):
    """A destructive action, confirmed, against the version the user saw."""


class PlanImportForm(forms.Form):
    """The MS Project file to import, and whose project it becomes."""

    file = forms.FileField(
        label="MS Project XML file",
        help_text="Saved from MS Project (File › Save As › XML Format), ProjectLibre (File › "
        "Save As › MS Project XML) or any tool writing MSPDI; up to 5 MB and 5,000 tasks.",
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )
    product = ObjectChoiceField(
        required=False,
        empty_label="No product",
        help_text="The product this project serves; its owner approves the plan.",
    )
    manager = ObjectChoiceField(label="Project manager", label_from=person_label)

    def __init__(self, *args, products=(), people=(), **kw):
        super().__init__(*args, **kw)
        self.fields["product"].set_objects(products)
        self.fields["manager"].set_objects(people)


class DependencyForm(forms.Form):
    """One finish-to-start link to add: the deliverable this one waits for, and the lag."""

    predecessor = ObjectChoiceField(
        label="Depends on",
        empty_label="Choose a deliverable",
        help_text="This deliverable starts once that one is finished.",
    )
    lag_days = forms.IntegerField(
        label="Lag (days)",
        initial=0,
        min_value=-999,
        max_value=999,
        help_text="Working days to wait after it finishes; negative to start earlier.",
    )

    def __init__(self, *args, deliverables=(), **kw):
        super().__init__(*args, **kw)
        self.fields["predecessor"].set_objects(deliverables)
