"""roleplan/versioning.py: the one compare-and-set and stale-edit error of every editable row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.template.loader import render_to_string

from products.models import Kpi, Product, Stage
from roleplan.versioning import StaleEdit, lock_for_edit, save_edit, shown
from tests.factories import UserFactory
from tests.products.factories import KpiFactory, make_product

pytestmark = pytest.mark.django_db


def test_a_save_on_the_loaded_version_writes_and_counts_the_version_up(owner):
    product = make_product(owner=owner)
    with transaction.atomic():
        row = lock_for_edit(Product, product.pk, product.version, {"stage": Stage.GROWTH})
        written = save_edit(row, {"stage": Stage.GROWTH}, by=owner)
    product.refresh_from_db()
    assert product.stage == Stage.GROWTH
    assert product.version == 2
    assert product.updated_by == owner
    assert "stage" in written


def test_a_save_on_an_old_version_is_refused_with_the_saved_row_and_both_values(owner, editor):
    product = make_product(owner=owner, name="Email platform")
    with transaction.atomic():
        save_edit(lock_for_edit(Product, product.pk, 1), {"stage": Stage.GROWTH}, by=editor)
    with pytest.raises(StaleEdit) as caught, transaction.atomic():
        lock_for_edit(Product, product.pk, 1, {"stage": Stage.SUNSET, "vision": ""})
    conflict = caught.value
    assert conflict.current.version == 2
    assert conflict.changed_by == editor
    assert [(d.label, d.saved, d.yours) for d in conflict.differences] == [
        ("Stage", Stage.GROWTH.label, Stage.SUNSET.label)
    ]
    product.refresh_from_db()
    assert product.stage == Stage.GROWTH


def test_values_read_as_a_person_reads_them(owner):
    kpi = KpiFactory(product=make_product(owner=owner), baseline=Decimal("21.500"))
    person = UserFactory(first_name="Ada", last_name="Lovelace")
    assert shown(kpi, "baseline") == "21.5"
    assert shown(kpi, "direction") == kpi.get_direction_display()
    assert shown(kpi, "updated_by", person) == "Ada Lovelace"
    assert shown(kpi, "due_date", None) == "—"
    assert shown(kpi, "name", [person]) == "Ada Lovelace"


def test_the_conflict_region_shows_who_saved_and_both_values(owner, editor):
    kpi = KpiFactory(product=make_product(owner=owner), name="Repurchase rate")
    with transaction.atomic():
        save_edit(lock_for_edit(Kpi, kpi.pk, 1), {"name": "Repeat purchases"}, by=editor)
    with pytest.raises(StaleEdit) as caught, transaction.atomic():
        lock_for_edit(Kpi, kpi.pk, 1, {"name": "Repurchase rate (90 days)"})
    html = render_to_string("_conflict.html", {"conflict": caught.value})
    assert editor.get_full_name() in html
    assert "Repeat purchases" in html
    assert "Repurchase rate (90 days)" in html
    assert "Your input is kept below" in html
