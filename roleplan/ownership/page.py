"""What the asset page shows, read in one round trip of three prepared statements.

The annotated ORM query (Asset.objects.for_page() with the role-conflict subquery) cost ~1.5 ms
of CPU to build and compile on every request and ~0.6 ms of PostgreSQL's to plan, more than it
cost to run; the handover history and the people of the handover form were two more round trips.
Here the three are plain SQL written once per process, sent together in pipeline mode as
prepared statements (planned a few times per connection, then run from the plan cache:
connections persist, CONN_MAX_AGE). Other databases run them one after the other.
tests/ownership/test_page.py holds them to the ORM's answers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import connection

from roleplan import db
from roleplan.ownership.forms import PEOPLE_ORDER, PEOPLE_SELECT, people_labels
from roleplan.ownership.models import Asset, AssetKind, Handover
from roleplan.people import name_of


@dataclass(frozen=True)
class HistoryRow:
    from_name: str  # "" for the registration row
    to_name: str
    by_name: str
    reason: str
    at: datetime


@dataclass
class AssetPage:
    asset: Asset  # with owner, deputy, product (when it is one) and gap_role_conflict
    history: list[HistoryRow]  # newest first
    people: list[tuple[str, str]]  # forms.people_choices(); empty unless staff or the owner


def history_sql(asset_id: str) -> str:
    """The handovers of the asset whose id is the SQL expression `asset_id`, newest first
    (Handover's ordering), with the people's names: plain SQL, as the ORM's compiling of the
    three joins cost more than the query."""
    return f"""
SELECT f.first_name, f.last_name, f.username, t.first_name, t.last_name, t.username,
       b.first_name, b.last_name, b.username, h.reason, h.at
FROM {Handover._meta.db_table} h
JOIN {User._meta.db_table} t ON t.id = h.to_owner_id
LEFT JOIN {User._meta.db_table} f ON f.id = h.from_owner_id
LEFT JOIN {User._meta.db_table} b ON b.id = h.by_id
WHERE h.asset_id = {asset_id}
ORDER BY h.at DESC, h.id DESC
"""


HISTORY_SQL = history_sql("%s")


def handover_history(asset_id: int) -> list[HistoryRow]:
    """The asset's handovers, newest first, as the page shows them (the handover and confirm
    answers; the page itself reads them with load_asset_page)."""
    with connection.cursor() as cursor:
        cursor.execute(HISTORY_SQL, [asset_id])
        return history_rows(cursor.fetchall())


def history_rows(rows: list[tuple]) -> list[HistoryRow]:
    return [
        HistoryRow(name_of(*r[0:3]), name_of(*r[3:6]), name_of(*r[6:9]), r[9], db.aware(r[10]))
        for r in rows
    ]


# What the page reads of a person: {% person %} shows the name and whether the account is active.
PERSON_FIELDS = db.in_model_order(User, {"id", "username", "first_name", "last_name", "is_active"})
ASSET_FIELDS = tuple(f.attname for f in Asset._meta.concrete_fields)
PRODUCT_FIELDS = ("id", "asset_id")  # the "Open the product" link: Product.get_absolute_url


@functools.cache
def statements() -> tuple[str, str, str]:
    """The asset with its people, product and role conflict; its handovers; the active people.

    Built on first use: the product and project tables are reached through Asset's reverse
    relations (ownership imports no other app of ours), which exist once the apps are loaded."""
    product = Asset._meta.get_field("product").related_model
    project = product._meta.get_field("projects").related_model
    project_product = project._meta.get_field("product").column
    project_manager = project._meta.get_field("manager").column
    people = ", ".join(f"{who}.{name}" for who in ("o", "d") for name in PERSON_FIELDS)
    asset = f"""
SELECT {", ".join(f"a.{name}" for name in ASSET_FIELDS)},
       a.kind = '{AssetKind.PRODUCT.value}' AND EXISTS (
         SELECT 1 FROM {product._meta.db_table} rp
         JOIN {project._meta.db_table} rj ON rj.{project_product} = rp.id
         WHERE rp.asset_id = a.id AND rj.{project_manager} = a.owner_id),
       {", ".join(f"pr.{name}" for name in PRODUCT_FIELDS)},
       {people}
FROM {Asset._meta.db_table} a
JOIN {User._meta.db_table} o ON o.id = a.owner_id
LEFT JOIN {User._meta.db_table} d ON d.id = a.deputy_id
LEFT JOIN {product._meta.db_table} pr ON pr.asset_id = a.id
WHERE a.slug = %(slug)s
"""
    # Pipelined with the asset's statement, so it finds the asset by its slug too.
    history = history_sql(f"(SELECT id FROM {Asset._meta.db_table} WHERE slug = %(slug)s)")
    # forms.PEOPLE_SQL, read only when the user may be able to edit: staff or the owner (a
    # condition that Asset.can_edit implies, so whoever may edit gets the people).
    people = (
        f"{PEOPLE_SELECT} WHERE is_active AND (%(staff)s OR EXISTS ("
        f" SELECT 1 FROM {Asset._meta.db_table} WHERE slug = %(slug)s AND owner_id = %(user)s))"
        f" {PEOPLE_ORDER}"
    )
    return asset, history, people


def load_asset_page(user: User, slug: str) -> AssetPage | None:
    """The asset page's data, None for an unknown slug. The people are read only for staff and
    the owner; the view still asks Asset.can_edit."""
    asset_sql, history_sql, people_sql = statements()
    params = {"slug": slug, "staff": bool(user.is_staff), "user": user.pk}
    asset_rows, rows, people = db.fetch_many(
        [(asset_sql, params), (history_sql, params), (people_sql, params)]
    )
    if not asset_rows:
        return None
    return AssetPage(
        asset=asset_from_row(asset_rows[0]),
        history=history_rows(rows),
        people=people_labels(people),
    )


def asset_from_row(row: tuple) -> Asset:
    alias = connection.alias
    n = len(ASSET_FIELDS)
    asset = Asset.from_db(alias, ASSET_FIELDS, row[:n])
    asset.created_at = db.aware(asset.created_at)
    if asset.confirmed_at is not None:
        asset.confirmed_at = db.aware(asset.confirmed_at)
    asset.updated_at = db.aware(asset.updated_at)
    asset.gap_role_conflict = bool(row[n])
    product_id, product_asset_id = row[n + 1 : n + 3]
    width = len(PERSON_FIELDS)
    owner_values = row[n + 3 : n + 3 + width]
    deputy_values = row[n + 3 + width :]
    Asset.owner.field.set_cached_value(asset, User.from_db(alias, PERSON_FIELDS, owner_values))
    deputy = None
    if deputy_values[0] is not None:
        deputy = User.from_db(alias, PERSON_FIELDS, deputy_values)
    Asset.deputy.field.set_cached_value(asset, deputy)
    if product_id is not None:
        product_model = Asset._meta.get_field("product").related_model
        product = product_model.from_db(alias, PRODUCT_FIELDS, (product_id, product_asset_id))
        product_model._meta.get_field("asset").set_cached_value(product, asset)
        Asset._meta.get_field("product").set_cached_value(asset, product)
    return asset
