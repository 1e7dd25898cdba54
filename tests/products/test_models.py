"""Invariants the database holds by itself, and the scores it computes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, transaction
from django.db.models import F

from products.models import Kpi, ProductRisk, RoadmapItem
from products.scoring import ice_score, rice_score
from roleplan.ownership.models import Asset, Handover
from tests.products.factories import make_item


def refused(update) -> bool:
    # A zero effort fails the generated score's division before the check constraint.
    try:
        with transaction.atomic():
            update()
    except (IntegrityError, DataError):
        return True
    return False


def test_database_computes_rice_and_ice_scores(product):
    item = make_item(
        product,
        reach=1000,
        impact=Decimal("2.00"),
        confidence=80,
        effort=Decimal("4.00"),
        ice_impact=8,
        ice_confidence=7,
        ice_ease=5,
    )
    item = RoadmapItem.objects.get(pk=item.pk)
    assert item.rice_score == pytest.approx(400.0)
    assert item.rice_score == pytest.approx(
        rice_score(reach=1000, impact=Decimal(2), confidence=80, effort=Decimal(4))
    )
    assert item.ice_score == 280 == ice_score(impact=8, confidence=7, ease=5)


def test_rice_score_divides_as_decimals_not_integers(product):
    item = make_item(product, reach=100, impact=Decimal("1.00"), confidence=80, effort=Decimal(3))
    assert RoadmapItem.objects.get(pk=item.pk).rice_score == pytest.approx(100 * 0.8 / 3)


def test_scores_follow_an_update_made_in_sql(item):
    RoadmapItem.objects.filter(pk=item.pk).update(reach=F("reach") * 2)
    assert RoadmapItem.objects.get(pk=item.pk).rice_score == pytest.approx(2000 * 1 * 0.8 / 1)


def test_lists_sort_by_score_in_sql(product):
    low = make_item(product, title="low", reach=10)
    high = make_item(product, title="high", reach=5000)
    middle = make_item(product, title="middle", reach=400)
    ordered = list(RoadmapItem.objects.filter(product=product).by_score("rice"))
    assert ordered == [high, middle, low]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reach", -1),
        ("impact", Decimal("1.50")),
        ("confidence", 60),
        ("effort", Decimal("0")),
        ("effort", Decimal("-1")),
        ("ice_impact", 0),
        ("ice_confidence", 11),
        ("ice_ease", 0),
        ("title", ""),
        ("status", "maybe"),
        ("horizon", "someday"),
    ],
)
def test_database_refuses_out_of_range_roadmap_input(item, field, value):
    assert refused(lambda: RoadmapItem.objects.filter(pk=item.pk).update(**{field: value}))


def test_two_items_cannot_share_a_rank_in_one_horizon(product):
    first = make_item(product, horizon="now")
    second = make_item(product, horizon="now")
    assert (first.rank, second.rank) == (0, 1)
    assert refused(lambda: RoadmapItem.objects.filter(pk=second.pk).update(rank=0))


def test_kpi_target_must_lie_beyond_the_baseline_in_its_direction(product):
    assert refused(
        lambda: Kpi.objects.create(
            product=product, name="Up", baseline=10, target_value=8, direction="up"
        )
    )
    assert refused(
        lambda: Kpi.objects.create(
            product=product, name="Down", baseline=10, target_value=12, direction="down"
        )
    )
    Kpi.objects.create(product=product, name="Fine", baseline=10, target_value=8, direction="down")


@pytest.mark.parametrize(("field", "value"), [("probability", 0), ("impact", 6), ("category", "x")])
def test_database_refuses_out_of_range_risks(product, field, value):
    risk = ProductRisk.objects.create(product=product, title="Risk", category="legal")
    assert refused(lambda: ProductRisk.objects.filter(pk=risk.pk).update(**{field: value}))


def test_risk_score_is_probability_times_impact(product):
    risk = ProductRisk.objects.create(
        product=product, title="Risk", category="legal", probability=4, impact=5
    )
    risk = ProductRisk.objects.get(pk=risk.pk)
    assert risk.score == 20
    assert risk.severity == "high"


def test_creating_a_product_registers_its_asset_and_first_handover(product, owner):
    asset = Asset.objects.get(pk=product.asset_id)
    assert (asset.kind, asset.owner, asset.slug) == ("product", owner, "email")
    handover = Handover.objects.get(asset=asset)
    assert (handover.from_owner, handover.to_owner, handover.by, handover.reason) == (
        None,
        owner,
        owner,
        "Registered",
    )
    assert product.name == "Email platform"
