"""Factories of the product side. Products are made through the service, as the app makes them,
so every product has its ownership asset and registration row."""

from __future__ import annotations

from decimal import Decimal

import factory

from products import services
from products.models import Direction, Horizon, Kpi, Product, ProductRisk, RiskCategory
from tests.factories import UserFactory


def make_planner(user):
    """Give `user` the planner permission (ownership.plan): they may register products."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="ownership", codename="plan")
    )
    return user


def make_product(*, owner=None, name: str | None = None, editors=(), **fields) -> Product:
    owner = owner or UserFactory()
    name = name or f"Product {Product.objects.count() + 1:04d} {owner.username}"
    product = services.product_create(
        name=name,
        slug=fields.pop("slug", None) or name.lower().replace(" ", "-").replace(".", "-"),
        owner=owner,
        by=owner,
        kind=fields.pop("kind", "customer_app"),
        stage=fields.pop("stage", "development"),
        **fields,
    )
    product.editors.add(*editors)
    return product


class KpiFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Kpi

    name = factory.Sequence(lambda n: f"KPI {n}")
    unit = "%"
    baseline = Decimal("18")
    target_value = Decimal("24")
    direction = Direction.UP


def make_item(product: Product, *, title: str | None = None, horizon: str = Horizon.NEXT, **data):
    """A roadmap item appended to its horizon by the service (dense ranks, history row)."""
    owner = product.asset.owner
    title = title or f"Item {product.roadmap_items.count() + 1}"
    return services.roadmap_item_create(
        product=product, by=owner, title=title, horizon=horizon, **data
    )


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductRisk

    title = factory.Sequence(lambda n: f"Risk {n}")
    category = RiskCategory.BUSINESS
    probability = 3
    impact = 4


CARD_FIELDS = [
    "title",
    "status",
    "horizon",
    "reach",
    "impact",
    "confidence",
    "effort",
    "ice_impact",
    "ice_confidence",
    "ice_ease",
]


def card_data(item, version: int | None = None, **changes) -> dict:
    """What a card's (or row's) editor posts for `item`: every field it shows as it is, but
    `changes`, and the version the editor was loaded at."""
    values = {name: getattr(item, name) for name in CARD_FIELDS}
    values = {name: "" if value is None else value for name, value in values.items()}
    values["kpi"] = item.kpi_id or ""
    values.update(changes)
    values["version"] = item.version if version is None else version
    return {f"item{item.pk}-{name}": value for name, value in values.items()}
