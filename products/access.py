"""Who may see and change a product and what belongs to it. Every products view goes through
these helpers.

Products are not secret inside the company: every signed-in user may view them (the roadmap is
how the rest of the company learns what is coming). So an unknown slug or id is a 404, and a
signed-in user who may only view gets 403 on every change. The product's owner (its product
manager), staff, and the editors the owner named may change it; only the owner and staff may
change who the editors are.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404

from products.models import Kpi, KpiMeasurement, Product, ProductRisk, RoadmapItem
from roleplan import db
from roleplan.ownership.models import Asset


def can_manage_editors(user: User, product: Product) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff:
        return True
    return user.pk == product.asset.owner_id


def get_product_for_view(user: User, slug: str) -> Product:
    """The product with `can_edit` annotated for this user, and its asset and owner loaded."""
    return get_object_or_404(Product.objects.for_page(user), asset__slug=slug)


def get_product_for_edit(user: User, slug: str) -> Product:
    product = get_product_for_view(user, slug)
    if not product.can_edit:
        raise PermissionDenied("Only the product's owner, its editors and staff may change it.")
    return product


def get_product_for_editors(user: User, slug: str) -> Product:
    product = get_product_for_view(user, slug)
    if not can_manage_editors(user, product):
        raise PermissionDenied("Only the product's owner and staff may choose its editors.")
    return product


def get_kpi_for_edit(user: User, slug: str, kpi_id: int) -> tuple[Product, Kpi]:
    product = get_product_for_edit(user, slug)
    return product, get_object_or_404(Kpi, pk=kpi_id, product=product)


def get_measurement_for_edit(
    user: User, slug: str, measurement_id: int
) -> tuple[Product, KpiMeasurement]:
    product = get_product_for_edit(user, slug)
    measurement = get_object_or_404(
        KpiMeasurement.objects.select_related("kpi"), pk=measurement_id, kpi__product=product
    )
    return product, measurement


def get_risk_for_edit(user: User, slug: str, risk_id: int) -> tuple[Product, ProductRisk]:
    product = get_product_for_edit(user, slug)
    return product, get_object_or_404(ProductRisk, pk=risk_id, product=product)


def get_item_for_view(user: User, slug: str, item_id: int) -> tuple[Product, RoadmapItem]:
    product = get_product_for_view(user, slug)
    item = get_object_or_404(RoadmapItem.objects.select_related("kpi"), pk=item_id, product=product)
    return product, item


def may_edit(user: User, product: Product, *, is_editor: bool | None = None) -> bool:
    """ProductQuerySet.with_can_edit's rule for a product already loaded with its asset: no
    query for its owner or staff, nor when the caller read `is_editor`; else one (are they an
    editor?)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff or user.pk == product.asset.owner_id:
        return True
    if is_editor is not None:
        return is_editor
    return product.editors.filter(pk=user.pk).exists()


# What the views that change an item read of it and of its product: no PRD, hypothesis or
# product texts. Fewer columns make the in-place edit's first query cheaper to build, run and
# read (issue 7, point 3); any other field is still there, at the cost of a query.
ITEM_COLUMNS = [
    *["product", "title", "status", "horizon", "rank", "kpi", "version", "updated_by"],
    *["reach", "impact", "confidence", "effort", "rice_score"],
    *["ice_impact", "ice_confidence", "ice_ease", "ice_score"],
]
ITEM_EDIT_COLUMNS = [
    *ITEM_COLUMNS,
    *["product__asset__slug", "product__asset__name", "product__asset__owner", "kpi__name"],
]


def get_item_for_edit(user: User, slug: str, item_id: int) -> tuple[Product, RoadmapItem]:
    """The item with its KPI, and its product with its asset and `can_edit`: the in-place edit
    is the roadmap's most frequent request (issue 7, point 3). On PostgreSQL one prepared
    statement reads it all, the editor check included (`item_for_edit`); elsewhere the ORM
    reads the same columns, and an editor who is not the owner costs a second query."""
    if connection.vendor == "postgresql":
        read = item_for_edit(user, slug, item_id)
        if read is None:
            raise Http404("No roadmap item here.")
        product, item = read
    else:
        item = get_object_or_404(
            RoadmapItem.objects.select_related("product__asset", "kpi").only(*ITEM_EDIT_COLUMNS),
            pk=item_id,
            product__asset__slug=slug,
        )
        product = item.product
        product.can_edit = may_edit(user, product)
    if not product.can_edit:
        raise PermissionDenied("Only the product's owner, its editors and staff may change it.")
    return product, item


# get_item_for_edit's query as one prepared statement (PostgreSQL): the same instances with the
# same columns, and whether the user is an editor, without the ORM's ~1.5 ms of CPU to build and
# compile it. tests/products/test_access.py holds the two to the same answer.
ITEM_FIELDS = db.in_model_order(
    RoadmapItem, {"id", *(RoadmapItem._meta.get_field(name).attname for name in ITEM_COLUMNS)}
)
PRODUCT_FIELDS = ("id", "asset_id")
ASSET_FIELDS = db.in_model_order(Asset, {"id", "name", "slug", "owner_id"})
KPI_FIELDS = ("id", "name")


def _item_sql() -> str:
    columns = [
        *(f'i."{name}"' for name in ITEM_FIELDS),
        *(f'p."{name}"' for name in PRODUCT_FIELDS),
        *(f'a."{name}"' for name in ASSET_FIELDS),
        *(f'k."{name}"' for name in KPI_FIELDS),
    ]
    return (
        f"SELECT {', '.join(columns)},"
        f" EXISTS (SELECT 1 FROM {Product.editors.through._meta.db_table} e"
        " WHERE e.product_id = p.id AND e.user_id = %(user)s)"
        f" FROM {RoadmapItem._meta.db_table} i"
        f" JOIN {Product._meta.db_table} p ON p.id = i.product_id"
        f" JOIN {Asset._meta.db_table} a ON a.id = p.asset_id"
        f" LEFT JOIN {Kpi._meta.db_table} k ON k.id = i.kpi_id"
        " WHERE i.id = %(item)s AND a.slug = %(slug)s"
    )


ITEM_SQL = _item_sql()


def item_for_edit(user: User, slug: str, item_id: int) -> tuple[Product, RoadmapItem] | None:
    """The product (with `can_edit`) and the item, as get_item_for_edit's ORM query gives them;
    None when there is no such item in that product."""
    ((*rows,),) = db.fetch_many([(ITEM_SQL, {"user": user.pk, "slug": slug, "item": item_id})])
    if not rows:
        return None
    alias = connection.alias
    item_values, product_values, asset_values, kpi_values, (is_editor,) = db.split_row(
        rows[0], len(ITEM_FIELDS), len(PRODUCT_FIELDS), len(ASSET_FIELDS), len(KPI_FIELDS), 1
    )
    item = RoadmapItem.from_db(alias, ITEM_FIELDS, item_values)
    product = Product.from_db(alias, PRODUCT_FIELDS, product_values)
    asset = Asset.from_db(alias, ASSET_FIELDS, asset_values)
    kpi = None if kpi_values[0] is None else Kpi.from_db(alias, KPI_FIELDS, kpi_values)
    Product._meta.get_field("asset").set_cached_value(product, asset)
    RoadmapItem._meta.get_field("product").set_cached_value(item, product)
    RoadmapItem._meta.get_field("kpi").set_cached_value(item, kpi)
    product.can_edit = may_edit(user, product, is_editor=is_editor)
    return product, item
