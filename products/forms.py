"""Forms of the product side. They validate; products/services.py writes.

Edit forms carry the `version` the user started from, for the compare-and-set save.
"""

from __future__ import annotations

import copy
from decimal import Decimal

from django import forms
from django.contrib.auth.models import User
from django.db.models.functions import Lower

from products import roadmap_csv, spreadsheets
from products.models import (
    Direction,
    Horizon,
    Hypothesis,
    HypothesisStatus,
    Kpi,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapItem,
    Status,
    TargetKind,
    in_order,
)
from products.services import KPI_NAME, PRODUCT_NAME
from products.spreadsheets import MAX_BYTES, MAX_ROWS, Table, UnreadableFile, read_table
from roleplan.dates import PICKER_RANGE
from roleplan.ownership.models import Asset, AssetKind
from roleplan.people import display_name

# The table's sort keys, each with the direction it sorts in first (products/roadmap.py orders).
SORT_KEYS = {
    "rice": "desc",
    "ice": "desc",
    "title": "asc",
    "status": "asc",
    "horizon": "asc",
    "kpi": "asc",
    "reach": "desc",
    "impact": "desc",
    "confidence": "desc",
    "effort": "asc",
    "ice_impact": "desc",
    "ice_confidence": "desc",
    "ice_ease": "desc",
}
# The Move… menu: one step up or down the column as shown, or to another horizon.
MOVE_CHOICES = [
    ("up", "Up"),
    ("down", "Down"),
    *[(h.value, f"To {h.label}") for h in Horizon],
]
MAX_SHOWN = 1000  # cards a column shows at most, however many "Show more" asked for

TEXTS = ["positioning", "vision", "strategy", "target_audience", "needs"]
MARKDOWN_HELP = "Markdown: **bold**, *italic*, lists, [links](https://example.com)."


def people():
    return User.objects.filter(is_active=True).order_by(Lower("first_name"), Lower("username"))


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class VersionedForm(forms.ModelForm):
    """An edit form carrying the version it was loaded at.

    It works on a copy of the row: validating a ModelForm writes the input into its instance,
    and the page around the form (its heading, a conflict's "saved" side) must keep showing the
    row as saved, not what was typed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs) -> None:
        if kwargs.get("instance") is not None:
            kwargs["instance"] = copy.copy(kwargs["instance"])
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            value = self.initial.get(name)
            if isinstance(field, forms.DecimalField) and isinstance(value, Decimal):
                self.initial[name] = f"{value.normalize():f}"  # 18, not 18.0000

    def changes(self) -> dict:
        """The submitted values that differ from the row as loaded, for the service: what
        a save writes, and what a conflict compares."""
        return {
            name: self.cleaned_data[name] for name in self._meta.fields if name in self.changed_data
        }


def small_textareas(names: list[str], rows: int = 4) -> dict:
    return {name: forms.Textarea(attrs={"rows": rows}) for name in names}


class ProductCreateForm(forms.ModelForm):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(
        label="Address",
        max_length=220,
        required=False,
        help_text="Letters, digits and hyphens, as in /products/address/; made from the name.",
    )
    owner = PersonChoiceField(
        queryset=User.objects.none(), help_text="The product manager: accountable for the product."
    )

    class Meta:
        model = Product
        fields = ["kind", "stage", *TEXTS]
        widgets = small_textareas(TEXTS)
        help_texts = dict.fromkeys(TEXTS, MARKDOWN_HELP)

    field_order = ["name", "slug", "owner", "kind", "stage", *TEXTS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Asset.objects.filter(kind=AssetKind.PRODUCT, name__iexact=name).exists():
            raise forms.ValidationError(PRODUCT_NAME.message)
        return name

    def clean_slug(self) -> str:
        """A chosen address must be free; left empty, the service makes the next free one from
        the name (roleplan.uniqueness), so a name is only ever refused for the name."""
        slug = self.cleaned_data["slug"]
        if slug and Asset.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"The address “{slug}” is taken; choose another.")
        return slug

    def service_kwargs(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ["name", "slug", "owner", "kind", "stage", *TEXTS]
        }


class ProductForm(VersionedForm):
    class Meta:
        model = Product
        fields = ["kind", "stage", "scoring", "launch_date", *TEXTS]
        widgets = {
            **small_textareas(TEXTS, rows=5),
            "launch_date": forms.DateInput(attrs={"type": "date", **PICKER_RANGE}),
        }
        help_texts = dict.fromkeys(TEXTS, MARKDOWN_HELP)


class EditorForm(forms.Form):
    user = PersonChoiceField(
        queryset=User.objects.none(),
        label="Add an editor",
        error_messages={
            "required": "Choose a person to add as an editor.",
            "invalid_choice": "Choose one of the people in the list.",
        },
    )

    def __init__(self, *args, product: Product, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people().exclude(pk=product.asset.owner_id)
        self.fields["user"].empty_label = "Choose a person…"


class KpiForm(VersionedForm):
    class Meta:
        model = Kpi
        fields = [
            "name",
            "unit",
            "direction",
            "baseline",
            "target_kind",
            "target_value",
            "due_date",
            "due_months",
        ]
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date", **PICKER_RANGE}),
            "target_kind": forms.RadioSelect,
            "baseline": forms.NumberInput(attrs={"step": "any"}),
            "target_value": forms.NumberInput(attrs={"step": "any"}),
            "due_months": forms.NumberInput(attrs={"min": 1, "max": 60}),
        }

    def __init__(self, *args, product: Product, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        if self.instance.pk is None:
            del self.fields["version"]
        if product.launch_date is None:
            self.fields[
                "due_months"
            ].help_text = (
                "“Within 3 months of launch”: set the product's launch date to count from."
            )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Kpi.objects.filter(product=self.product, name=name).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(KPI_NAME.message)
        return name

    def clean(self) -> dict:
        """The rules of the table's check constraints, said next to the field to change."""
        data = super().clean()
        baseline, value = data.get("baseline"), data.get("target_value")
        kind, direction = data.get("target_kind"), data.get("direction")
        if data.get("due_date") and data.get("due_months"):
            self.add_error("due_months", "Give a due date or a number of months, not both.")
        if kind in (TargetKind.POINTS, TargetKind.PERCENT) and baseline is None:
            self.add_error("baseline", "A target stated as a change needs the baseline.")
        if kind == TargetKind.PERCENT and baseline == 0:
            self.add_error("baseline", "A percentage of a zero baseline changes nothing.")
        if kind == TargetKind.PERCENT and value is not None and value <= -100:
            self.add_error("target_value", "A KPI cannot fall by 100 % or more.")
        if value is None or not direction or kind is None:
            return data
        up = direction == Direction.UP
        if kind == TargetKind.ABSOLUTE and baseline is not None:
            if up and value <= baseline:
                self.add_error("target_value", "Higher is better: aim above the baseline.")
            if not up and value >= baseline:
                self.add_error("target_value", "Lower is better: aim below the baseline.")
        if kind != TargetKind.ABSOLUTE:
            if up and value <= 0:
                self.add_error("target_value", "Higher is better: the change must be positive.")
            if not up and value >= 0:
                self.add_error(
                    "target_value", "Lower is better: the change must be negative, e.g. -2."
                )
        return data

    def _post_clean(self) -> None:
        # The product is not a form field; set it so the model's own checks see the whole row.
        self.instance.product = self.product
        super()._post_clean()


class MeasurementForm(forms.ModelForm):
    class Meta:
        model = KpiMeasurement
        fields = ["date", "value", "note"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date", **PICKER_RANGE}),
            "note": forms.TextInput(attrs={"placeholder": "Optional note"}),
        }

    def validate_unique(self) -> None:
        # Recording a day again replaces its value (services.measurement_record).
        return


class RiskForm(VersionedForm):
    owner = PersonChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = ProductRisk
        fields = [
            "title",
            "category",
            "probability",
            "impact",
            "mitigation",
            "owner",
            "status",
            "review_date",
        ]
        widgets = {
            "review_date": forms.DateInput(attrs={"type": "date", **PICKER_RANGE}),
            "mitigation": forms.Textarea(attrs={"rows": 3}),
            "probability": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "impact": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = people()
        if self.instance.pk is None:
            del self.fields["version"]


ITEM_FORM_FIELDS = [
    "title",
    "status",
    "horizon",
    "kpi",
    "reach",
    "impact",
    "confidence",
    "effort",
    "ice_impact",
    "ice_confidence",
    "ice_ease",
    "problem",
    "audience",
    "requirements",
    "success_metric",
]
ITEM_WIDGETS = {
    **small_textareas(["problem", "audience", "requirements", "success_metric"], rows=3),
    "reach": forms.NumberInput(attrs={"min": 0, "step": 1}),
    "effort": forms.NumberInput(attrs={"min": "0.01", "step": "0.01"}),
    "ice_impact": forms.NumberInput(attrs={"min": 1, "max": 10}),
    "ice_confidence": forms.NumberInput(attrs={"min": 1, "max": 10}),
    "ice_ease": forms.NumberInput(attrs={"min": 1, "max": 10}),
}
RICE_INPUTS = ["reach", "impact", "confidence", "effort"]
ICE_INPUTS = ["ice_impact", "ice_confidence", "ice_ease"]


def unused_inputs(product: Product) -> list[str]:
    """The score inputs of the method(s) the product does not use: its forms leave them out
    (and their saved values alone)."""
    return [
        *([] if product.uses_rice else RICE_INPUTS),
        *([] if product.uses_ice else ICE_INPUTS),
    ]


# Fields that are edited in place on the board and in the table (CardForm).
CARD_FIELDS = [
    "title",
    "status",
    "horizon",
    "kpi",
    "reach",
    "impact",
    "confidence",
    "effort",
    "ice_impact",
    "ice_confidence",
    "ice_ease",
]


class RoadmapItemForm(VersionedForm):
    class Meta:
        model = RoadmapItem
        fields = ITEM_FORM_FIELDS
        widgets = ITEM_WIDGETS
        error_messages = {"reach": {"min_value": "Reach cannot be negative."}}

    def __init__(self, *args, product: Product, kpis: list[Kpi] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in unused_inputs(product):
            del self.fields[name]
        if "kpi" in self.fields:
            field = self.fields["kpi"]
            field.queryset = Kpi.objects.filter(product=product)
            if kpis is not None:
                # The page already loaded the KPIs: render the choices without another query.
                field.choices = [("", "— none —"), *[(k.pk, k.name) for k in kpis]]
            field.empty_label = "— none —"


class CardForm(forms.Form):
    """The fields a card or a table row shows, edited in place on the roadmap (the item's page
    edits the rest).

    The fields are RoadmapItemForm's own (widgets, choices, messages), each checked with its
    model field's validators, as the item's page checks them. A plain form rather than a
    ModelForm: a ModelForm's model validation also asks the database to check each of the
    table's check constraints, one query each. The validators say the same as those
    constraints, and the database still enforces them."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, *, item: RoadmapItem, kpis: list[Kpi], product: Product) -> None:
        unused = unused_inputs(product)
        self.names = [name for name in CARD_FIELDS if name not in unused]
        initial = {
            name: RoadmapItem._meta.get_field(name).value_from_object(item) for name in self.names
        }
        if "effort" in initial:
            initial["effort"] = f"{Decimal(item.effort).normalize():f}"  # 4, not 4.00
        initial["version"] = item.version
        super().__init__(data, prefix=f"item{item.pk}", auto_id="%s", initial=initial)
        for name in self.names:
            self.fields[name] = copy.deepcopy(CARD_BASE_FIELDS[name])
            self.fields[name].help_text = ""  # the compact editor has no room for help lines
        # The product's KPIs, loaded by the page, are the choices: a chosen one is looked up
        # among them, not in the database.
        self.kpis = {kpi.pk: kpi for kpi in kpis}
        self.fields["kpi"] = forms.TypedChoiceField(
            label="KPI",
            choices=[("", "— none —"), *[(k.pk, k.name) for k in kpis]],
            coerce=int,
            empty_value=None,
            required=False,
        )
        self.fields["title"].widget.attrs["autofocus"] = True

    def clean(self) -> dict:
        cleaned = super().clean()
        for name in self.names:
            if name in cleaned and name != "kpi" and cleaned[name] is not None:
                try:
                    RoadmapItem._meta.get_field(name).run_validators(cleaned[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        if "kpi" in cleaned:
            cleaned["kpi"] = self.kpis.get(cleaned["kpi"])
        return cleaned

    def changes(self) -> dict:
        """The submitted values that differ from the item as loaded, for the service: what a
        save writes, and what a conflict compares."""
        return {name: self.cleaned_data[name] for name in self.names if name in self.changed_data}


CARD_BASE_FIELDS = forms.modelform_factory(
    RoadmapItem, form=RoadmapItemForm, fields=CARD_FIELDS, widgets=ITEM_WIDGETS
).base_fields


class RoadmapItemCreateForm(forms.ModelForm):
    class Meta:
        model = RoadmapItem
        fields = ["title", "horizon"]
        widgets = {"title": forms.TextInput(attrs={"placeholder": "New item title"})}


class MoveForm(forms.Form):
    """Where an item goes: a step of the Move… menu (`to`), or the place a drag dropped it
    (`horizon` and `position`, with its new neighbours, which say more than an index on a
    filtered or partly shown column)."""

    to = forms.ChoiceField(choices=MOVE_CHOICES, required=False)
    horizon = forms.ChoiceField(choices=Horizon.choices, required=False)
    position = forms.IntegerField(min_value=0, required=False)
    before = forms.IntegerField(min_value=1, required=False)
    after = forms.IntegerField(min_value=1, required=False)

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("to") and (not data.get("horizon") or data.get("position") is None):
            raise forms.ValidationError("Choose where to move the item.")
        return data


class HypothesisForm(VersionedForm):
    """A hypothesis's HADI texts, its KPI and the items it is about; its status changes through
    HypothesisStatusForm (the service that concludes it also changes the items)."""

    class Meta:
        model = Hypothesis
        fields = ["hypothesis", "action", "kpi", "metric", "insight", "items"]
        widgets = {
            **small_textareas(["hypothesis", "action", "insight"], rows=3),
            "metric": forms.Textarea(attrs={"rows": 2}),
            "items": forms.SelectMultiple(attrs={"size": 8}),
        }
        help_texts = {
            "hypothesis": MARKDOWN_HELP,
            "action": MARKDOWN_HELP,
            "insight": f"Needed to validate or invalidate it. {MARKDOWN_HELP}",
            "items": "The roadmap items whose confidence it changes when concluded.",
        }

    def __init__(self, *args, product: Product, kpis: list[Kpi], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        if self.instance.pk is None:
            del self.fields["version"]
        self.fields["kpi"].queryset = Kpi.objects.filter(product=product)
        self.fields["kpi"].choices = [("", "— none —"), *[(k.pk, k.name) for k in kpis]]
        items = RoadmapItem.objects.filter(product=product).order_by(
            in_order(Horizon.values, "horizon"), "rank", "id"
        )
        self.fields["items"].queryset = items
        self.fields["items"].choices = [
            (pk, title) for pk, title in items.values_list("pk", "title")
        ]
        if self.instance.status in ("validated", "invalidated"):
            self.fields["insight"].required = True

    def _post_clean(self) -> None:
        self.instance.product = self.product
        super()._post_clean()

    def changes(self) -> dict:
        changed = super().changes()
        if "items" in changed:
            changed["items"] = list(changed["items"])
        return changed

    def changes_for_create(self) -> dict:
        """Every field of a new hypothesis, for services.hypothesis_create."""
        return {name: self.cleaned_data[name] for name in self._meta.fields}


class HypothesisStatusForm(forms.Form):
    """A new status, with the insight that concludes it (validated or invalidated)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    status = forms.ChoiceField(choices=HypothesisStatus.choices, widget=forms.RadioSelect)
    insight = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was learned: needed to validate or invalidate.",
    )

    def clean(self) -> dict:
        data = super().clean()
        concluded = data.get("status") in (HypothesisStatus.VALIDATED, HypothesisStatus.INVALIDATED)
        if concluded and not data.get("insight", "").strip():
            self.add_error("insight", "Say what was learned before concluding the hypothesis.")
        return data


class RoadmapFilterForm(forms.Form):
    """The roadmap's view, order, filters and page, read from the query string. Anything not
    understood falls back to its default: a link never fails."""

    view = forms.ChoiceField(choices=[("board", "Board"), ("table", "Table")], required=False)
    sort = forms.ChoiceField(choices=[(key, key) for key in SORT_KEYS], required=False)
    dir = forms.ChoiceField(choices=[("asc", "asc"), ("desc", "desc")], required=False)
    status = forms.ChoiceField(choices=[("", "All statuses"), *Status.choices], required=False)
    kpi = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    page = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args, kpis: list[Kpi], default_sort: str = "rice", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.default_sort = default_sort
        self.fields["kpi"].choices = [("", "All KPIs"), *[(k.pk, k.name) for k in kpis]]
        for horizon in Horizon:
            # How many cards a column shows (the no-JavaScript "Show more" asks for more).
            self.fields[f"show_{horizon.value}"] = forms.IntegerField(
                min_value=1, max_value=MAX_SHOWN, required=False
            )

    def values(self) -> dict:
        self.is_valid()  # an invalid filter falls back to its default; the valid ones stay
        data = self.cleaned_data
        sort = data.get("sort") or self.default_sort
        return {
            "view": data.get("view") or "board",
            "sort": sort,
            "dir": data.get("dir") or SORT_KEYS[sort],
            "status": data.get("status") or "",
            "kpi": data.get("kpi"),
            "page": data.get("page") or 1,
            **{f"show_{h.value}": data.get(f"show_{h.value}") for h in Horizon},
        }


# Roadmap import -------------------------------------------------------------------------------


class RoadmapUploadForm(forms.Form):
    """A roadmap file: read (products/spreadsheets.py) when it is validated, refused with the
    reason when it cannot be read or names no field in its header. `table` is what was read."""

    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,  # spreadsheets.py says “The file is empty.” in its own words
        help_text=(
            "Jira Product Discovery's or Jira's CSV export, Productboard's feature export, or "
            f"a roadmap exported from roleplan. At most {MAX_BYTES / 1024 / 1024:g} MB and "
            f"{MAX_ROWS:,} rows; UTF-8 or UTF-16, separated by commas, semicolons or tabs."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
    )

    def __init__(self, *args, product: Product, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.product = product
        self.table: Table | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > spreadsheets.MAX_BYTES:  # refused before it is read into memory
            raise forms.ValidationError(spreadsheets.too_big(upload.size))
        try:
            table = read_table(upload.read())
        except UnreadableFile as error:
            raise forms.ValidationError(str(error)) from None
        source = roadmap_csv.detect(table.header)
        if not any(roadmap_csv.proposed_mapping(self.product, table, source)):
            raise forms.ValidationError(
                "The first row names no roadmap field, so it is not a header roleplan knows: "
                "a Jira export starts with Summary, Issue key…, a Productboard export with "
                "Feature name…, a roleplan export with Key, roleplan id, Title…"
            )
        if not table.rows:
            raise forms.ValidationError("The file has a header but no rows to import.")
        self.table = table
        return upload


class ImportMappingForm(forms.Form):
    """The field each column of an upload fills: one select per column, in the file's order.
    Whether the mapping as a whole works (a title column, no field twice) is said by the
    preview (roadmap_csv.check_mapping), which shows it next to what it does."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, data=None, *, upload, header: list[str], product: Product) -> None:
        super().__init__(data, initial={"version": upload.version})
        choices = [("", "— not imported —")]
        choices += [(target.name, target.label) for target in roadmap_csv.offered(product)]
        mapping = upload.mapping
        self.names = []
        for index, header_name in enumerate(header):
            name = f"column-{index}"
            self.names.append(name)
            self.fields[name] = forms.ChoiceField(
                label=header_name or f"Column {index + 1}",
                choices=choices,
                required=False,
                initial=mapping[index] if index < len(mapping) else "",
            )

    def mapping(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.names]


class ImportRunForm(forms.Form):
    """Import the upload as previewed: the version of the mapping the preview showed."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
