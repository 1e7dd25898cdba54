"""The demo data of DESIGN.md's examples."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.core.management import call_command

from products.demo import black_friday, next_launch
from products.models import Kpi, Product, RoadmapItem


def test_black_friday_is_the_day_after_the_fourth_thursday_of_november():
    assert black_friday(2025) == date(2025, 11, 28)
    assert black_friday(2026) == date(2026, 11, 27)
    # The launch is the replacement project's deadline: the Monday before Black Friday.
    assert next_launch(date(2026, 7, 20)) == date(2026, 11, 23)
    assert next_launch(date(2026, 11, 23)) == date(2026, 11, 23)
    assert next_launch(date(2026, 11, 24)) == date(2027, 11, 22)


def test_product_launch_and_project_deadline_tell_one_story():
    from projects.demo import black_friday_deadline

    for day in (date(2026, 7, 20), date(2026, 11, 22), date(2026, 12, 1)):
        assert next_launch(day) == black_friday_deadline(day)


def test_demo_has_both_products_with_scored_roadmaps_kpis_and_risks(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    email = Product.objects.get(asset__slug="email-marketing-platform")
    crm = Product.objects.get(asset__slug="crm")
    assert email.owner.username == "product.manager"
    assert crm.owner.username == "dana.kim"

    rate = Kpi.objects.get(product=email, name="Repurchase rate")
    assert (rate.baseline, rate.target, rate.unit) == (Decimal("18"), Decimal("24"), "%")
    assert rate.measurements.count() >= 3

    items = RoadmapItem.objects.filter(product__in=[email, crm])
    assert items.count() >= 15
    assert set(items.values_list("horizon", flat=True)) == {"now", "next", "later"}
    assert all(item.rice_score > 0 and item.ice_score > 0 for item in items)
    titles = list(items.values_list("title", flat=True))
    assert any("(Feature ABC)" in t for t in titles)
    assert any("(Feature XYZ)" in t for t in titles)
    assert email.risks.count() >= 2
    assert crm.risks.count() >= 2
    assert crm.kpis.count() >= 1
