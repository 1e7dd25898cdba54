"""The health status: the rules stated on the page, and the same answer on the project page and
in lists."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from projects import health, services
from projects.models import MilestoneDependency
from projects.overview import overview
from tests.projects.factories import (
    DEADLINE,
    CostLineFactory,
    DeliverableFactory,
    MilestoneFactory,
    RiskFactory,
)

BASE = {"baseline_deadline": DEADLINE, "baseline_budget": Decimal("100000")}


def status(**facts) -> str:
    return health.assess(health.Facts(**{**BASE, **facts})).status


def test_without_a_baseline_there_is_no_health():
    assert health.assess(health.Facts()).status == health.NOT_BASELINED


def test_on_track_when_within_deadline_and_budget_and_nothing_overdue():
    assert status(forecast_finish=DEADLINE, forecast_cost=Decimal("100000")) == health.ON_TRACK


@pytest.mark.parametrize(
    "facts",
    [
        {"forecast_finish": DEADLINE + timedelta(days=1)},
        {"forecast_finish": DEADLINE + timedelta(days=14)},
        {"forecast_cost": Decimal("100001")},
        {"forecast_cost": Decimal("110000")},
        {"overdue": 1},
        {"flagged": 1},
        {"top_risk": 15},
        {"scope_added": 1},
        {"scope_removed": 1},
    ],
)
def test_at_risk_rules(facts):
    assert status(**{"forecast_finish": DEADLINE, **facts}) == health.AT_RISK


@pytest.mark.parametrize(
    "facts",
    [
        {"forecast_finish": DEADLINE + timedelta(days=15)},
        {"forecast_cost": Decimal("110001")},
        {"top_risk": 20},
    ],
)
def test_off_track_rules(facts):
    assert status(**{"forecast_finish": DEADLINE, **facts}) == health.OFF_TRACK


def test_reasons_say_why():
    result = health.assess(
        health.Facts(**BASE, forecast_finish=DEADLINE + timedelta(days=3), overdue=2)
    )
    assert result.reasons == [
        "forecast finish 3 days after the baselined deadline",
        "2 overdue items",
    ]


def test_forecast_finish_counts_overdue_work_as_finishing_today():
    today = date(2026, 10, 1)
    assert (
        health.forecast_finish(
            open_due=date(2026, 9, 1), has_open=True, last_done=None, today=today
        )
        == today
    )
    assert health.forecast_finish(
        open_due=date(2026, 11, 1), has_open=True, last_done=None, today=today
    ) == date(2026, 11, 1)
    assert health.forecast_finish(
        open_due=None, has_open=False, last_done=date(2026, 9, 9), today=today
    ) == date(2026, 9, 9)


def test_milestone_flags_after_deadline_and_before_a_predecessor(project):
    early = MilestoneFactory(project=project, title="Early", due_date=date(2026, 9, 1))
    late = MilestoneFactory(project=project, title="Late", due_date=date(2026, 12, 1))
    MilestoneDependency.objects.create(predecessor=late, successor=early)
    milestones = project.milestones.prefetch_related("depends_on")
    flags = {m.title: health.milestone_flags(m, project.deadline) for m in milestones}
    assert flags["Late"] == ["due after the project's deadline"]
    assert flags["Early"] == ["due before “Late”, which it depends on"]


@time_machine.travel(date(2026, 10, 15), tick=False)
def test_project_page_and_lists_compute_the_same_facts(project, manager, product_owner):
    # Overdue deliverable, a done one, scope added and removed since the baseline, a flagged
    # milestone, spent and planned costs, an open and a closed risk.
    overdue = project.deliverables.get(title="Feature A")
    services.deliverable_update(
        deliverable_id=overdue.pk,
        expected_version=1,
        by=manager,
        changes={"due_date": date(2026, 10, 1)},
    )
    removed = project.deliverables.get(title="Feature B")
    services.deliverable_remove(
        deliverable_id=removed.pk, expected_version=1, by=product_owner, reason="Not needed"
    )
    DeliverableFactory(project=project, title="Extra", due_date=date(2026, 11, 30))
    DeliverableFactory(
        project=project,
        title="Done",
        status="done",
        done_on=date(2026, 9, 1),
        due_date=date(2026, 9, 1),
    )
    MilestoneFactory(project=project, due_date=date(2026, 12, 1))
    MilestoneFactory(project=project, due_date=date(2026, 9, 1), done_on=date(2026, 9, 2))
    CostLineFactory(project=project, planned=Decimal("50000"), actual=Decimal("61000"))
    CostLineFactory(project=project, planned=Decimal("70000"))
    RiskFactory(project=project, probability=4, impact=4)
    RiskFactory(project=project, probability=5, impact=5, status="closed")

    page = overview(project, date(2026, 10, 15))["facts"]
    listed = health.figures_for_projects([project], date(2026, 10, 15))[project.pk].facts
    assert page == listed
    assert page.overdue == 1
    assert page.flagged == 1
    assert page.scope_added == 2
    assert page.scope_removed == 1
    assert page.top_risk == 16
    assert page.forecast_cost == Decimal("131000")
    assert page.forecast_finish == date(2026, 12, 1)
    assert health.assess(page).status == health.AT_RISK  # 8 days late, 9% over: not yet off
