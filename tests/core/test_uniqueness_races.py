"""Unique names under real concurrent writes (issue 17, D2): every create and rename of a unique
name or address answers a form error next to the field (or a 422 problem in the API) when
another write took the name first, never a 500; addresses made from a name take the next free
one. roleplan/uniqueness.py is the one implementation.

Two kinds of test: a deterministic one, where the first write holds its transaction open until
the second is waiting on the unique index (so the second surely passed the form's check and is
refused by the database), and a race of eight at once through the pages."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from products import services as product_services
from products.models import Kpi, Product
from projects import services as project_services
from projects.models import Project
from roleplan.ownership import services as ownership_services
from roleplan.ownership.models import Asset
from tests.factories import AssetFactory, UserFactory
from tests.integrations.conftest import api_client_for
from tests.products.factories import make_product
from tests.racing import in_thread, race, wait_until_blocked

# Unique indexes that make a second writer wait for the first: PostgreSQL's.
pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

START = date(2026, 9, 1)


def held(action: Callable[[], Any]) -> tuple[threading.Event, Callable[[], Any]]:
    """Run `action` in its own transaction in a thread and keep that transaction open until
    the event returned is set; the function returned waits for the action's result."""
    holding, release = threading.Event(), threading.Event()

    def run() -> Any:
        with transaction.atomic():
            result = action()
            holding.set()
            assert release.wait(20)
        return result

    done = in_thread(run)
    assert holding.wait(20)
    return release, done


def second_after_first(first: Callable[[], Any], second: Callable[[], Any]) -> Any:
    """`first` writes and holds; `second` starts, passes its form's checks and waits on the
    unique index; `first` commits; what `second` answered."""
    release, first_done = held(first)
    second_done = in_thread(second)
    wait_until_blocked(1)
    release.set()
    first_done()
    return second_done()


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def product_form(owner, name: str) -> dict:
    return {"name": name, "owner": owner.pk, "kind": "customer_app", "stage": "ideation"}


def register_product(by, name: str) -> Product:
    return product_services.product_create(
        name=name,
        slug=name.lower().replace(" ", "-"),
        owner=by,
        by=by,
        kind="customer_app",
        stage="ideation",
    )


def test_a_product_registered_meanwhile_is_a_form_error_next_to_the_name():
    staff = UserFactory(is_staff=True)
    response = second_after_first(
        lambda: register_product(staff, "Email platform"),
        lambda: logged_in(staff).post(
            reverse("products:create"), product_form(staff, "Email platform")
        ),
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "A product with this name is already registered." in form.errors["name"]
    assert form["name"].value() == "Email platform"  # the input kept
    assert Asset.objects.filter(name="Email platform").count() == 1


def test_eight_people_registering_one_product_at_once_make_one_and_see_why(client):
    staff = [UserFactory(is_staff=True) for _ in range(8)]

    def register(user):
        response = logged_in(user).post(
            reverse("products:create"), product_form(user, "Loyalty app")
        )
        errors = response.context["form"].errors if response.status_code == 422 else {}
        return response.status_code, errors

    results = race(*[lambda u=u: register(u) for u in staff])
    statuses = sorted(status for status, _ in results)
    assert statuses == [302] + [422] * 7, results
    for status, errors in results:  # told next to the name, whichever check saw it first
        if status == 422:
            assert errors["name"] == ["A product with this name is already registered."], errors
    assert Product.objects.filter(asset__name="Loyalty app").count() == 1


def test_the_api_answers_a_product_registered_meanwhile_with_a_422_problem_on_the_name():
    staff = UserFactory(is_staff=True)
    api = api_client_for(staff)
    response = second_after_first(
        lambda: register_product(staff, "CRM"),
        lambda: api.post(
            "/api/v1/products",
            {"name": "CRM", "kind": "customer_app", "stage": "ideation", "owner": staff.pk},
        ),
    )
    assert response.status_code == 422, response.content
    errors = {e["field"]: e["detail"] for e in response.json()["errors"]}
    assert errors["name"] == "A product with this name is already registered."
    assert Product.objects.filter(asset__name="CRM").count() == 1


def test_a_kpi_named_meanwhile_is_a_form_error_next_to_the_name():
    owner = UserFactory()
    product = make_product(owner=owner, name="Shop")
    data = {
        "name": "NPS",
        "unit": "",
        "baseline": "10",
        "target_kind": "absolute",
        "target_value": "30",
        "direction": "up",
    }
    response = second_after_first(
        lambda: product_services.kpi_create(
            product=product, by=owner, name="NPS", baseline=10, target_value=30
        ),
        lambda: logged_in(owner).post(reverse("products:kpi_create", args=[product.slug]), data),
    )
    assert response.status_code == 422
    assert (
        "This product already has a KPI with this name." in response.context["form"].errors["name"]
    )
    assert Kpi.objects.filter(product=product, name="NPS").count() == 1


def test_a_kpi_renamed_to_a_name_taken_meanwhile_is_a_form_error():
    owner = UserFactory()
    product = make_product(owner=owner, name="Shop")
    first = product_services.kpi_create(product=product, by=owner, name="Churn", target_value=3)
    second = product_services.kpi_create(product=product, by=owner, name="Reach", target_value=3)
    data = {
        "name": "NPS",
        "unit": "",
        "baseline": "",
        "target_kind": "absolute",
        "target_value": "3",
        "direction": "up",
        "version": second.version,
    }
    response = second_after_first(
        lambda: product_services.kpi_update(
            kpi_id=first.pk, version=first.version, by=owner, data={"name": "NPS"}
        ),
        lambda: logged_in(owner).post(
            reverse("products:kpi_edit", args=[product.slug, second.pk]), data
        ),
    )
    assert response.status_code == 422
    assert (
        "This product already has a KPI with this name." in response.context["form"].errors["name"]
    )
    assert sorted(Kpi.objects.filter(product=product).values_list("name", flat=True)) == [
        "NPS",
        "Reach",
    ]


def test_an_asset_renamed_to_a_name_taken_meanwhile_is_a_form_error():
    owner = UserFactory()
    billing = AssetFactory(owner=owner, kind="system", name="Billing v1")
    ledger = AssetFactory(owner=owner, kind="system", name="Ledger")
    data = {"name": "Billing", "team": "", "description": "", "version": ledger.version}
    response = second_after_first(
        lambda: ownership_services.asset_update(
            asset_id=billing.pk, expected_version=billing.version, by=owner, name="Billing"
        ),
        lambda: logged_in(owner).post(reverse("ownership:edit", args=[ledger.slug]), data),
    )
    assert response.status_code == 422, response.content.decode()[:2000]
    assert "A system named “Billing” already exists." in response.context["form"].errors["name"]
    ledger.refresh_from_db()
    assert ledger.name == "Ledger"


def project_form(manager, name: str) -> dict:
    return {
        "name": name,
        "manager": str(manager.pk),
        "methodology": "scrum",
        "start_date": str(START),
        "deadline": str(START + timedelta(days=90)),
        "budget": "1000",
        "currency": "EUR",
    }


def test_a_project_named_like_one_started_meanwhile_gets_the_next_address():
    """Projects may share a name; the address made from it may not: the second takes the
    next free one instead of failing."""
    staff = UserFactory(is_staff=True)
    response = second_after_first(
        lambda: project_services.project_create(
            by=staff,
            name="Migration",
            manager=staff,
            start_date=START,
            deadline=START + timedelta(days=30),
            budget=0,
        ),
        lambda: logged_in(staff).post(reverse("projects:create"), project_form(staff, "Migration")),
    )
    assert response.status_code == 302
    assert sorted(Project.objects.values_list("slug", flat=True)) == ["migration", "migration-2"]
    assert response["Location"] == reverse("projects:detail", args=["migration-2"])


def test_eight_projects_started_at_once_with_one_name_all_get_their_own_address():
    staff = [UserFactory(is_staff=True) for _ in range(8)]
    results = race(
        *[
            lambda u=u: (
                logged_in(u).post(reverse("projects:create"), project_form(u, "Audit")).status_code
            )
            for u in staff
        ]
    )
    assert results == [302] * 8
    slugs = sorted(Project.objects.values_list("slug", flat=True))
    assert slugs == sorted(["audit", *[f"audit-{n}" for n in range(2, 9)]])


def test_two_assets_whose_names_make_one_address_registered_at_once_both_get_one():
    owner = UserFactory()
    second = second_after_first(
        lambda: ownership_services.asset_register(
            kind="process", name="Refunds!", owner=owner, by=owner
        ),
        lambda: ownership_services.asset_register(
            kind="process", name="Refunds?", owner=owner, by=owner
        ),
    )
    assert second.slug == "refunds-2"
    assert sorted(Asset.objects.values_list("slug", flat=True)) == ["refunds", "refunds-2"]
