"""The demo: the Black Friday replacement and the CRM projects of DESIGN.md."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.management import call_command

from projects.demo import black_friday, black_friday_deadline
from projects.models import Project
from roleplan.ownership.models import Asset, Gap


@pytest.fixture
def seeded(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())


def test_black_friday_is_the_day_after_the_fourth_thursday_of_november():
    assert black_friday(2026) == date(2026, 11, 27)
    assert black_friday(2027) == date(2027, 11, 26)
    assert black_friday_deadline(date(2026, 11, 22)) == date(2026, 11, 23)
    assert black_friday_deadline(date(2026, 11, 24)) == date(2027, 11, 22)


@pytest.fixture
def seeded_in_october(db, monkeypatch):
    """Seeded on 1 October 2026: the travel covers the seeding itself (a decorator on the test
    would start after the fixtures ran, on whatever day the suite runs)."""
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    with time_machine.travel(date(2026, 10, 1), tick=False):
        call_command("seed_demo", stdout=io.StringIO())
        yield


def test_the_black_friday_project_runs_four_months_to_the_monday_before_black_friday(
    seeded_in_october,
):
    project = Project.objects.select_related("product__asset", "manager").get(
        slug="replace-legacy-email-system"
    )
    assert project.name == "Replace legacy email system before Black Friday"
    assert project.deadline == date(2026, 11, 23)
    assert project.deadline - project.start_date == timedelta(weeks=17)
    assert project.manager.username == "project.manager"
    assert project.product.asset.slug == "email-marketing-platform"
    assert project.status == "active"
    assert project.risks.count() >= 5
    assert project.cost_lines.filter(actual__isnull=False).exists()
    assert project.deliverables.filter(roadmap_item__isnull=False).count() >= 5
    assert project.milestones.filter(depends_on__isnull=False).exists()
    # Approved, then moved once by a decided request; the original baseline is kept.
    assert list(project.baselines.values_list("number", "kind", "is_current")) == [
        (1, "approval", False),
        (2, "change", True),
    ]
    statuses = dict(project.change_requests.values_list("number", "status"))
    assert statuses == {1: "accepted", 2: "rejected", 3: "open"}
    open_request = project.change_requests.get(number=3)
    assert open_request.requested_by.username == "product.manager"
    assert list(open_request.options.values_list("label", "title")) == [
        ("A", "Keep ABC, backlog XYZ"),
        ("B", "Add budget and move the deadline"),
        ("C", "A simpler ABC so that XYZ fits"),
    ]


def test_the_crm_projects_include_client_migration_run_by_the_products_owner(seeded):
    crm = set(Project.objects.filter(product__asset__slug="crm").values_list("name", flat=True))
    assert crm == {
        "CRM MVP",
        "Audio and video calls",
        "Sales funnel analytics",
        "Website lead integration",
        "Client migration",
    }
    migration = Project.objects.get(name="Client migration")
    assert migration.manager.username == "dana.kim"
    assert (
        Project.objects.exclude(name="Client migration")
        .filter(product__asset__slug="crm", manager__username="project.manager")
        .count()
        == 4
    )
    assert Gap.ROLE_CONFLICT in Asset.objects.with_gaps().get(slug="crm").gaps


def test_seeding_again_leaves_the_projects_as_they_are(seeded):
    before = list(
        Project.objects.order_by("slug").values_list("slug", "version", "deadline", "budget")
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert (
        list(Project.objects.order_by("slug").values_list("slug", "version", "deadline", "budget"))
        == before
    )


@pytest.mark.parametrize("day", [date(2026, 12, 3), date(2027, 5, 10), date(2027, 8, 20)])
def test_nothing_the_demo_records_happens_after_the_day_it_is_seeded(db, monkeypatch, day):
    """Seeded after Black Friday the project lies ahead (next year's); its approval, change
    requests, options, decisions and baselines are still in the past, and nothing is done,
    spent or in progress before it starts."""
    from projects.models import Baseline, ChangeDecision, ChangeOption, ChangeRequest

    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    with time_machine.travel(day, tick=False):
        call_command("seed_demo", stdout=io.StringIO())
    project = Project.objects.get(slug="replace-legacy-email-system")
    assert project.deadline == black_friday_deadline(day) > day
    stamps = [
        project.approved_at,
        *ChangeRequest.objects.values_list("requested_at", flat=True),
        *ChangeOption.objects.values_list("created_at", flat=True),
        *ChangeDecision.objects.values_list("decided_at", flat=True),
        *Baseline.objects.values_list("created_at", flat=True),
    ]
    assert max(stamps).date() <= day
    assert project.approved_at < min(ChangeRequest.objects.values_list("requested_at", flat=True))
    if project.start_date > day:
        assert not project.deliverables.exclude(status="planned").exists()
        assert not project.cost_lines.filter(actual__isnull=False).exists()
        assert not project.milestones.filter(done_on__isnull=False).exists()


def test_the_black_friday_case_walks_from_the_xyz_request_to_the_roadmap(seeded_in_october):
    """CR-3's options say what each does to ABC and XYZ; deciding "add budget and move the
    deadline" puts XYZ in Now, delivered by the project, with the budget as a cost line."""
    from products.models import RoadmapItem
    from projects import services
    from projects.delivery import item_deliveries

    project = Project.objects.get(slug="replace-legacy-email-system")
    request = project.change_requests.get(number=3)
    effects = {
        option.label: sorted(
            (e.item.title.split("(")[-1].rstrip(")"), e.effect, e.horizon)
            for e in option.item_effects.select_related("item")
        )
        for option in request.options.all()
    }
    assert effects == {
        "A": [("Feature XYZ", "defer", "later")],
        "B": [("Feature XYZ", "bring_in", "")],
        "C": [("Feature ABC", "simplify", ""), ("Feature XYZ", "bring_in", "")],
    }
    xyz = RoadmapItem.objects.get(title__endswith="(Feature XYZ)")
    assert item_deliveries([xyz.pk]) == {}
    budget = project.budget
    services.change_request_decide(
        request_id=request.pk,
        by=request.requested_by,
        rationale="Worth two weeks",
        option_id=request.options.get(label="B").pk,
    )
    xyz.refresh_from_db()
    assert (xyz.horizon, xyz.status) == ("now", "planned")
    assert item_deliveries([xyz.pk])[xyz.pk].project_name == project.name
    line = project.cost_lines.get(description__startswith="CR-3:")
    assert line.planned == 24000
    project.refresh_from_db()
    assert project.budget == budget + 24000
