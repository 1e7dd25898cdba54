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
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from products.models import (
    ChangeAction,
    Horizon,
    Kpi,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapItem,
    RoadmapItemChange,
)
from roleplan.events import Event, announce
from roleplan.ownership.models import Asset, AssetKind, Handover
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
    "hypothesis",
    "action",
    "data",
    "insight",
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
    slug: str,
    owner: User,
    by: User,
    kind: str,
    stage: str,
    description: str = "",
    **texts: str,
) -> Product:
    """Register the product's asset with its first handover row, then the product itself."""
    asset = Asset.objects.create(
        kind=AssetKind.PRODUCT,
        name=name,
        slug=slug,
        owner=owner,
        description=description,
        confirmed_at=timezone.now() if owner == by else None,
    )
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


@transaction.atomic
def kpi_create(*, product: Product, by: User, **data: Any) -> Kpi:
    return Kpi.objects.create(product=product, updated_by=by, **data)


@transaction.atomic
def kpi_update(*, kpi_id: int, version: int, by: User, data: dict[str, Any]) -> Kpi:
    kpi = lock_for_edit(Kpi, kpi_id, version, data)
    save_edit(kpi, data, by=by)
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
    item: RoadmapItem, by: User | None, action: str, changes: list[dict], at: datetime | None = None
) -> None:
    RoadmapItemChange.objects.create(
        item=item,
        by=by,
        action=action,
        version=item.version,
        changes=changes,
        at=at or timezone.now(),
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
    record(item, by, ChangeAction.EDITED, rows, at=item.updated_at)
    announce(Event.ROADMAP_ITEM_UPDATED, item_id=item.pk)
    return item


@transaction.atomic
def roadmap_item_move(
    *,
    item_id: int,
    by: User,
    horizon: str,
    position: int,
    before_id: int | None = None,
    after_id: int | None = None,
) -> RoadmapItem:
    """Put the item in `horizon`, just above `before_id` or just below `after_id` when that
    item is there (a filtered board shows only some items, so neighbours say more than an
    index), else at `position` (0 = top; past the end means the end). The gap it leaves is
    closed and the order of the other items is kept."""
    product_id = RoadmapItem.objects.values_list("product_id", flat=True).get(pk=item_id)
    lock_product(product_id)
    item = RoadmapItem.objects.select_for_update().get(pk=item_id)
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
def roadmap_item_delete(*, item: RoadmapItem) -> None:
    lock_product(item.product_id)
    item.delete()
    write_ranks(item.product_id, item.horizon, horizon_ids(item.product_id, item.horizon))


def changes_for(items: Iterable[RoadmapItem]) -> dict[int, list[RoadmapItemChange]]:
    """The history of several items in one query, newest first."""
    grouped: dict[int, list[RoadmapItemChange]] = {}
    for change in RoadmapItemChange.objects.filter(item__in=list(items)).select_related("by"):
        grouped.setdefault(change.item_id, []).append(change)
    return grouped


@transaction.atomic
def roadmap_items_revise(
    *, changes: dict[int, dict[str, Any]], by: User | None, note: str, link: str = ""
) -> list[RoadmapItem]:
    """Change several items on behalf of something else (a change request decided, for the
    projects app): no version to compare, the items are locked, and each one's history row
    names the cause (`note`, `link`). `changes` maps item ids to {field: value} (status,
    horizon); an item whose horizon changes goes to the end of the new one. Returns the items
    that changed."""
    ids = sorted(changes)
    fields = {name for data in changes.values() for name in data}
    if fields - {"status", "horizon"}:
        raise ValueError(f"not revisable: {', '.join(sorted(fields - {'status', 'horizon'}))}")
    if "horizon" in fields:
        product_ids = RoadmapItem.objects.filter(pk__in=ids).values_list("product_id", flat=True)
        for product_id in sorted(set(product_ids)):
            lock_product(product_id)
    revised = []
    # In id order, so two revisions of overlapping items lock them in the same order.
    for item in RoadmapItem.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
        data = {k: v for k, v in changes[item.pk].items() if getattr(item, k) != v}
        if not data:
            continue
        rows = change_rows(item, data)
        old_horizon, product_id = item.horizon, item.product_id
        moved = "horizon" in data
        if moved:
            data["rank"] = RoadmapItem.objects.filter(product_id=product_id).count()  # free
        save_edit(item, data, by=by)
        if moved:
            write_ranks(product_id, old_horizon, horizon_ids(product_id, old_horizon))
            target = [*horizon_ids(product_id, item.horizon, excluding=item.pk), item.pk]
            write_ranks(product_id, item.horizon, target)
            item.rank = len(target) - 1
            announce(Event.ROADMAP_ITEM_MOVED, item_id=item.pk)
        # The cause as the history's last row: what changed it, and where that is.
        cause = {"field": "cause", "label": "Because", "old": "", "new": note[:300], "link": link}
        RoadmapItemChange.objects.create(
            item=item,
            by=by,
            action=ChangeAction.EDITED,
            version=item.version,
            changes=[*rows, cause],
            at=item.updated_at,
        )
        announce(Event.ROADMAP_ITEM_UPDATED, item_id=item.pk)
        revised.append(item)
    return revised
