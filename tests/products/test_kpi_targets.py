"""KPIs as people state them: a target that is a value or a change of the baseline ("+6
points", "+6 %"), due on a date or "within 3 months of launch", progress against it."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from products.models import Kpi, KpiMeasurement, TargetKind, add_months
from tests.products.factories import KpiFactory

NBSP = "\u00a0"


def target_of(kpi: Kpi) -> Decimal:
    kpi.refresh_from_db()
    return kpi.target


def test_the_database_computes_the_target_from_what_was_stated(product):
    absolute = KpiFactory(product=product, baseline=Decimal("21"), target_value=Decimal("27"))
    points = KpiFactory(
        product=product, baseline=Decimal("21"), target_kind=TargetKind.POINTS, target_value=6
    )
    percent = KpiFactory(
        product=product, baseline=Decimal("18"), target_kind=TargetKind.PERCENT, target_value=6
    )
    assert target_of(absolute) == Decimal("27")
    assert target_of(points) == Decimal("27")
    assert target_of(percent) == Decimal("19.08")


def test_a_lower_is_better_target_falls_by_a_negative_change(product):
    kpi = KpiFactory(
        product=product,
        baseline=Decimal("6"),
        target_kind=TargetKind.PERCENT,
        target_value=Decimal("-25"),
        direction="down",
    )
    assert target_of(kpi) == Decimal("4.5")


@pytest.mark.parametrize(
    "fields",
    [
        {"target_kind": TargetKind.POINTS, "baseline": None, "target_value": 6},
        {"target_kind": TargetKind.PERCENT, "baseline": 0, "target_value": 6},
        {
            "target_kind": TargetKind.PERCENT,
            "baseline": 5,
            "target_value": -100,
            "direction": "down",
        },
        {"target_kind": TargetKind.POINTS, "baseline": 5, "target_value": -1},
        {"target_kind": TargetKind.ABSOLUTE, "baseline": 5, "target_value": 4},
        {"due_date": date(2027, 1, 1), "due_months": 3},
        {"due_months": 0},
        {"due_months": 61},
    ],
)
def test_the_database_refuses_a_kpi_people_could_not_mean(product, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiFactory(product=product, **fields)


def test_an_absolute_target_needs_no_baseline(product):
    kpi = KpiFactory(product=product, baseline=None, target_value=Decimal("27"))
    assert target_of(kpi) == Decimal("27")


def test_months_after_launch_count_from_the_products_launch_date(product):
    kpi = KpiFactory(product=product, due_months=3)
    assert kpi.due is None  # no launch date yet
    product.launch_date = date(2026, 11, 15)
    kpi.product = product
    assert kpi.due == date(2027, 2, 15)
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_progress_runs_from_the_baseline_or_else_the_first_measurement(product):
    kpi = KpiFactory(
        product=product, baseline=Decimal("21"), target_kind=TargetKind.POINTS, target_value=6
    )
    kpi.refresh_from_db()
    assert kpi.progress(Decimal("22.5")) == 25
    assert kpi.progress(Decimal("30")) == 100
    assert kpi.progress(Decimal("20")) == 0
    no_baseline = KpiFactory(product=product, baseline=None, target_value=Decimal("30"))
    no_baseline.refresh_from_db()
    assert no_baseline.progress(Decimal("25"), start=Decimal("20")) == 50
    assert no_baseline.progress(Decimal("25")) is None


def kpi_card(response, kpi) -> str:
    html = response.content.decode()
    card = re.search(rf'<section class="card kpi-card" id="kpi-{kpi.pk}".*?</section>', html, re.S)
    return re.sub(r"\s+", " ", card.group(0)).replace(NBSP, " ").replace("&nbsp;", " ")


def test_the_product_page_states_the_kpi_as_its_manager_does(client, viewer, product):
    product.launch_date = date(2026, 11, 15)
    product.save()
    kpi = KpiFactory(
        product=product,
        name="Repurchase rate",
        unit="%",
        baseline=Decimal("21"),
        target_kind=TargetKind.POINTS,
        target_value=6,
        due_months=3,
    )
    KpiMeasurement.objects.create(kpi=kpi, date=date(2026, 12, 1), value=Decimal("22.14"))
    client.force_login(viewer)
    card = kpi_card(client.get(reverse("products:detail", args=[product.slug])), kpi)
    assert (
        "now <strong>22.1 %</strong></span> · <span>target <strong>27.0 %</strong> "
        "(+6 points on 21.0 %) by 15 Feb 2027"
    ) in card
    assert "(3 months after launch)" in card
    assert 'aria-valuenow="19"' in card  # 1.14 of 6 points


def test_a_kpi_due_after_a_launch_not_yet_set_says_so(client, viewer, product):
    kpi = KpiFactory(
        product=product,
        unit="%",
        baseline=18,
        target_kind=TargetKind.PERCENT,
        target_value=6,
        due_months=3,
    )
    client.force_login(viewer)
    card = kpi_card(client.get(reverse("products:detail", args=[product.slug])), kpi)
    assert "target <strong>19.1 %</strong> (+6 % on 18.0 %)" in card
    assert "within 3 months of launch" in card
    assert "(no launch date yet)" in card


def test_the_kpi_form_says_a_change_needs_a_baseline(client, owner, product):
    client.force_login(owner)
    response = client.post(
        reverse("products:kpi_create", args=[product.slug]),
        {
            "name": "Repurchase rate",
            "unit": "%",
            "direction": "up",
            "baseline": "",
            "target_kind": "points",
            "target_value": "6",
            "due_months": "3",
        },
    )
    assert response.status_code == 422
    assert "A target stated as a change needs the baseline." in response.content.decode()
    assert not Kpi.objects.filter(product=product).exists()


def test_the_kpi_form_refuses_a_date_and_months_at_once(client, owner, product):
    client.force_login(owner)
    response = client.post(
        reverse("products:kpi_create", args=[product.slug]),
        {
            "name": "Repurchase rate",
            "direction": "up",
            "baseline": "18",
            "target_kind": "absolute",
            "target_value": "24",
            "due_date": "2027-02-15",
            "due_months": "3",
        },
    )
    assert response.status_code == 422
    assert "Give a due date or a number of months, not both." in response.content.decode()


def test_a_kpi_stated_relative_to_launch_is_saved_as_stated(client, owner, product):
    client.force_login(owner)
    response = client.post(
        reverse("products:kpi_create", args=[product.slug]),
        {
            "name": "Repurchase rate",
            "unit": "%",
            "direction": "up",
            "baseline": "18",
            "target_kind": "points",
            "target_value": "6",
            "due_months": "3",
        },
    )
    assert response.status_code == 302
    kpi = Kpi.objects.get(product=product, name="Repurchase rate")
    assert (kpi.target_kind, kpi.target_value, kpi.target) == ("points", 6, 24)
    assert (kpi.due_date, kpi.due_months) == (None, 3)


def test_the_kpi_form_shows_decimals_as_people_write_them(client, owner, product):
    kpi = KpiFactory(product=product, baseline=Decimal("18"), target_value=Decimal("24"))
    client.force_login(owner)
    html = client.get(reverse("products:kpi_edit", args=[product.slug, kpi.pk])).content.decode()
    assert 'name="baseline" value="18"' in html
    assert 'name="target_value" value="24"' in html
