"""roleplan/uniqueness.py without a race: the database's refusal read back as field errors (the
same path a race takes; tests/core/test_uniqueness_races.py races it on PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from products.models import Kpi
from projects import services as project_services
from roleplan.uniqueness import Unique, constraint_of, unique_or_error
from tests.factories import UserFactory
from tests.products.factories import make_product


def test_a_product_registered_twice_past_the_form_is_refused_by_field(db):
    owner = UserFactory()
    make_product(owner=owner, name="Shop", slug="shop")
    with pytest.raises(ValidationError) as refused:
        make_product(owner=owner, name="shop", slug="shop")
    assert refused.value.message_dict == {
        "name": ["A product with this name is already registered."],
        "slug": ["The address “shop” is taken; choose another."],
    }


def test_another_broken_rule_stays_an_integrity_error(db):
    """Only the rules named become field errors: a blank KPI name (a check constraint) is
    a bug to see, not a name taken."""
    product = make_product(name="Shop")
    kpi = Kpi(product=product, name="", target_value=3)
    rule = Unique("kpi_name_unique_per_product", "name", "taken")
    with pytest.raises(IntegrityError), unique_or_error(kpi, rule):
        kpi.save()


def test_a_chosen_project_address_that_is_taken_is_a_field_error(db):
    staff = UserFactory(is_staff=True)
    kwargs = {
        "by": staff,
        "manager": staff,
        "start_date": date(2026, 1, 1),
        "deadline": date(2026, 6, 1),
        "budget": 0,
        "slug": "crm-mvp",
    }
    project_services.project_create(name="CRM MVP", **kwargs)
    with pytest.raises(ValidationError) as refused:
        project_services.project_create(name="Another", **kwargs)
    assert refused.value.message_dict == {"slug": ["The address “crm-mvp” is taken."]}


def test_a_rule_must_name_a_unique_constraint_or_field():
    with pytest.raises(ValueError, match="neither"):
        constraint_of(Kpi, "unit")
