"""Factories of the project side. Products are built here directly (asset + product), so these
tests do not depend on how the products app creates them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import factory

from products.models import Kpi, Product, RoadmapItem
from projects import services
from projects.models import (
    CostLine,
    Deliverable,
    Milestone,
    Project,
    ProjectRisk,
)
from tests.factories import AssetFactory, UserFactory

START = date(2026, 7, 27)
DEADLINE = date(2026, 11, 23)


def make_product(*, owner=None, name: str | None = None) -> Product:
    asset = AssetFactory(
        kind="product", owner=owner or UserFactory(), **({"name": name} if name else {})
    )
    return Product.objects.create(asset=asset)


def make_kpi(product: Product, name: str = "Repurchase rate") -> Kpi:
    return Kpi.objects.create(
        product=product, name=name, unit="%", baseline=Decimal(18), target_value=Decimal(24)
    )


def make_roadmap_item(product: Product, title: str, *, kpi: Kpi | None = None) -> RoadmapItem:
    rank = RoadmapItem.objects.filter(product=product, horizon="now").count()
    return RoadmapItem.objects.create(
        product=product, title=title, horizon="now", rank=rank, status="planned", kpi=kpi
    )


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n:04d}")
    slug = factory.LazyAttribute(lambda p: p.name.lower().replace(" ", "-"))
    manager = factory.SubFactory(UserFactory)
    start_date = START
    deadline = DEADLINE
    budget = Decimal("120000")
    currency = "EUR"
    benefits = "Campaigns keep running through peak season on a supported platform."
    outcomes = "Marketing sends Black Friday campaigns from the new platform."


class DeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deliverable

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Deliverable {n:04d}")
    start_date = START
    due_date = factory.LazyAttribute(lambda d: d.project.deadline - timedelta(days=14))
    estimate_days = Decimal("5.0")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n:04d}")
    due_date = factory.LazyAttribute(lambda m: m.project.deadline - timedelta(days=7))


class CostLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostLine

    project = factory.SubFactory(ProjectFactory)
    category = "labour"
    description = factory.Sequence(lambda n: f"Cost {n:04d}")
    planned = Decimal("10000")
    date = START + timedelta(days=30)


class RiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectRisk

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Risk {n:04d}")
    category = "technical"
    probability = 3
    impact = 3
    owner = factory.SubFactory(UserFactory)
    review_date = DEADLINE


def approved_project(
    *, manager=None, product_owner=None, deliverables: int = 2, **fields
) -> Project:
    """A project serving a product, with deliverables in scope, approved by the product's owner."""
    product = make_product(owner=product_owner or UserFactory())
    project = ProjectFactory(manager=manager or UserFactory(), product=product, **fields)
    for n in range(deliverables):
        DeliverableFactory(project=project, title=f"Feature {'ABCDEFGHIJ'[n % 10]}{n // 10 or ''}")
    services.project_approve(project_id=project.pk, by=product.asset.owner)
    project.refresh_from_db()
    return project


def grant_planner(user) -> None:
    """Give `user` the planner permission (ownership.plan) that creating projects needs."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="ownership", codename="plan")
    )
    # Django keeps a user's permissions once read: forget them.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)
