"""One set of figures: spent, planned to date and the forecast at completion come from
projects.health and read the same on the overview, the budget tab and the dashboard; an actual
amount is recorded only on a line dated today or earlier."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from projects import health, services
from tests.projects.factories import START, CostLineFactory

TODAY = date(2026, 9, 15)


@pytest.fixture
def spending(project):
    CostLineFactory(project=project, planned=Decimal("30000"), actual=Decimal("18000"), date=START)
    CostLineFactory(
        project=project,
        planned=Decimal("20000"),
        actual=Decimal("21000"),
        date=START + timedelta(days=35),
    )
    CostLineFactory(project=project, planned=Decimal("40000"), date=date(2026, 10, 20))
    return project


def figures_on(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-figure="([a-z-]+)">([^<]+)<', html))


def test_the_figures_are_summed_once_by_the_database(spending):
    costs = health.Costs.for_project(spending, TODAY)
    assert costs.spent == Decimal("39000")
    assert costs.planned_to_date == Decimal("50000")
    assert costs.forecast == Decimal("79000")
    assert costs.planned == Decimal("90000")
    figures = health.figures_for_projects([spending], TODAY)[spending.pk]
    assert health.Costs.of(spending, figures) == costs


def test_overview_budget_tab_and_dashboard_read_the_same_money(client, spending, manager):
    client.force_login(manager)
    with time_machine.travel(TODAY, tick=False):
        overview = figures_on(client.get(spending.get_absolute_url()).content.decode())
        budget = figures_on(
            client.get(reverse("projects:budget", args=[spending.slug])).content.decode()
        )
        dashboard = client.get("/").content.decode()
    assert overview == budget
    assert overview["spent"] == "EUR\u00a039,000"
    assert overview["planned-to-date"] == "planned to date EUR\u00a050,000"
    assert overview["forecast"] == "EUR\u00a079,000"
    assert "spent EUR\u00a039,000 of EUR\u00a0120,000 · forecast EUR\u00a079,000" in dashboard


def test_an_actual_on_a_future_line_is_refused_with_the_rule(client, project, manager):
    with pytest.raises(ValidationError) as caught:
        services.cost_line_create(
            project=project,
            by=manager,
            category="vendor",
            description="Prepaid",
            planned=Decimal(100),
            actual=Decimal(100),
            date=date.today() + timedelta(days=10),
        )
    assert "actual" in caught.value.message_dict
    client.force_login(manager)
    page = client.get(reverse("projects:budget", args=[project.slug])).content.decode()
    assert "An actual amount is recorded once the money is spent" in page
    response = client.post(
        reverse("projects:cost_add", args=[project.slug]),
        {
            "category": "vendor",
            "description": "Prepaid",
            "planned": "100",
            "actual": "100",
            "date": (date.today() + timedelta(days=10)).isoformat(),
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "date the line today or earlier" in html
    assert 'value="Prepaid"' in html
    line = CostLineFactory(project=project, date=date.today() + timedelta(days=10))
    with pytest.raises(ValidationError):
        services.cost_line_update(
            cost_line_id=line.pk, expected_version=1, by=manager, changes={"actual": Decimal(5)}
        )


def test_the_budget_chart_draws_what_was_spent(client, spending, manager):
    client.force_login(manager)
    with time_machine.travel(TODAY, tick=False):
        html = client.get(reverse("projects:budget", args=[spending.slug])).content.decode()
    assert 'class="actual-line"' in html
    assert html.count('class="actual-dot"') == 3  # July, August, September
    assert "Spent to the end of Aug 2026: EUR\u00a039,000" in html
