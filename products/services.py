"""Writes on the product side: several rows, one transaction each.

Concurrency rules:
- Every editable row is Versioned (roleplan/versioning.py). A save names the version it was
  based on; `lock_for_edit` reads the row with select_for_update and refuses the save with
  StaleEdit when someone else saved first, so no update is lost. A roadmap item's StaleEdit also
  lists the saves made since that version (its history rows).
- Ranks are dense (0..n-1) within a product's horizon. Every rank change locks the product row
  first, so concurrent moves on one product run one after the other and never leave duplicate
  or missing positions; moves on different products do not wait for each other.
- Creating, editing and moving a roadmap item announce ROADMAP_ITEM_CREATED / UPDATED / MOVED
  (roleplan/events.py) for the apps above products; with no subscriber that costs nothing.
- `roadmap_items_revise` changes items on behalf of something else (a hypothesis concluded here;
  a change request decided, for the projects app): no version to compare, the items are locked,
  and each one's history row names the cause (`note`, `link`).
- A hypothesis's status changes only through `hypothesis_set_status`. Concluding it changes
  the confidence of the items it is linked to (CONFIDENCE_RULE), in the same transaction.
- `roadmap_import` writes a roadmap file's rows (products/roadmap_csv.py plans them) all or
  none: the product is locked, then its items, and the rows are planned again under those
  locks, so a hand edit made since the preview is neither lost nor overwritten unseen (it
  simply shows in the plan). New items are bulk-created and changed ones bulk-updated, each
  with its history row and announcement, as when made by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.urls import reverse
from django.utils import timezone

from products import roadmap_csv
from products.models import (
    CONCLUDED,
    ChangeAction,
    Confidence,
    Horizon,
    Hypothesis,
    HypothesisStatus,
    Kpi,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapImport,
    RoadmapItem,
    RoadmapItemChange,
)
from products.spreadsheets import Table, parse
from roleplan.events import Event, announce
from roleplan.ownership.models import Asset, AssetKind, Handover
from roleplan.ownership.services import asset_insert
from roleplan.uniqueness import Unique, unique_or_error
from roleplan.versioning import StaleEdit, differences, lock_for_edit, save_edit

# The inputs of the RICE and ICE scores, which the database computes.
SCORE_INPUTS = {
    "reach",
    "impact",
    "confidence",
    "effort",
    "ice_impact",
    "ice_confidence",
    "ice_ease",
}

# Fields of a roadmap item that an editor may change through roadmap_item_update.
ITEM_FIELDS = [
    "title",
    "status",
    "horizon",
    "kpi",
    "problem",
    "audience",
    "requirements",
    "success_metric",
    "reach",
    "impact",
    "confidence",
    "effort",
    "ice_impact",
    "ice_confidence",
    "ice_ease",
]


# Products ---------------------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    name: str,
    owner: User,
    by: User,
    kind: str,
    stage: str,
    slug: str = "",
    description: str = "",
    **texts: str,
) -> Product:
    """Register the product's asset with its first handover row, then the product itself. A
    name or a chosen address taken meanwhile (two people registering one product at once) is
    refused next to its field, as when it was taken long ago; with no address chosen, it is
    made from the name like every asset's (roleplan.uniqueness)."""
    asset = Asset(
        kind=AssetKind.PRODUCT,
        name=name,
        slug=slug,
        owner=owner,
        description=description,
        confirmed_at=timezone.now() if owner == by else None,
    )
    if slug:
        with unique_or_error(
            asset,
            PRODUCT_NAME,
            Unique("slug", "slug", f"The address “{slug}” is taken; choose another."),
        ):
            asset.save(force_insert=True)
    else:
        asset_insert(asset, PRODUCT_NAME)
    Handover.objects.create(
        asset=asset, from_owner=None, to_owner=owner, by=by, reason="Registered"
    )
    return Product.objects.create(asset=asset, kind=kind, stage=stage, updated_by=by, **texts)


@transaction.atomic
def product_update(*, product_id: int, version: int, by: User, data: dict[str, Any]) -> Product:
    product = lock_for_edit(Product, product_id, version, data)
    save_edit(product, data, by=by)
    return product


@transaction.atomic
def product_add_editor(*, product: Product, user: User) -> None:
    product.editors.add(user)


@transaction.atomic
def product_remove_editor(*, product: Product, user: User) -> None:
    product.editors.remove(user)


# KPIs and measurements --------------------------------------------------------------------------


# One product or KPI per name: said the same by the forms (before saving) and by the services
# (when a concurrent save took the name first: roleplan.uniqueness).
PRODUCT_NAME = Unique(
    "asset_name_unique_per_kind", "name", "A product with this name is already registered."
)
KPI_NAME = Unique(
    "kpi_name_unique_per_product", "name", "This product already has a KPI with this name."
)


@transaction.atomic
def kpi_create(*, product: Product, by: User, **data: Any) -> Kpi:
    kpi = Kpi(product=product, updated_by=by, **data)
    with unique_or_error(kpi, KPI_NAME):
        kpi.save(force_insert=True)
    return kpi


@transaction.atomic
def kpi_update(*, kpi_id: int, version: int, by: User, data: dict[str, Any]) -> Kpi:
    kpi = lock_for_edit(Kpi, kpi_id, version, data)
    with unique_or_error(kpi, KPI_NAME):
        save_edit(kpi, data, by=by)
    kpi.refresh_from_db(fields=["target"])  # computed by the database from what was stated
    return kpi


@transaction.atomic
def kpi_delete(*, kpi: Kpi) -> None:
    kpi.delete()


@transaction.atomic
def measurement_record(
    *, kpi: Kpi, by: User, date: date, value: Decimal, note: str = ""
) -> KpiMeasurement:
    """One value per KPI and day: recording a day again replaces that day's value."""
    measurement, _ = KpiMeasurement.objects.update_or_create(
        kpi=kpi, date=date, defaults={"value": value, "note": note, "recorded_by": by}
    )
    return measurement


@transaction.atomic
def measurement_delete(*, measurement: KpiMeasurement) -> None:
    measurement.delete()


# Product risks ----------------------------------------------------------------------------------


@transaction.atomic
def risk_create(*, product: Product, by: User, **data: Any) -> ProductRisk:
    return ProductRisk.objects.create(product=product, updated_by=by, **data)


@transaction.atomic
def risk_update(*, risk_id: int, version: int, by: User, data: dict[str, Any]) -> ProductRisk:
    risk = lock_for_edit(ProductRisk, risk_id, version, data)
    save_edit(risk, data, by=by)
    return risk


@transaction.atomic
def risk_delete(*, risk: ProductRisk) -> None:
    risk.delete()


# Roadmap items ----------------------------------------------------------------------------------


def lock_product(product_id: int) -> None:
    """Serialise rank changes of one product (see the module docstring)."""
    Product.objects.select_for_update().filter(pk=product_id).values_list("pk").get()


def write_ranks(product_id: int, horizon: str, ordered_ids: list[int]) -> None:
    """Give `ordered_ids` the ranks 0..n-1 in `horizon`, in two statements.

    The unique (product, horizon, rank) constraint is checked row by row, so first every row
    moves above any rank in use, then each takes its final place: no step ever collides."""
    if not ordered_ids:
        return
    rows = RoadmapItem.objects.filter(pk__in=ordered_ids)
    offset = (
        RoadmapItem.objects.filter(product_id=product_id).aggregate(top=models.Max("rank"))["top"]
        or 0
    ) + len(ordered_ids)
    rows.update(rank=F("rank") + offset + 1)
    rows.update(
        horizon=horizon,
        rank=Case(
            *[When(pk=pk, then=Value(position)) for position, pk in enumerate(ordered_ids)],
            output_field=models.PositiveIntegerField(),
        ),
    )


def horizon_ids(product_id: int, horizon: str, *, excluding: int | None = None) -> list[int]:
    ids = RoadmapItem.objects.in_horizon(product_id, horizon).values_list("pk", flat=True)
    return [pk for pk in ids if pk != excluding]


def record(
    item: RoadmapItem,
    by: User | None,
    action: str,
    changes: list[dict],
    at: datetime | None = None,
    *,
    note: str = "",
    link: str = "",
) -> None:
    RoadmapItemChange.objects.create(
        item=item,
        by=by,
        action=action,
        version=item.version,
        changes=changes,
        at=at or timezone.now(),
        note=note[:300],
        link=link[:300],
    )


def change_rows(item: RoadmapItem, data: dict[str, Any]) -> list[dict]:
    """The history's rows for a save of `data` over `item` as it is: each field's label, and
    its old and new value as a person reads them."""
    return [
        {"field": d.field, "label": d.label, "old": d.saved, "new": d.yours}
        for d in differences(item, data)
    ]


@transaction.atomic
def roadmap_item_create(
    *, product: Product, by: User, title: str, horizon: str = Horizon.LATER, **data: Any
) -> RoadmapItem:
    """A new item goes to the end of its horizon."""
    lock_product(product.pk)
    rank = RoadmapItem.objects.filter(product=product, horizon=horizon).count()
    item = RoadmapItem.objects.create(
        product=product, title=title, horizon=horizon, rank=rank, updated_by=by, **data
    )
    record(item, by, ChangeAction.CREATED, [])
    announce(Event.ROADMAP_ITEM_CREATED, item_id=item.pk)
    return item


@transaction.atomic
def roadmap_item_update(
    *, item_id: int, version: int, by: User, data: dict[str, Any]
) -> RoadmapItem:
    """Save edited fields if nobody saved since `version`, with a history row of what changed;
    an item whose horizon changes goes to the end of its new horizon. StaleEdit, with the saves
    made since `version`, when someone saved first."""
    unknown = set(data) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if "horizon" in data:
        # Ranks may change: take the product's lock first, as every move does.
        lock_product(RoadmapItem.objects.values_list("product_id", flat=True).get(pk=item_id))
    try:
        item = lock_for_edit(RoadmapItem, item_id, version, data)
    except StaleEdit as stale:
        since = stale.current.changes.filter(version__gt=version).select_related("by")
        raise StaleEdit(stale.current, data, changes=since.order_by("id")) from None
    return apply_edit(item, data, by=by)


def apply_edit(
    item: RoadmapItem, data: dict[str, Any], *, by: User | None, note: str = "", link: str = ""
) -> RoadmapItem:
    """Save `data` over a locked item (the product locked too when the horizon may change),
    with its history row; an item whose horizon changes goes to the end of its new horizon."""
    data = {name: value for name, value in data.items() if getattr(item, name) != value}
    if not data:
        return item
    rows = change_rows(item, data)
    old_horizon, product_id = item.horizon, item.product_id
    moved = data.get("horizon", old_horizon) != old_horizon
    if moved:
        # Ranks are dense per horizon, so the product's item count is a free rank anywhere;
        # the item takes its real place at the end of the new horizon just below.
        data["rank"] = RoadmapItem.objects.filter(product_id=product_id).count()
    save_edit(item, data, by=by)
    if moved:
        write_ranks(product_id, old_horizon, horizon_ids(product_id, old_horizon))
        target = [*horizon_ids(product_id, item.horizon, excluding=item.pk), item.pk]
        write_ranks(product_id, item.horizon, target)
        item.rank = len(target) - 1
        announce(Event.ROADMAP_ITEM_MOVED, item_id=item.pk)
    if SCORE_INPUTS.intersection(data):
        # The database computes the scores (generated columns): read what it stored.
        item.refresh_from_db(fields=["rice_score", "ice_score"])
    record(item, by, ChangeAction.EDITED, rows, at=item.updated_at, note=note, link=link)
    announce(Event.ROADMAP_ITEM_UPDATED, item_id=item.pk)
    return item


@transaction.atomic
def roadmap_items_revise(
    *, changes: dict[int, dict[str, Any]], by: User | None, note: str, link: str = ""
) -> list[RoadmapItem]:
    """Change several items on behalf of something else (see the module docstring):
    `changes` maps item ids to {field: value} (fields of ITEM_FIELDS). Each item's history row
    says `note` ("Hypothesis “…” validated", "Change request “…” decided") and links to `link`.
    Returns the items that changed."""
    fields = {name for data in changes.values() for name in data}
    unknown = fields - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    ids = sorted(changes)
    if "horizon" in fields:
        product_ids = RoadmapItem.objects.filter(pk__in=ids).values_list("product_id", flat=True)
        for product_id in sorted(set(product_ids)):
            lock_product(product_id)
    revised = []
    # In id order, so two revisions of overlapping items lock them in the same order.
    for item in RoadmapItem.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        version = item.version
        item = apply_edit(item, changes[item.pk], by=by, note=note, link=link)
        if item.version != version:
            revised.append(item)
    return revised


@transaction.atomic
def roadmap_item_move(
    *,
    item_id: int,
    by: User,
    horizon: str,
    position: int,
    before_id: int | None = None,
    after_id: int | None = None,
    version: int | None = None,
) -> RoadmapItem:
    """Put the item in `horizon`, just above `before_id` or just below `after_id` when that
    item is there (a filtered board shows only some items, so neighbours say more than an
    index), else at `position` (0 = top; past the end means the end). The gap it leaves is
    closed and the order of the other items is kept. With `version` (the API's If-Match), the
    move is refused (StaleEdit) when the item changed since."""
    product_id = RoadmapItem.objects.values_list("product_id", flat=True).get(pk=item_id)
    lock_product(product_id)
    if version is None:
        item = RoadmapItem.objects.select_for_update().get(pk=item_id)
    else:
        item = lock_for_edit(RoadmapItem, item_id, version)
    old_horizon, old_rank = item.horizon, item.rank
    target = horizon_ids(product_id, horizon, excluding=item.pk)
    if before_id in target:
        position = target.index(before_id)
    elif after_id in target:
        position = target.index(after_id) + 1
    position = max(0, min(position, len(target)))
    target.insert(position, item.pk)
    if old_horizon == horizon and target.index(item.pk) == old_rank:
        return item
    write_ranks(product_id, horizon, target)
    if old_horizon != horizon:
        write_ranks(product_id, old_horizon, horizon_ids(product_id, old_horizon))
    item.refresh_from_db()
    save_edit(item, {}, by=by)
    rows = [
        {
            "field": "rank",
            "label": "Position",
            "old": f"{Horizon(old_horizon).label} #{old_rank + 1}",
            "new": f"{Horizon(horizon).label} #{position + 1}",
        }
    ]
    record(item, by, ChangeAction.MOVED, rows)
    announce(Event.ROADMAP_ITEM_MOVED, item_id=item.pk)
    return item


@transaction.atomic
def roadmap_item_delete(*, item: RoadmapItem, version: int | None = None) -> None:
    """Delete the item and close the gap; with `version`, refused (StaleEdit) when the item
    changed since."""
    lock_product(item.product_id)
    if version is not None:
        lock_for_edit(RoadmapItem, item.pk, version)
    item.delete()
    write_ranks(item.product_id, item.horizon, horizon_ids(item.product_id, item.horizon))


def changes_for(items: Iterable[RoadmapItem]) -> dict[int, list[RoadmapItemChange]]:
    """The history of several items in one query, newest first."""
    grouped: dict[int, list[RoadmapItemChange]] = {}
    for change in RoadmapItemChange.objects.filter(item__in=list(items)).select_related("by"):
        grouped.setdefault(change.item_id, []).append(change)
    return grouped


# Roadmap import ---------------------------------------------------------------------------------

DRAFT_LIFETIME = timedelta(days=1)  # an upload not imported by then is deleted


class ImportRefused(Exception):
    """The file's mapping or rows have errors: nothing was written. `plan` says which."""

    def __init__(self, plan: roadmap_csv.Plan) -> None:
        self.plan = plan
        super().__init__(f"{len(plan.problems) + len(plan.mapping_errors)} errors")


class AlreadyImported(Exception):
    """The upload was imported already (a second click, another tab)."""


@transaction.atomic
def roadmap_upload(*, product: Product, by: User, file_name: str, table: Table) -> RoadmapImport:
    """Keep a file read by products/spreadsheets.py until it is imported, with the mapping
    its header suggests (products/roadmap_csv.py). Drafts older than DRAFT_LIFETIME go."""
    RoadmapImport.objects.filter(
        imported_at=None, created_at__lt=timezone.now() - DRAFT_LIFETIME
    ).delete()
    source = roadmap_csv.detect(table.header)
    return RoadmapImport.objects.create(
        product=product,
        file_name=file_name[:200],
        source=source,
        encoding=table.encoding,
        delimiter=table.delimiter,
        content=table.text,
        mapping=roadmap_csv.proposed_mapping(product, table, source),
        created_by=by,
        updated_by=by,
    )


@transaction.atomic
def roadmap_upload_map(
    *, upload_id: int, version: int, by: User, mapping: list[str]
) -> RoadmapImport:
    """Save the fields the upload's columns fill (checked when it is previewed and imported:
    roadmap_csv.check_mapping), if nobody saved another mapping since `version` (StaleEdit);
    AlreadyImported once it was imported."""
    upload = lock_for_edit(RoadmapImport, upload_id, version)
    if upload.imported_at is not None:
        raise AlreadyImported(upload)
    save_edit(upload, {"mapping": mapping}, by=by)
    return upload


@transaction.atomic
def roadmap_upload_run(*, upload_id: int, version: int, by: User) -> RoadmapImport:
    """Import the upload as mapped at `version` (StaleEdit if the mapping changed since), then
    keep what it did and drop the file's text. ImportRefused, and nothing written, if a row
    has an error; AlreadyImported if it was imported before."""
    upload = lock_for_edit(RoadmapImport, upload_id, version)
    if upload.imported_at is not None:
        raise AlreadyImported(upload)
    upload.product = Product.objects.select_related("asset").get(pk=upload.product_id)
    result = roadmap_import(
        product=upload.product,
        by=by,
        table=parse(upload.content, upload.delimiter),
        mapping=upload.mapping,
        note=f"Imported from “{upload.file_name}” ({upload.get_source_display()})",
        link=upload.get_absolute_url(),
    )
    save_edit(upload, {"imported_at": timezone.now(), "result": result, "content": ""}, by=by)
    return upload


@transaction.atomic
def roadmap_import(
    *, product: Product, by: User, table: Table, mapping: list[str], note: str, link: str = ""
) -> dict[str, Any]:
    """Create and update the product's items as the rows of `table` say (roadmap_csv), all or
    nothing: ImportRefused if any row has an error. The product is locked first, as every rank
    change locks it, and the items with it, so the plan cannot go stale before it is written.

    New items, and items the file moves to another horizon, go to the end of their horizon in
    the file's order, and ranks stay dense (import_ranks); each created or changed item gets a
    history row saying `note` and linking to `link`, and is announced as a hand-made one is.
    Returns {"created": [ids], "updated": [ids], "unchanged": n}."""
    lock_product(product.pk)
    plan = roadmap_csv.plan_import(product, table, mapping, for_update=True)
    if not plan.ok:
        raise ImportRefused(plan)
    now = timezone.now()
    note, link = note[:300], link[:300]
    rows = [row for row in plan.rows if row.action == roadmap_csv.Action.UPDATE]
    moved = [
        row.item for row in rows if row.data.get("horizon", row.item.horizon) != row.item.horizon
    ]
    was_in = {item.pk: item.horizon for item in moved}
    history = []
    for row in rows:
        history.append(
            RoadmapItemChange(
                item=row.item,
                by=by,
                action=ChangeAction.EDITED,
                version=row.item.version + 1,
                changes=row.changes,
                at=now,
                note=note,
                link=link,
            )
        )
        for name, value in row.data.items():
            setattr(row.item, name, value)
    import_updates(rows, by=by, at=now)
    created = [
        RoadmapItem(product=product, updated_by=by, **row.data)
        for row in plan.rows
        if row.action == roadmap_csv.Action.CREATE
    ]
    import_ranks(product.pk, plan, moved, was_in, created)
    RoadmapItem.objects.bulk_create(created)
    history.extend(
        RoadmapItemChange(
            item=item,
            by=by,
            action=ChangeAction.CREATED,
            version=item.version,
            changes=[],
            at=now,
            note=note,
            link=link,
        )
        for item in created
    )
    RoadmapItemChange.objects.bulk_create(history)
    for item in created:
        announce(Event.ROADMAP_ITEM_CREATED, item_id=item.pk)
    for row in rows:
        announce(Event.ROADMAP_ITEM_UPDATED, item_id=row.item.pk)
    for item in moved:
        announce(Event.ROADMAP_ITEM_MOVED, item_id=item.pk)
    return {
        "created": [item.pk for item in created],
        "updated": [row.item.pk for row in rows],
        "unchanged": plan.counts[roadmap_csv.Action.UNCHANGED],
    }


def import_updates(rows: list[roadmap_csv.Row], *, by: User, at: datetime) -> None:
    """Write the fields the rows change (not horizons: import_ranks), each item's version one
    up: one UPDATE per set of identical changes (a status given to many items), the rest in
    batches (bulk_update)."""
    groups: dict[tuple, list[int]] = {}
    for row in rows:
        data = {name: value for name, value in row.data.items() if name != "horizon"}
        key = tuple(sorted((name, getattr(value, "pk", value)) for name, value in data.items()))
        groups.setdefault(key, []).append(row.item.pk)
    singles = []
    for key, ids in groups.items():
        if len(ids) == 1:
            singles.append(ids[0])
            continue
        data = {("kpi_id" if name == "kpi" else name): value for name, value in key}
        RoadmapItem.objects.filter(pk__in=ids).update(
            **data, version=F("version") + 1, updated_by=by, updated_at=at
        )
    if not singles:
        return
    single = set(singles)
    items = [row.item for row in rows if row.item.pk in single]
    fields = {name for row in rows if row.item.pk in single for name in row.data} - {"horizon"}
    for item in items:
        item.version += 1
        item.updated_by, item.updated_at = by, at
    RoadmapItem.objects.bulk_update(
        items, sorted(fields | {"version", "updated_by", "updated_at"}), batch_size=500
    )


def import_ranks(
    product_id: int,
    plan: roadmap_csv.Plan,
    moved: list[RoadmapItem],
    was_in: dict[int, str],
    created: list[RoadmapItem],
) -> None:
    """Give the items the file moves, and the new ones (`created`, not saved yet), the places
    after the items of their horizon, in the file's order, writing as few ranks as it can: a
    horizon that only gains items keeps its ranks. The moved items first wait at ranks no item
    holds; the horizons they left close up (write_ranks); then they take their places."""
    if moved:
        free = len(plan.items) + len(plan.rows)  # above every rank in use
        RoadmapItem.objects.filter(pk__in=[item.pk for item in moved]).update(
            horizon=Case(*[When(pk=item.pk, then=Value(item.horizon)) for item in moved]),
            rank=Case(
                *[When(pk=item.pk, then=Value(free + n)) for n, item in enumerate(moved)],
                output_field=models.PositiveIntegerField(),
            ),
        )
    moved_ids = set(was_in)
    staying: dict[str, list[RoadmapItem]] = {h: [] for h in Horizon.values}
    for item in plan.items:
        if item.pk not in moved_ids:
            staying[item.horizon].append(item)
    for horizon in sorted(set(was_in.values())):
        ordered = sorted(staying[horizon], key=lambda item: (item.rank, item.pk))
        write_ranks(product_id, horizon, [item.pk for item in ordered])
    # The arrivals, in the file's order: moved items and new ones.
    arriving = {row.item.pk: row.item for row in plan.rows if row.item is not None}
    new = iter(created)
    places: dict[int, int] = {}
    next_rank = {h: len(items) for h, items in staying.items()}
    for row in plan.rows:
        if row.action == roadmap_csv.Action.CREATE:
            item = next(new)
        elif row.item is not None and row.item.pk in moved_ids:
            item = arriving[row.item.pk]
        else:
            continue
        item.rank = next_rank[item.horizon]
        next_rank[item.horizon] += 1
        if item.pk is not None:
            places[item.pk] = item.rank
    if places:
        RoadmapItem.objects.filter(pk__in=list(places)).update(
            rank=Case(
                *[When(pk=pk, then=Value(rank)) for pk, rank in places.items()],
                output_field=models.PositiveIntegerField(),
            )
        )


# Hypotheses -------------------------------------------------------------------------------------

# What concluding a hypothesis does to the confidence of the items it is linked to. RICE's
# confidence has three steps (50, 80, 100 %): validated moves it one step up, invalidated down
# to the lowest, 50 %: the item rested on a belief that did not hold. ICE's confidence (1-10,
# when given) moves the same way: +2 up to 10, or down to 1.
RICE_STEPS = sorted(Confidence.values)


def concluded_confidence(item: RoadmapItem, status: str) -> dict[str, int]:
    """The confidence fields of `item` after a hypothesis about it took `status`."""
    if status == HypothesisStatus.VALIDATED:
        higher = [step for step in RICE_STEPS if step > item.confidence]
        data = {"confidence": higher[0] if higher else RICE_STEPS[-1]}
        if item.ice_confidence is not None:
            data["ice_confidence"] = min(10, item.ice_confidence + 2)
        return data
    data = {"confidence": RICE_STEPS[0]}
    if item.ice_confidence is not None:
        data["ice_confidence"] = 1
    return data


@transaction.atomic
def hypothesis_create(
    *, product: Product, by: User, items: Iterable[RoadmapItem] = (), **data: Any
) -> Hypothesis:
    """A new hypothesis, proposed (its status then changes through hypothesis_set_status)."""
    data.pop("status", None)
    hypothesis = Hypothesis.objects.create(product=product, updated_by=by, **data)
    hypothesis.items.set(list(items))
    return hypothesis


HYPOTHESIS_FIELDS = {"hypothesis", "action", "kpi", "metric", "insight", "items"}


@transaction.atomic
def hypothesis_update(
    *, hypothesis_id: int, version: int, by: User, data: dict[str, Any]
) -> Hypothesis:
    """Save edited texts, KPI and items if nobody saved since `version` (StaleEdit if someone
    did). Not the status: hypothesis_set_status."""
    unknown = set(data) - HYPOTHESIS_FIELDS
    if unknown:
        raise ValueError(f"not editable here: {', '.join(sorted(unknown))}")
    hypothesis = lock_for_edit(Hypothesis, hypothesis_id, version, data)
    fields = {name: value for name, value in data.items() if name != "items"}
    save_edit(hypothesis, fields, by=by)
    if "items" in data:
        hypothesis.items.set(list(data["items"]))
    return hypothesis


@transaction.atomic
def hypothesis_set_status(
    *, hypothesis_id: int, version: int, by: User, status: str, insight: str | None = None
) -> tuple[Hypothesis, list[RoadmapItem]]:
    """Give the hypothesis `status` (with `insight`, required to conclude it) if nobody saved
    since `version`. Concluding it (validated or invalidated, from another status) changes the
    confidence of its items by CONFIDENCE_RULE (concluded_confidence), each with a history row
    naming the hypothesis. Returns the hypothesis and the items whose confidence changed."""
    data: dict[str, Any] = {"status": status}
    if insight is not None:
        data["insight"] = insight.strip()
    # The bare row is locked (a join would lock the product and its asset too).
    hypothesis = lock_for_edit(Hypothesis, hypothesis_id, version, data)
    previous = hypothesis.status
    save_edit(hypothesis, data, by=by)
    if status not in CONCLUDED or status == previous:
        return hypothesis, []
    # The items are locked before their confidence is read, in id order (as revise locks them).
    items = (
        RoadmapItem.objects.select_for_update(of=("self",))
        .filter(hypotheses=hypothesis)
        .order_by("pk")
    )
    changes = {item.pk: concluded_confidence(item, status) for item in items}
    slug = Product.objects.values_list("asset__slug", flat=True).get(pk=hypothesis.product_id)
    label = HypothesisStatus(status).label.lower()
    revised = roadmap_items_revise(
        changes=changes,
        by=by,
        note=f"Hypothesis “{hypothesis.short}” {label}",
        link=reverse("products:hypothesis", args=[slug, hypothesis.pk]),
    )
    return hypothesis, revised


@transaction.atomic
def hypothesis_delete(*, hypothesis: Hypothesis) -> None:
    hypothesis.delete()
