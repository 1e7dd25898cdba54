"""Dates bounded to 1900-01-01 .. 2200-12-31 (issue 17, D3; roleplan/dates.py).

A milestone due 9999-12-31 made the timeline, the .ics export and the calendar feed answer 500
(OverflowError in date arithmetic), 0001-01-01 broke the timeline, and a milestone form error
on such a project answered 500 too. Now every date a person types is refused outside the range
next to its field (forms, the API), the database refuses such rows, and every page and export
works with dates at both bounds."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from products.models import Kpi, KpiMeasurement, Product, ProductRisk
from projects import mspdi_import
from projects import services as project_services
from projects.models import CostLine, Deliverable, Milestone, Project, ProjectRisk
from roleplan.alignment.calendar import calendar_token_regenerate
from roleplan.dates import EARLIEST, LATEST, OUT_OF_RANGE
from tests.integrations.conftest import api_client_for
from tests.projects.factories import (
    CostLineFactory,
    DeliverableFactory,
    MilestoneFactory,
    RiskFactory,
)

OUTSIDE = [date(9999, 12, 31), date(1, 1, 1), date(1899, 12, 31), date(2201, 1, 1)]
BOUNDS = [EARLIEST, LATEST]


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


# -- typed dates: refused outside the range, next to the field ----------------------------------


def project_forms(project, manager, owner):
    """(who posts, where, the rest of a valid form, the date field) for every form with a date
    on the project side and the product side."""
    product = project.product
    kpi = Kpi.objects.create(product=product, name="NPS", target_value=Decimal(30))
    return {
        "milestone": (
            manager,
            reverse("projects:milestone_add", args=[project.slug]),
            {"title": "Launch"},
            "due_date",
        ),
        "milestone done": (
            manager,
            reverse("projects:milestone_add", args=[project.slug]),
            {"title": "Launch", "due_date": "2026-10-01"},
            "done_on",
        ),
        "deliverable start": (
            manager,
            reverse("projects:deliverable_add", args=[project.slug]),
            {"title": "Templates", "status": "planned", "moscow": "must", "in_scope": "on"},
            "start_date",
        ),
        "deliverable due": (
            manager,
            reverse("projects:deliverable_add", args=[project.slug]),
            {"title": "Templates", "status": "planned", "moscow": "must", "in_scope": "on"},
            "due_date",
        ),
        "cost": (
            manager,
            reverse("projects:cost_add", args=[project.slug]),
            {"category": "labour", "description": "Agency", "planned": "100"},
            "date",
        ),
        "project risk": (
            manager,
            reverse("projects:risk_add", args=[project.slug]),
            {
                "title": "Vendor late",
                "category": "vendor",
                "probability": "3",
                "impact": "3",
                "owner": str(manager.pk),
                "status": "open",
            },
            "review_date",
        ),
        "project start": (
            manager,
            reverse("projects:create"),
            {
                "name": "Far",
                "manager": str(manager.pk),
                "methodology": "scrum",
                "deadline": "2200-12-31",
                "budget": "0",
                "currency": "EUR",
            },
            "start_date",
        ),
        "project deadline": (
            manager,
            reverse("projects:create"),
            {
                "name": "Far",
                "manager": str(manager.pk),
                "methodology": "scrum",
                "start_date": "1900-01-01",
                "budget": "0",
                "currency": "EUR",
            },
            "deadline",
        ),
        "kpi due": (
            owner,
            reverse("products:kpi_create", args=[product.slug]),
            {
                "name": "Repurchase rate",
                "unit": "%",
                "direction": "up",
                "baseline": "18",
                "target_kind": "absolute",
                "target_value": "24",
            },
            "due_date",
        ),
        "measurement": (
            owner,
            reverse("products:measurement_add", args=[product.slug, kpi.pk]),
            {"value": "3"},
            "date",
        ),
        "launch": (
            owner,
            reverse("products:edit", args=[product.slug]),
            {
                "kind": product.kind,
                "stage": product.stage,
                "scoring": product.scoring,
                "version": product.version,
            },
            "launch_date",
        ),
        "product risk": (
            owner,
            reverse("products:risk_create", args=[product.slug]),
            {"title": "Churn", "category": "business", "probability": "2", "impact": "2"},
            "review_date",
        ),
    }


FORMS = [
    "milestone",
    "milestone done",
    "deliverable start",
    "deliverable due",
    "cost",
    "project risk",
    "project start",
    "project deadline",
    "kpi due",
    "measurement",
    "launch",
    "product risk",
]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("day", OUTSIDE)
def test_a_date_outside_the_range_is_refused_next_to_its_field(
    project, manager, product_owner, form, day
):
    manager.is_staff = True  # may start projects
    manager.save()
    who, url, data, field = project_forms(project, manager, product_owner)[form]
    response = logged_in(who).post(url, {**data, field: day.isoformat()})
    assert response.status_code == 422
    assert OUT_OF_RANGE in response.context["form"].errors[field]
    html = response.content.decode()
    assert OUT_OF_RANGE in html
    assert data.get("title", data.get("name", "")) in html  # the rest of the input kept


# A project needs its deadline after its start: its start at the last day and its deadline at
# the first are refused by that rule, so each is tried at the other bound only.
AT_BOUNDS = [
    (form, day)
    for form in FORMS
    for day in BOUNDS
    if (form, day) not in {("project start", LATEST), ("project deadline", EARLIEST)}
]


@pytest.mark.parametrize(("form", "day"), AT_BOUNDS)
def test_the_bounds_themselves_are_accepted(project, manager, product_owner, form, day):
    manager.is_staff = True
    manager.save()
    who, url, data, field = project_forms(project, manager, product_owner)[form]
    response = logged_in(who).post(url, {**data, field: day.isoformat()})
    if response.status_code != 302:
        errors = response.context["form"].errors
        assert field not in errors, errors


def test_the_date_picker_is_told_the_range(project, manager):
    html = logged_in(manager).get(reverse("projects:milestone_add", args=[project.slug]))
    text = html.content.decode()
    assert 'min="1900-01-01"' in text
    assert 'max="2200-12-31"' in text


def test_the_api_refuses_a_date_outside_the_range_as_a_problem_on_the_field(project, manager):
    api = api_client_for(manager)
    response = api.post(
        f"/api/v1/projects/{project.slug}/milestones",
        {"title": "Far", "due_date": "9999-12-31"},
    )
    assert response.status_code == 422, response.content
    errors = {e["field"]: e["detail"] for e in response.json()["errors"]}
    assert errors["due_date"] == OUT_OF_RANGE
    assert not Milestone.objects.filter(title="Far").exists()


def test_an_option_moving_the_deadline_past_the_range_is_refused_next_to_its_field(
    project, manager
):
    Project.objects.filter(pk=project.pk).update(deadline=LATEST - timedelta(days=10))
    request = project_services.change_request_create(
        project_id=project.pk, by=manager, title="More", description="XYZ", why="Asked"
    )
    response = logged_in(manager).post(
        reverse("projects:option_add", args=[project.slug, request.number]),
        {"title": "Later", "deadline_days": "30", "budget_amount": "0", "scope_impact": "x"},
    )
    assert response.status_code == 422
    assert "after 31 Dec 2200" in response.content.decode()


def test_an_imported_plan_with_a_date_outside_the_range_is_refused_naming_it():
    plan = (
        b'<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project">'
        b"<StartDate>2026-01-05T08:00:00</StartDate><Tasks><Task><UID>1</UID><ID>1</ID>"
        b"<Name>Far</Name><Start>9999-12-31T08:00:00</Start><Finish>9999-12-31T17:00:00</Finish>"
        b"</Task></Tasks></Project>"
    )
    with pytest.raises(mspdi_import.Unreadable, match="9999-12-31.*between 1 Jan 1900"):
        mspdi_import.read(plan, today=date(2026, 1, 1))


# -- the database refuses rows outside the range ------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (Project, "start_date"),
        (Project, "deadline"),
        (Deliverable, "start_date"),
        (Deliverable, "due_date"),
        (Deliverable, "done_on"),
        (Milestone, "due_date"),
        (Milestone, "done_on"),
        (CostLine, "date"),
        (ProjectRisk, "review_date"),
        (Product, "launch_date"),
        (Kpi, "due_date"),
        (KpiMeasurement, "date"),
        (ProductRisk, "review_date"),
    ],
)
@pytest.mark.parametrize("day", [date(1899, 12, 31), date(2201, 1, 1)])
def test_the_database_refuses_a_date_outside_the_range(project, model, field, day):
    kpi = Kpi.objects.create(product=project.product, name="NPS", target_value=Decimal(3))
    rows = {
        Project: project,
        Deliverable: project.deliverables.first(),
        Milestone: MilestoneFactory(project=project),
        CostLine: CostLineFactory(project=project),
        ProjectRisk: RiskFactory(project=project),
        Product: project.product,
        Kpi: kpi,
        KpiMeasurement: KpiMeasurement.objects.create(kpi=kpi, date=date(2026, 1, 1), value=1),
        ProductRisk: ProductRisk.objects.create(
            product=project.product, title="Churn", category="business", probability=2, impact=2
        ),
    }
    if model is Project and field == "start_date" and day.year > 2200:
        day = date(1899, 12, 31)  # a start after the deadline is another rule's refusal
    if model is Project and field == "deadline" and day.year < 1900:
        day = date(2201, 1, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.filter(pk=rows[model].pk).update(**{field: day})


# -- every page and export at the bounds --------------------------------------------------------


def pages_of(project, manager) -> dict[str, int]:
    client = logged_in(manager)
    answers = {}
    for name in ["detail", "timeline", "scope", "budget", "changes", "risks"]:
        answers[name] = client.get(reverse(f"projects:{name}", args=[project.slug])).status_code
    for name in ["export_ics", "export_mspdi"]:
        url = reverse(f"projects:{name}", args=[project.slug, project.slug])
        answers[name] = client.get(url).status_code
    token = calendar_token_regenerate(user=manager)
    answers["feed"] = client.get(reverse("alignment:calendar_feed", args=[token.token])).status_code
    # A form error on such a project (the page around the form computes with its dates).
    answers["milestone error"] = client.post(
        reverse("projects:milestone_add", args=[project.slug]),
        {"title": "", "due_date": "2026-01-01"},
        HTTP_HX_REQUEST="true",
    ).status_code
    answers["milestone error page"] = client.post(
        reverse("projects:milestone_add", args=[project.slug]),
        {"title": "", "due_date": "9999-12-31"},
    ).status_code
    answers["dashboard"] = client.get("/").status_code
    answers["product"] = client.get(project.product.get_absolute_url()).status_code
    answers["projects"] = client.get(reverse("projects:index")).status_code
    return answers


@pytest.mark.parametrize("day", BOUNDS)
@pytest.mark.parametrize(
    "what",
    ["milestone", "deliverable", "cost", "risk", "span", "kpi", "measurement", "launch"],
)
def test_every_page_and_export_works_with_dates_at_the_bounds(project, manager, day, what):
    product = project.product
    if what == "milestone":
        MilestoneFactory(project=project, title="Far", due_date=day, done_on=day)
    elif what == "deliverable":
        DeliverableFactory(project=project, title="Far", start_date=day, due_date=day)
    elif what == "cost":
        CostLineFactory(project=project, date=day)
    elif what == "risk":
        RiskFactory(project=project, review_date=day, owner=manager)
    elif what == "span":
        other = date(2026, 1, 1)
        start, deadline = (day, other) if day == EARLIEST else (other, day)
        Project.objects.filter(pk=project.pk).update(start_date=start, deadline=deadline)
    elif what == "kpi":
        Kpi.objects.create(product=product, name="Far", target_value=Decimal(3), due_date=day)
    elif what == "measurement":
        kpi = Kpi.objects.create(product=product, name="Far", target_value=Decimal(3))
        KpiMeasurement.objects.create(kpi=kpi, date=day, value=1)
        KpiMeasurement.objects.create(kpi=kpi, date=date(2026, 1, 1), value=2)
    elif what == "launch":
        Product.objects.filter(pk=product.pk).update(launch_date=day)
        Kpi.objects.create(product=product, name="Far", target_value=Decimal(3), due_months=60)
    project.refresh_from_db()
    answers = pages_of(project, manager)
    assert answers.pop("milestone error") in {200, 422}
    assert answers.pop("milestone error page") == 422
    assert answers == dict.fromkeys(answers, 200), answers


def test_a_manager_with_projects_at_both_bounds_sees_every_page(manager, product_owner):
    """Two projects, one at each end: the dashboard, the list and the feed gather both."""
    first = DeliverableFactory(project__manager=manager, start_date=EARLIEST, due_date=EARLIEST)
    Project.objects.filter(pk=first.project_id).update(start_date=EARLIEST)
    last = MilestoneFactory(project__manager=manager, due_date=LATEST)
    Project.objects.filter(pk=last.project_id).update(deadline=LATEST)
    client = logged_in(manager)
    token = calendar_token_regenerate(user=manager)
    assert client.get("/").status_code == 200
    assert client.get(reverse("projects:index")).status_code == 200
    assert client.get(reverse("alignment:calendar_feed", args=[token.token])).status_code == 200


# -- rows stored outside before the constraints: moved to the nearest bound ---------------------

BEFORE = [
    ("products", "0009_roadmap_import"),
    ("projects", "0006_deliverable_dependencies_owner_group"),
]
AFTER = [("products", "0010_dates_in_range"), ("projects", "0007_dates_in_range")]


@pytest.mark.django_db(transaction=True)
def test_the_migrations_move_dates_stored_outside_to_the_nearest_bound():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    user = old.get_model("auth", "User").objects.create(username="marco")
    asset = old.get_model("ownership", "Asset").objects.create(
        kind="product", name="Email", slug="email", owner=user
    )
    product = old.get_model("products", "Product").objects.create(
        asset=asset, launch_date=date(1, 1, 1)
    )
    kpi = old.get_model("products", "Kpi").objects.create(
        product=product, name="NPS", target_value=3, due_date=date(9999, 12, 31)
    )
    old.get_model("products", "KpiMeasurement").objects.create(
        kpi=kpi, date=date(9999, 12, 31), value=1
    )
    project = old.get_model("projects", "Project").objects.create(
        name="Far", slug="far", manager=user, start_date=date(1, 1, 1), deadline=date(2, 1, 1)
    )
    old.get_model("projects", "Milestone").objects.create(
        project=project, title="Someday", due_date=date(9999, 12, 31)
    )
    deliverable = old.get_model("projects", "Deliverable").objects.create(
        project=project, title="Templates", start_date=date(1, 1, 1), due_date=date(3000, 1, 1)
    )
    baseline = old.get_model("projects", "Baseline").objects.create(
        project=project,
        number=1,
        kind="approval",
        start_date=date(9998, 1, 1),
        deadline=date(9999, 12, 31),
        budget=0,
        currency="EUR",
        created_by=user,
    )
    item = old.get_model("projects", "BaselineItem").objects.create(
        baseline=baseline,
        deliverable_ref=deliverable.pk,
        title="Templates",
        moscow="must",
        due_date=date(9999, 12, 31),
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    try:
        # Both ends of a span on one bound: the deadline stays after the start.
        assert new.get_model("projects", "Project").objects.values_list(
            "start_date", "deadline"
        ).get() == (EARLIEST, EARLIEST + timedelta(days=1))
        assert new.get_model("projects", "Milestone").objects.get().due_date == LATEST
        assert new.get_model("projects", "Deliverable").objects.values_list(
            "start_date", "due_date"
        ).get() == (EARLIEST, LATEST)
        assert new.get_model("projects", "Baseline").objects.values_list(
            "start_date", "deadline"
        ).get() == (LATEST - timedelta(days=1), LATEST)
        items = new.get_model("projects", "BaselineItem").objects
        assert items.get(pk=item.pk).due_date == LATEST
        assert new.get_model("products", "Product").objects.get().launch_date == EARLIEST
        assert new.get_model("products", "Kpi").objects.get().due_date == LATEST
        assert new.get_model("products", "KpiMeasurement").objects.get().date == LATEST
        # The baselines' append-only guard is back.
        with pytest.raises(DatabaseError), transaction.atomic():
            items.filter(pk=item.pk).update(title="Rewritten")
    finally:
        call_command("migrate", verbosity=0)


def test_a_plan_that_would_end_after_the_range_is_refused_by_the_import_command(
    tmp_path, project, manager
):
    """Starting on 31 Dec 2200, a plan has no day left to end on: the command says so."""
    plan = tmp_path / "last-day.xml"
    plan.write_bytes(
        b'<?xml version="1.0"?><Project xmlns="http://schemas.microsoft.com/project">'
        b"<Name>Last day</Name><StartDate>2200-12-31T08:00:00</StartDate><Tasks><Task>"
        b"<UID>1</UID><ID>1</ID><Name>Ship</Name><Start>2200-12-31T08:00:00</Start>"
        b"<Finish>2200-12-31T17:00:00</Finish></Task></Tasks></Project>"
    )
    args = ["--product", project.product.slug, "--manager", manager.username]
    with pytest.raises(CommandError, match="2201-01-01: Give a date between"):
        call_command("import_mspdi", str(plan), *args)
    assert not Project.objects.filter(name="Last day").exists()


def test_the_project_services_refuse_dates_outside_the_range_by_field(manager):
    """For callers without a form (imports, commands, the demo)."""
    with pytest.raises(ValidationError) as refused:
        project_services.project_create(
            by=manager,
            name="Far",
            manager=manager,
            start_date=date(1899, 12, 31),
            deadline=date(2201, 1, 1),
            budget=0,
        )
    assert refused.value.message_dict == {"start_date": [OUT_OF_RANGE], "deadline": [OUT_OF_RANGE]}
    project = project_services.project_create(
        by=manager, name="Near", manager=manager, start_date=EARLIEST, deadline=LATEST, budget=0
    )
    with pytest.raises(ValidationError) as refused:
        project_services.project_update(
            project_id=project.pk,
            expected_version=project.version,
            by=manager,
            changes={"deadline": EARLIEST},
        )
    assert refused.value.message_dict == {
        "deadline": ["The deadline must be after the start date."]
    }
