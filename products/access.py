"""Who may see and change a product and what belongs to it. Every products view goes through
these helpers.

Products are not secret inside the company: every signed-in user may view them (the roadmap is
how the rest of the company learns what is coming). So an unknown slug or id is a 404, and a
signed-in user who may only view gets 403 on every change. The product's owner (its product
manager), staff, and the editors the owner named may change it; only the owner and staff may
change who the editors are. Registering a new product needs the planner permission
(PLANNER_PERMISSION, declared on the ownership registry's Asset, shared with projects: use
`can_plan` / `check_can_plan`), which staff have too.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404

from products.models import (
    Hypothesis,
    Kpi,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapImport,
    RoadmapItem,
)

# The planner permission: who may register products (and start projects).
PLANNER_PERMISSION = "ownership.plan"
PLANNER_REFUSAL = (
    "Registering a product needs the planner permission, which your account does not have. "
    "Staff grant it in the admin (Users, or a group: “Ownership registry | asset | Can create "
    "products and projects”); the product and project managers usually have it."
)


def can_plan(user: User) -> bool:
    """Whether `user` may register products (and start projects): the planner permission, or
    staff (who may grant it to themselves anyway)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_staff or user.has_perm(PLANNER_PERMISSION)


def check_can_plan(user: User) -> None:
    if not can_plan(user):
        raise PermissionDenied(PLANNER_REFUSAL)


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


def get_item_for_edit(user: User, slug: str, item_id: int) -> tuple[Product, RoadmapItem]:
    """The item with its KPI, and its product with its asset and `can_edit`, in one query:
    whether the user is one of the product's editors comes along as an EXISTS."""
    is_editor = Exists(
        Product.editors.through.objects.filter(product_id=OuterRef("product_id"), user_id=user.pk)
    )
    item = get_object_or_404(
        RoadmapItem.objects.select_related("product__asset__owner", "kpi").annotate(
            is_editor=is_editor
        ),
        pk=item_id,
        product__asset__slug=slug,
    )
    product = item.product
    product.can_edit = may_edit(user, product, is_editor=item.is_editor)
    if not product.can_edit:
        raise PermissionDenied("Only the product's owner, its editors and staff may change it.")
    return product, item


def get_hypothesis_for_view(
    user: User, slug: str, hypothesis_id: int
) -> tuple[Product, Hypothesis]:
    product = get_product_for_view(user, slug)
    hypothesis = get_object_or_404(
        Hypothesis.objects.select_related("kpi", "updated_by"), pk=hypothesis_id, product=product
    )
    return product, hypothesis


def get_hypothesis_for_edit(
    user: User, slug: str, hypothesis_id: int
) -> tuple[Product, Hypothesis]:
    product = get_product_for_edit(user, slug)
    hypothesis = get_object_or_404(
        Hypothesis.objects.select_related("kpi"), pk=hypothesis_id, product=product
    )
    return product, hypothesis


def get_import_for_edit(user: User, slug: str, import_id: int) -> tuple[Product, RoadmapImport]:
    """A roadmap file being imported, or imported: for those who may change the roadmap."""
    product = get_product_for_edit(user, slug)
    upload = get_object_or_404(
        RoadmapImport.objects.select_related("updated_by"), pk=import_id, product=product
    )
    upload.product = product  # its URL names the product's slug: no query for it
    return product, upload
