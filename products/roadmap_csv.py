"""A roadmap in and out as CSV: which columns of a file fill which item fields, what each row
will do, and the file roleplan writes. The one set of rules behind the import page, the
`import_roadmap` command and the roadmap's CSV export; products/services.py writes.

Sources, told apart by their header row (`detect`):

- **Jira Product Discovery** writes Jira's issue CSV: `Summary`, `Issue key`, `Issue id`,
  `Status`, `Description`, `Labels` repeated as several columns, and each custom field as
  `Custom field (Name)`: `Custom field (Roadmap)` (Now, Next, Later), `Custom field (Impact)`,
  `Custom field (Effort)`, `Custom field (Goals)`… Numbers come as Jira writes them ("4.0"). A
  site's export may carry two custom fields of one name (Impact from JPD and from Service
  Management): the column that has values is taken.
- **Productboard**'s feature export (its grid's columns): `Feature name` (or `Name`), `Feature
  ID` (or `ID`, `UUID`), `Description`, `Status`, `Release` (its Now/Next/Later releases),
  `Owner`, `Tags`, and any custom field by its name (`Reach`, `Effort`…). Productboard does not
  publish this format; these are the names of its grid's columns and default fields, and the
  mapping page lets people correct what was guessed.
- **roleplan**'s own export (EXPORT_COLUMNS), recognised by its `roleplan id` column, whose
  round trip changes nothing.
- Any other CSV whose header names at least one field: a mapping is proposed from the same
  names.

Items have no labels or tags: such columns are not imported, and the mapping page says so. An
`Owner` is a person of the other tool: not imported either.

Rules of a row (`plan_import`):
- A row updates the item with its key (`external_key`), or, in roleplan's own file, the item
  with its roleplan id; otherwise it adds an item, with its key so the next import finds it.
- A mapped column is the file's word on that field: an empty cell empties a field that may be
  empty (reach, ICE inputs, KPI, texts) and leaves the others as they are (status, horizon,
  RICE impact, confidence and effort take their defaults on a new item).
- Values are read as the forms read them and checked by the model's validators; a value the
  item cannot hold is an error of its row and column, never a guess. The import is all or
  nothing: any error and nothing is written.
- Cells neutralised by an export (products/spreadsheets.py) are read back as they were.

Reads are bulk: the product's items and KPIs in two queries, whatever the file's length.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Field, QuerySet

from products.models import (
    IMPACT_VALUES,
    Confidence,
    Horizon,
    ImportSource,
    Kpi,
    Product,
    RoadmapItem,
    Status,
    in_order,
)
from products.spreadsheets import Table, restore
from roleplan.numbers import num
from roleplan.versioning import differences

# The fields a column can fill ---------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """An item field a column can fill. `method` is the scoring method it belongs to (offered
    only to products that use it); `clears` says whether an empty cell empties the field (or
    leaves it as it is)."""

    name: str
    label: str
    method: str = ""
    clears: bool = True


TARGETS = [
    Target("title", "Title", clears=False),
    Target("external_key", "Key", clears=False),
    Target("roleplan_id", "roleplan id", clears=False),
    Target("status", "Status", clears=False),
    Target("horizon", "Horizon", clears=False),
    Target("problem", "Problem"),
    Target("audience", "Users"),
    Target("requirements", "Requirements"),
    Target("success_metric", "Success metric"),
    Target("kpi", "KPI"),
    Target("reach", "RICE reach", "rice"),
    Target("impact", "RICE impact", "rice", clears=False),
    Target("confidence", "RICE confidence", "rice", clears=False),
    Target("effort", "RICE effort", "rice", clears=False),
    Target("ice_impact", "ICE impact", "ice"),
    Target("ice_confidence", "ICE confidence", "ice"),
    Target("ice_ease", "ICE ease", "ice"),
]
BY_NAME = {target.name: target for target in TARGETS}
FIELDS = {target.name for target in TARGETS} - {"roleplan_id", "kpi"}
TEXTS = ["problem", "audience", "requirements", "success_metric"]


def offered(product: Product) -> list[Target]:
    """The fields this product's items can take from a file: the score inputs of the
    method(s) it uses, as its forms offer them."""
    methods = {"", *(["rice"] if product.uses_rice else []), *(["ice"] if product.uses_ice else [])}
    return [target for target in TARGETS if target.method in methods]


# roleplan's own file: its columns, in order, and the field each one holds.
EXPORT_COLUMNS = [
    ("Key", "external_key"),
    ("roleplan id", "roleplan_id"),
    ("Title", "title"),
    ("Status", "status"),
    ("Horizon", "horizon"),
    ("KPI", "kpi"),
    ("Problem", "problem"),
    ("Users", "audience"),
    ("Requirements", "requirements"),
    ("Success metric", "success_metric"),
    ("Reach", "reach"),
    ("Impact", "impact"),
    ("Confidence (%)", "confidence"),
    ("Effort (person-months)", "effort"),
    ("ICE impact", "ice_impact"),
    ("ICE confidence", "ice_confidence"),
    ("ICE ease", "ice_ease"),
]

# Header names of the other sources (normalised: see `normalised`), each with the fields it
# may fill, the first one the product uses winning ("Impact" is RICE's impact on a RICE
# roadmap, ICE's on an ICE one).
NAMES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(["summary", "title", "feature name", "name", "feature", "idea"], ("title",)),
    **dict.fromkeys(["issue key", "key", "feature id", "id", "uuid"], ("external_key",)),
    **dict.fromkeys(["status", "feature status"], ("status",)),
    **dict.fromkeys(["roadmap", "horizon", "release", "releases", "timeframe"], ("horizon",)),
    **dict.fromkeys(["description", "feature description", "problem"], ("problem",)),
    **dict.fromkeys(["users", "audience"], ("audience",)),
    "requirements": ("requirements",),
    "success metric": ("success_metric",),
    "kpi": ("kpi",),
    "reach": ("reach",),
    "impact": ("impact", "ice_impact"),
    "confidence": ("confidence", "ice_confidence"),
    "effort": ("effort",),
    "ease": ("ice_ease",),
    "rice impact": ("impact",),
    "ice impact": ("ice_impact",),
    "ice confidence": ("ice_confidence",),
    "ice ease": ("ice_ease",),
}
# Columns that have no place on an item, said so on the mapping page.
NO_PLACE = {
    "labels": "roadmap items have no labels",
    "label": "roadmap items have no labels",
    "tags": "roadmap items have no tags",
    "tag": "roadmap items have no tags",
    "owner": "an item's people are the product's (its owner and editors)",
}
PRODUCTBOARD_NAMES = {"feature name", "feature id", "feature description", "feature status"}


def normalised(header: str) -> str:
    """A header as names are compared: lower case, single spaces, Jira's `Custom field (X)`
    read as `X`."""
    text = " ".join(header.split()).lower()
    custom = re.fullmatch(r"custom field \((.*)\)", text)
    return custom.group(1).strip() if custom else text


def detect(header: list[str]) -> str:
    """The source of a file, from its header row (see the module docstring)."""
    names = {normalised(cell) for cell in header}
    if "roleplan id" in names:
        return ImportSource.ROLEPLAN
    if {"issue key", "summary"} <= names:
        return ImportSource.JIRA
    if names & PRODUCTBOARD_NAMES:
        return ImportSource.PRODUCTBOARD
    return ImportSource.CSV


def proposed_mapping(product: Product, table: Table, source: str) -> list[str]:
    """The field each column fills, from its header: "" for a column not imported. Where two
    columns name one field, the one with more values is taken (the first on a tie)."""
    names = {target.name for target in offered(product)}
    if source == ImportSource.ROLEPLAN:
        exact = {normalised(header): (name,) for header, name in EXPORT_COLUMNS}
    else:
        exact = NAMES
    wanted = []
    for header in table.header:
        candidates = exact.get(normalised(header), ())
        wanted.append(next((name for name in candidates if name in names), ""))
    filled = Counter(
        index for _, cells in table.rows for index, cell in enumerate(cells) if cell.strip()
    )
    mapping = [""] * len(wanted)
    for name in set(wanted) - {""}:
        columns = [index for index, want in enumerate(wanted) if want == name]
        mapping[max(columns, key=lambda index: (filled[index], -index))] = name
    return mapping


def no_place(header: str) -> str:
    """Why a column has no place on an item ("" when it may have one)."""
    return NO_PLACE.get(normalised(header), "")


def check_mapping(product: Product, mapping: list[str], header: list[str]) -> list[str]:
    """What is wrong with a mapping, in sentences: an unknown field, a field chosen for two
    columns, no column for the titles."""
    names = {target.name: target for target in offered(product)}
    errors = []
    if len(mapping) != len(header):
        return ["The mapping does not fit the file's columns: choose them again."]
    for index, name in enumerate(mapping):
        if name and name not in names:
            errors.append(f"Column {index + 1} (“{header[index]}”): no field “{name}” here.")
    columns: dict[str, list[int]] = {}
    for index, name in enumerate(mapping):
        if name in names:
            columns.setdefault(name, []).append(index)
    for name, indexes in columns.items():
        if len(indexes) > 1:
            listed = " and ".join(f"“{header[index]}”" for index in indexes)
            errors.append(f"{names[name].label} is chosen for {listed}: choose one column.")
    if "title" not in columns:
        errors.append("Choose the column that holds the items' titles.")
    return errors


def mapping_warnings(mapping: list[str]) -> list[str]:
    if "external_key" not in mapping and "roleplan_id" not in mapping:
        return [
            "No column is mapped to Key: every row adds a new item, also when this file is "
            "imported again."
        ]
    return []


# Reading a cell -----------------------------------------------------------------------------


class CellError(ValueError):
    """A cell the item cannot hold; the message says why and what would do."""


PLAIN = re.compile(r"-?\d+(\.\d+)?")
DECIMAL_COMMA = re.compile(r"-?\d+,\d{1,2}")
THOUSANDS = re.compile(r"-?\d{1,3}(,\d{3})+(\.\d+)?")


def number(text: str) -> Decimal:
    """A number as spreadsheets write it: "4.0", "1,200", "2,5" (a decimal comma)."""
    if PLAIN.fullmatch(text):
        return Decimal(text)
    compact = text.replace("\u00a0", "").replace(" ", "")
    if DECIMAL_COMMA.fullmatch(compact):
        compact = compact.replace(",", ".")
    elif THOUSANDS.fullmatch(compact):
        compact = compact.replace(",", "")
    try:
        value = Decimal(compact)
    except InvalidOperation:
        raise CellError(f"“{text}” is not a number.") from None
    if not value.is_finite():
        raise CellError(f"“{text}” is not a number.")
    return value


def whole(text: str) -> int:
    value = number(text)
    if value != value.to_integral_value():
        raise CellError(f"“{text}” is not a whole number.")
    return int(value)


@cache
def model_field(name: str) -> Field:
    return RoadmapItem._meta.get_field(name)


def validated(name: str, value: Any) -> Any:
    """`value` checked by the model field's validators (the forms' and constraints' rules)."""
    try:
        model_field(name).run_validators(value)
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None
    return value


def one_to_ten(name: str) -> Callable[[str, Context], int]:
    def read(text: str, context: Context) -> int:
        return validated(name, whole(text))

    return read


STATUS_WORDS = {
    Status.IDEA: [
        *["idea", "new idea", "parking lot", "backlog", "open", "new", "to do", "todo"],
        *["discovery", "candidate", "under consideration", "parked", "triage", "draft"],
    ],
    Status.PLANNED: [
        *["planned", "ready for delivery", "ready", "committed", "up next", "next up"],
        "selected for development",
    ],
    Status.IN_PROGRESS: [
        *["in progress", "delivery", "in delivery", "in development", "in review", "doing"],
        *["building", "started"],
    ],
    Status.SHIPPED: [
        *["shipped", "done", "released", "launched", "delivered", "complete", "completed"],
        *["closed", "resolved"],
    ],
    Status.DROPPED: [
        *["dropped", "won't do", "wont do", "won’t do", "won't fix", "archived", "rejected"],
        *["cancelled", "canceled", "declined", "not doing"],
    ],
}
STATUSES = {word: status for status, words in STATUS_WORDS.items() for word in words}
HORIZONS = {**{h.value: h.value for h in Horizon}, **{h.label.lower(): h.value for h in Horizon}}
IMPACT_WORDS = {"massive": "3", "high": "2", "medium": "1", "low": "0.5", "minimal": "0.25"}
CONFIDENCE_WORDS = {"high": 100, "medium": 80, "low": 50}


def read_title(text: str, context: Context) -> str:
    if len(text) > 200:
        raise CellError(f"The title has {len(text):,} characters; at most 200.")
    return text


def read_key(text: str, context: Context) -> str:
    if len(text) > 100:
        raise CellError(f"The key has {len(text):,} characters; at most 100.")
    return text


def read_status(text: str, context: Context) -> str:
    status = STATUSES.get(" ".join(text.lower().split()))
    if status is None:
        labels = ", ".join(s.label for s in Status)
        raise CellError(
            f"“{text}” is not a status roleplan knows (it knows {labels}, and the usual words "
            "of Jira Product Discovery and Productboard). Change it in the file, or import "
            "the column as “not imported” to keep each item's status."
        )
    return status


def read_horizon(text: str, context: Context) -> str:
    horizon = HORIZONS.get(" ".join(text.lower().split()))
    if horizon is None:
        raise CellError(
            f"“{text}” is not Now, Next or Later. Change it in the file, or import the column "
            "as “not imported” (new items then go to Later)."
        )
    return horizon


def read_kpi(text: str, context: Context) -> Kpi:
    kpi = context.kpis.get(text.lower())
    if kpi is None:
        names = ", ".join(f"“{k.name}”" for k in context.kpis.values()) or "none yet"
        raise CellError(f"No KPI of this product is named “{text}” (its KPIs: {names}).")
    return kpi


def read_reach(text: str, context: Context) -> int:
    value = validated("reach", whole(text))
    if value > 2_147_483_647:
        raise CellError(f"A reach of {text} is too large.")
    return value


def read_impact(text: str, context: Context) -> Decimal:
    word = text.lower().split("·")[-1].strip()
    value = number(IMPACT_WORDS.get(word, text.split("·")[0].strip()))
    if value not in IMPACT_VALUES:
        raise CellError(
            f"RICE impact {text} is not on its scale: 0.25, 0.5, 1, 2 or 3. Map the column to "
            "ICE impact (1 to 10) if that is its scale."
        )
    return value.quantize(Decimal("0.01"))


def read_confidence(text: str, context: Context) -> int:
    word = text.lower().split("·")[-1].strip()
    if word in CONFIDENCE_WORDS:
        return CONFIDENCE_WORDS[word]
    value = number(text.split("·")[0].replace("%", "").strip())
    if 0 < value <= 1 and value != value.to_integral_value():
        value *= 100  # a share: 0.8 is 80 %
    if value not in Confidence.values:
        raise CellError(
            f"RICE confidence {text} is not on its scale: 50, 80 or 100 %. Map the column to "
            "ICE confidence (1 to 10) if that is its scale."
        )
    return int(value)


def read_effort(text: str, context: Context) -> Decimal:
    value = number(text).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value > Decimal("9999.99"):
        raise CellError(f"An effort of {text} person-months is too large (at most 9,999.99).")
    return validated("effort", value)


def read_id(text: str, context: Context) -> int:
    value = whole(text)
    if value < 1:
        raise CellError(f"“{text}” is not a roleplan id.")
    return value


def read_text(text: str, context: Context) -> str:
    return text


READERS: dict[str, Callable[[str, Context], Any]] = {
    "title": read_title,
    "external_key": read_key,
    "roleplan_id": read_id,
    "status": read_status,
    "horizon": read_horizon,
    **dict.fromkeys(TEXTS, read_text),
    "kpi": read_kpi,
    "reach": read_reach,
    "impact": read_impact,
    "confidence": read_confidence,
    "effort": read_effort,
    "ice_impact": one_to_ten("ice_impact"),
    "ice_confidence": one_to_ten("ice_confidence"),
    "ice_ease": one_to_ten("ice_ease"),
}
assert set(READERS) == set(BY_NAME)


@dataclass
class Context:
    """What reading a cell may need: the product's KPIs by lower-case name."""

    kpis: dict[str, Kpi]


# The plan: what each row will do ------------------------------------------------------------


class Action:
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class Problem:
    """An error of a row: its number as a spreadsheet shows it, the column, and why."""

    row: int
    column: str
    message: str


@dataclass
class Row:
    """What a row of the file will do: create an item from `data`, update `item` with `data`
    (`changes` as a person reads them), leave it unchanged, or nothing (`errors`)."""

    number: int
    action: str = Action.CREATE
    data: dict[str, Any] = field(default_factory=dict)
    item: RoadmapItem | None = None
    changes: list[dict] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.data.get("title") or (self.item.title if self.item else "")

    @property
    def key(self) -> str:
        return self.data.get("external_key") or (self.item.external_key if self.item else "")

    @property
    def status_label(self) -> str:
        status = self.data.get("status") or (self.item.status if self.item else Status.IDEA)
        return Status(status).label

    @property
    def horizon_label(self) -> str:
        horizon = self.data.get("horizon") or (self.item.horizon if self.item else Horizon.LATER)
        return Horizon(horizon).label


@dataclass
class Plan:
    """What each row does (`rows`), or why no row is planned (`mapping_errors`); `items` are
    the product's items as the plan read them."""

    rows: list[Row]
    mapping_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    items: list[RoadmapItem] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [problem for row in self.rows for problem in row.errors]

    @property
    def ok(self) -> bool:
        return not self.mapping_errors and not any(row.errors for row in self.rows)

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(row.action for row in self.rows)
        return {action: counts[action] for action in ("create", "update", "unchanged", "error")}


# What a plan reads of every item, besides the fields the file fills.
ITEM_BASE = [
    *["product_id", "title", "status", "horizon", "rank", "version", "kpi_id"],
    *["external_key", "updated_by_id", "updated_at"],
]


def product_items(
    product: Product, names: list[str], *, for_update: bool = False
) -> QuerySet[RoadmapItem]:
    """The product's items with the fields a plan compares (`names`) and shows."""
    fields = {*ITEM_BASE, *(n for n in names if n in FIELDS)}
    items = RoadmapItem.objects.filter(product=product).only(*fields).order_by("pk")
    if for_update:
        # The import's writes are based on what this read: no edit may slip in between.
        items = items.select_for_update(of=("self",))
    return items


def plan_import(
    product: Product, table: Table, mapping: list[str], *, for_update: bool = False
) -> Plan:
    """What importing `table` with `mapping` into `product` would do, row by row (see the
    module docstring), in two queries: the product's items (locked `for_update`, for the
    import itself) and its KPIs."""
    mapping_errors = check_mapping(product, mapping, table.header)
    if mapping_errors:
        return Plan(rows=[], mapping_errors=mapping_errors)
    kpis = list(Kpi.objects.filter(product=product))
    context = Context(kpis={kpi.name.lower(): kpi for kpi in kpis})
    kpis_by_id = {kpi.pk: kpi for kpi in kpis}
    items = list(product_items(product, mapping, for_update=for_update))
    for item in items:
        item.kpi = kpis_by_id.get(item.kpi_id)  # from the list above: no query per item
    by_key = {item.external_key: item for item in items if item.external_key}
    by_pk = {item.pk: item for item in items}
    columns = [(index, table.header[index], name) for index, name in enumerate(mapping) if name]
    header_of = {name: header for _, header, name in columns}
    keys_seen: dict[str, int] = {}
    items_seen: dict[int, int] = {}
    rows = []
    for number_, cells in table.rows:
        row = Row(number_)
        values = read_cells(row, cells, columns, context)
        row.item = match(row, values, by_key, by_pk, header_of)
        key = values.get("external_key")
        if key:
            if key in keys_seen:
                row.errors.append(
                    Problem(
                        number_,
                        header_of["external_key"],
                        f"Key {key} is also on row {keys_seen[key]:,}.",
                    )
                )
            keys_seen.setdefault(key, number_)
        if row.item is not None:
            if row.item.pk in items_seen:
                row.errors.append(
                    Problem(
                        number_,
                        "",
                        f"This row and row {items_seen[row.item.pk]:,} are "
                        f"the same item (“{row.item.title}”).",
                    )
                )
            items_seen.setdefault(row.item.pk, number_)
        decide(row, values)
        rows.append(row)
    return Plan(rows=rows, warnings=mapping_warnings(mapping), items=items)


def read_cells(
    row: Row, cells: list[str], columns: list[tuple[int, str, str]], context: Context
) -> dict[str, Any]:
    """The row's values of the mapped fields; each cell the item cannot hold is an error of
    the row. An empty cell empties a field that may be empty, and says nothing of the others."""
    values: dict[str, Any] = {}
    for index, header, name in columns:
        text = restore(cells[index]).strip()
        if not text:
            if name == "title":
                row.errors.append(Problem(row.number, header, "The title is empty."))
            elif BY_NAME[name].clears:
                values[name] = "" if name in TEXTS else None
            continue
        try:
            values[name] = READERS[name](text, context)
        except CellError as error:
            row.errors.append(Problem(row.number, header, str(error)))
    return values


def match(
    row: Row,
    values: dict[str, Any],
    by_key: dict[str, RoadmapItem],
    by_pk: dict[int, RoadmapItem],
    header_of: dict[str, str],
) -> RoadmapItem | None:
    """The item the row updates: the one with its key, else the one with its roleplan id."""
    key = values.get("external_key")
    item = by_key.get(key) if key else None
    pk = values.pop("roleplan_id", None)
    if pk is None:
        return item
    found = by_pk.get(pk)
    column = header_of["roleplan_id"]
    if found is None:
        row.errors.append(
            Problem(
                row.number,
                column,
                f"No item of this roadmap has the roleplan id {pk}. Import the column as "
                "“not imported” to add the file's rows as new items.",
            )
        )
    elif item is not None and item.pk != found.pk:
        row.errors.append(
            Problem(
                row.number,
                column,
                f"Key {key} is the item “{item.title}”, but roleplan id {pk} is “{found.title}”.",
            )
        )
    return found or item


def same(item: RoadmapItem, name: str, value: Any) -> bool:
    if name == "kpi":
        return item.kpi_id == (value.pk if value is not None else None)
    return getattr(item, name) == value


def decide(row: Row, values: dict[str, Any]) -> None:
    """The row's action and data: what it creates, or what it changes of its item."""
    if row.errors:
        row.action = Action.ERROR
        row.data = values
        return
    if row.item is None:
        row.action, row.data = Action.CREATE, values
        return
    row.data = {name: value for name, value in values.items() if not same(row.item, name, value)}
    row.action = Action.UPDATE if row.data else Action.UNCHANGED
    # As the item's history shows a change (services.change_rows).
    row.changes = [
        {"field": d.field, "label": d.label, "old": d.saved, "new": d.yours}
        for d in differences(row.item, row.data)
    ]


# The export ---------------------------------------------------------------------------------


def export_columns(product: Product) -> list[tuple[str, str]]:
    """roleplan's own file's columns for this product: the score inputs of its method(s)."""
    names = {target.name for target in offered(product)}
    return [(header, name) for header, name in EXPORT_COLUMNS if name in names]


def export_value(item: RoadmapItem, name: str) -> object:
    """A field as the file holds it: labels for choices, numbers without trailing zeros, the
    KPI's name; what the import reads back as the same value."""
    if name == "roleplan_id":
        return item.pk
    if name == "status":
        return item.get_status_display()
    if name == "horizon":
        return item.get_horizon_display()
    if name == "kpi":
        return item.kpi.name if item.kpi else ""
    value = getattr(item, name)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else value


def export_rows(product: Product) -> tuple[list[str], Iterator[list[object]]]:
    """The header and rows of the product's roadmap as roleplan's CSV, in the board's order
    (Now, Next, Later, each by rank), read in chunks."""
    columns = export_columns(product)
    items = (
        RoadmapItem.objects.filter(product=product)
        .select_related("kpi")
        .order_by(in_order(Horizon.values, "horizon"), "rank", "id")
    )

    def rows() -> Iterator[list[object]]:
        for item in items.iterator(chunk_size=2000):
            yield [export_value(item, name) for _, name in columns]

    return [header for header, _ in columns], rows()


def summary(counts: dict[str, int]) -> str:
    """ "12 created, 3 updated, 1 unchanged"."""
    return ", ".join(
        f"{num(counts.get(action, 0))} {word}"
        for action, word in (
            ("create", "created"),
            ("update", "updated"),
            ("unchanged", "unchanged"),
        )
    )
