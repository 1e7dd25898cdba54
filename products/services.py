"""Writes on the product side: several rows, one transaction each.

Concurrency rules:
- Every editable row has a `version`. A save names the version it was based on; the row is read
  with select_for_update and the save is refused with StaleEdit when someone else saved first
  (compare-and-set), so no update is lost. An edit of an item the caller has just read makes
  the UPDATE itself the compare-and-set, with `WHERE version = …` (update_as_read).
- Ranks are dense (0..n-1) within a product's horizon. Every rank change locks the product row
  first, so concurrent moves on one product run one after the other and never leave duplicate
  or missing positions; moves on different products do not wait for each other.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, models, transaction
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
from roleplan import db
from roleplan.ownership.models import Asset, AssetKind, Handover

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


@dataclass
class Difference:
    field: str
    label: str
    theirs: str
    yours: str


@dataclass
class StaleEdit(Exception):
    """A save based on an old version. Carries the row as it is now and how it differs from
    what the user submitted, so the page can show the other person's change."""

    current: models.Model
    differences: list[Difference]
    changed_by: User | None
    changes: list[RoadmapItemChange] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{type(self.current).__name__} {self.current.pk} was changed by someone else"


def shown(instance: models.Model, name: str, value: Any = ...) -> str:
    """A field's value as a person reads it (choice labels, names of related rows)."""
    model_field = instance._meta.get_field(name)
    if value is ...:
        value = getattr(instance, name)
    if value is None or value == "":
        return "—"
    if model_field.choices:
        for key, label in model_field.flatchoices:
            if str(key) == str(value) or key == value:
                return str(label)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def differences(instance: models.Model, data: dict[str, Any]) -> list[Difference]:
    result = []
    for name, value in data.items():
        current = getattr(instance, name)
        if current != value:
            label = str(instance._meta.get_field(name).verbose_name)
            result.append(
                Difference(
                    field=name,
                    label=label[:1].upper() + label[1:],
                    theirs=shown(instance, name, current),
                    yours=shown(instance, name, value),
                )
            )
    return result


def lock_versioned(model: type[models.Model], pk: int, version: int, data: dict[str, Any]):
    """Read the row for update and refuse the save when its version is not `version`."""
    instance = model.objects.select_for_update().get(pk=pk)
    if instance.version != version:
        changes = []
        if isinstance(instance, RoadmapItem):
            changes = list(
                instance.changes.filter(version__gt=version).select_related("by").order_by("id")
            )
        raise StaleEdit(
            current=instance,
            differences=differences(instance, data),
            changed_by=instance.updated_by,
            changes=changes,
        )
    return instance


def apply(instance: models.Model, data: dict[str, Any], by: User) -> list[str]:
    for name, value in data.items():
        setattr(instance, name, value)
    instance.version += 1
    instance.updated_by = by
    return [*data.keys(), "version", "updated_by"]


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
    product = lock_versioned(Product, product_id, version, data)
    product.save(update_fields=[*apply(product, data, by), "updated_at"])
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
    kpi = lock_versioned(Kpi, kpi_id, version, data)
    kpi.save(update_fields=apply(kpi, data, by))
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
    risk = lock_versioned(ProductRisk, risk_id, version, data)
    risk.save(update_fields=apply(risk, data, by))
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
    return [
        {"field": d.field, "label": d.label, "old": d.theirs, "new": d.yours}
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
    return item


def roadmap_item_update(
    *,
    item_id: int,
    version: int,
    by: User,
    data: dict[str, Any],
    read: RoadmapItem | None = None,
) -> RoadmapItem:
    """Save edited fields if nobody saved since `version`; an item whose horizon changes goes
    to the end of its new horizon. `read` is the item as the caller just read it, if it did:
    see `update_as_read`. The caller's instance is left as it was."""
    unknown = set(data) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    if (
        read is not None
        and read.pk == item_id
        and read.version == version
        and "horizon" not in data
    ):
        saved = update_as_read(read, by, data)
        if saved is not None:
            return saved
        # Someone saved first: the locking path below says what they changed.
    return update_locked(item_id=item_id, version=version, by=by, data=data)


@transaction.atomic
def update_locked(*, item_id: int, version: int, by: User, data: dict[str, Any]) -> RoadmapItem:
    """roadmap_item_update's general path: the row read FOR UPDATE, then saved."""
    if "horizon" in data:
        # Ranks may change: take the product's lock first, as every move does.
        lock_product(RoadmapItem.objects.values_list("product_id", flat=True).get(pk=item_id))
    item = lock_versioned(RoadmapItem, item_id, version, data)
    product_id = item.product_id
    data = {name: value for name, value in data.items() if getattr(item, name) != value}
    if not data:
        return item
    rows = change_rows(item, data)
    old_horizon = item.horizon
    update_fields = apply(item, data, by)
    horizon_changed = item.horizon != old_horizon
    if horizon_changed:
        # Ranks are dense per horizon, so the product's item count is a free rank anywhere;
        # the item takes its real place at the end of the new horizon just below.
        item.rank = RoadmapItem.objects.filter(product_id=product_id).count()
        update_fields.append("rank")
    item.save(update_fields=[*update_fields, "updated_at"])
    if horizon_changed:
        write_ranks(product_id, old_horizon, horizon_ids(product_id, old_horizon))
        write_ranks(
            product_id,
            item.horizon,
            [*horizon_ids(product_id, item.horizon, excluding=item.pk), item.pk],
        )
    record(item, by, ChangeAction.EDITED, rows)
    return item


def update_as_read(read: RoadmapItem, by: User, data: dict[str, Any]) -> RoadmapItem | None:
    """The in-place edit's save without the SELECT … FOR UPDATE (issue 7, point 3): the caller
    read the row at the version the user started from, so its values are the ones being
    replaced, and `WHERE version = <that version>` makes the UPDATE itself the compare-and-set
    (a concurrent writer holds the row's lock; PostgreSQL then checks the condition again on
    the row it committed, so one of two saves matches no row). None when no row matched:
    someone else saved first.

    On PostgreSQL the UPDATE and the history's INSERT are one statement (`save_as_read`),
    atomic by itself, so no transaction costs its BEGIN and COMMIT; elsewhere they are two, in
    a transaction. The item returned has the rank and scores the database now holds."""
    data = {name: value for name, value in data.items() if getattr(read, name) != value}
    if not data:
        return read
    item = copy.copy(read)
    rows = change_rows(item, data)
    apply(item, data, by)
    item.updated_at = timezone.now()
    if connection.vendor == "postgresql":
        saved = save_as_read(item, read.version, data, rows)
        if saved is None:
            return None
        item.rank, item.rice_score, item.ice_score = saved
        return item
    with transaction.atomic():
        matched = RoadmapItem.objects.filter(pk=item.pk, version=read.version).update(
            **data, version=item.version, updated_by=by, updated_at=item.updated_at
        )
        if not matched:
            return None
        record(item, by, ChangeAction.EDITED, rows, at=item.updated_at)
        item.refresh_from_db(fields=["rank", "rice_score", "ice_score"])
    return item


@lru_cache(maxsize=64)
def save_sql(names: tuple[str, ...]) -> str:
    """The UPDATE of the fields `names` (then version, updated_by, updated_at; then WHERE id and
    version) and the history's INSERT (item, by, at, action, version, changes) as one statement
    with positional parameters, answering the item's rank and scores, or no row."""
    meta, change = RoadmapItem._meta, RoadmapItemChange._meta
    sets = ", ".join(f'"{meta.get_field(name).column}" = %s' for name in names)
    return (
        f'WITH updated AS (UPDATE "{meta.db_table}"'
        f' SET {sets}, "version" = %s, "updated_by_id" = %s, "updated_at" = %s'
        ' WHERE "id" = %s AND "version" = %s'
        ' RETURNING "id", "rank", "rice_score", "ice_score"),'
        f' logged AS (INSERT INTO "{change.db_table}"'
        ' ("item_id", "by_id", "at", "action", "version", "changes")'
        " SELECT updated.id, %s, %s, %s, %s, %s FROM updated)"
        ' SELECT "rank", "rice_score", "ice_score" FROM updated'
    )


def save_as_read(
    item: RoadmapItem, read_version: int, data: dict[str, Any], rows: list[dict]
) -> tuple | None:
    """update_as_read's one statement on PostgreSQL, prepared: the values as the ORM's UPDATE
    and INSERT would bind them. The item's (rank, rice_score, ice_score), or None."""
    meta = RoadmapItem._meta

    def prep(model_field: models.Field, value: Any) -> Any:
        if hasattr(value, "prepare_database_save"):  # a row for a foreign key: its pk
            value = value.prepare_database_save(model_field)
        return model_field.get_db_prep_save(value, connection)

    names = tuple(data)
    changes = RoadmapItemChange._meta.get_field("changes")
    params = [
        *(prep(meta.get_field(name), value) for name, value in data.items()),
        item.version,
        item.updated_by_id,
        item.updated_at,
        item.pk,
        read_version,
        item.updated_by_id,
        item.updated_at,
        ChangeAction.EDITED.value,
        item.version,
        prep(changes, rows),
    ]
    ((*answer,),) = db.fetch_many([(save_sql(names), params)])
    return answer[0] if answer else None


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
    item.version += 1
    item.updated_by = by
    item.save(update_fields=["version", "updated_by", "updated_at"])
    rows = [
        {
            "field": "rank",
            "label": "Position",
            "old": f"{Horizon(old_horizon).label} #{old_rank + 1}",
            "new": f"{Horizon(horizon).label} #{position + 1}",
        }
    ]
    record(item, by, ChangeAction.MOVED, rows)
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
