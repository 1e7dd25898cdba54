"""Edit pages of milestones, costs, risks and options; their plain (no JavaScript) forms."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from projects import services
from projects.models import ChangeOption, CostLine, Milestone, ProjectRisk
from tests.projects.factories import CostLineFactory, MilestoneFactory, RiskFactory

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    "name", ["projects:deliverable_add", "projects:milestone_add", "projects:cost_add"]
)
def test_every_inline_form_also_has_its_own_page(client, manager, project, name):
    client.force_login(manager)
    response = client.get(reverse(name, args=[project.slug]))
    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()


def test_the_add_forms_load_in_place_when_opened(client, manager, project):
    """The scope page and the timeline offer their add forms (with a select of the roadmap's
    items, or a checkbox per milestone) closed and empty; opening one asks for it (htmx), and
    it posts back to the region with the page's filters."""
    first = MilestoneFactory(project=project, title="Contract signed")
    client.force_login(manager)
    scope = client.get(reverse("projects:scope", args=[project.slug]) + "?status=blocked")
    assert "Add a deliverable" in scope.content.decode()
    assert 'name="roadmap_item"' not in scope.content.decode()
    add_url = reverse("projects:deliverable_add", args=[project.slug])
    form = client.get(add_url + "?status=blocked", **HX).content.decode()
    assert "<html" not in form
    assert f'hx-post="{add_url}?status=blocked"' in form
    assert 'name="roadmap_item"' in form
    assert "autofocus" in form
    timeline = client.get(reverse("projects:timeline", args=[project.slug])).content.decode()
    assert "Add a milestone" in timeline
    assert 'name="depends_on"' not in timeline
    form = client.get(reverse("projects:milestone_add", args=[project.slug]), **HX)
    assert f'value="{first.pk}"' in form.content.decode()
    assert 'hx-target="#milestones"' in form.content.decode()


def test_adding_a_milestone_with_dependencies_in_place(client, manager, project):
    first = MilestoneFactory(project=project, title="Contract signed")
    client.force_login(manager)
    response = client.post(
        reverse("projects:milestone_add", args=[project.slug]),
        {"title": "Go live", "due_date": "2026-11-20", "depends_on": [str(first.pk)]},
        **HX,
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="milestones"')
    live = Milestone.objects.get(title="Go live")
    assert list(live.depends_on.all()) == [first]


def test_a_milestone_without_a_date_is_refused_in_place(client, manager, project):
    client.force_login(manager)
    response = client.post(
        reverse("projects:milestone_add", args=[project.slug]), {"title": "Go live"}, **HX
    )
    assert response.status_code == 422
    assert 'value="Go live"' in response.content.decode()


def test_editing_and_deleting_a_milestone(client, manager, project):
    milestone = MilestoneFactory(project=project, title="Rehearsal")
    client.force_login(manager)
    url = reverse("projects:milestone_edit", args=[project.slug, milestone.pk])
    response = client.post(
        url,
        {"version": "1", "title": "Rehearsal", "due_date": "2026-09-01", "done_on": "2026-09-02"},
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.done_on == date(2026, 9, 2)
    client.post(
        reverse("projects:milestone_delete", args=[project.slug, milestone.pk]), {"version": "2"}
    )
    assert not Milestone.objects.filter(pk=milestone.pk).exists()


def test_adding_a_cost_line_in_place_and_editing_it(client, manager, editor, project):
    client.force_login(manager)
    response = client.post(
        reverse("projects:cost_add", args=[project.slug]),
        {"category": "vendor", "description": "Partner", "planned": "52000", "date": "2026-09-05"},
        **HX,
    )
    assert response.content.decode().lstrip().startswith('<section id="budget"')
    line = CostLine.objects.get(description="Partner")
    url = reverse("projects:cost_edit", args=[project.slug, line.pk])
    services.cost_line_update(
        cost_line_id=line.pk, expected_version=1, by=editor, changes={"actual": Decimal("56000")}
    )
    stale = client.post(
        url,
        {
            "version": "1",
            "category": "vendor",
            "description": "Partner",
            "planned": "52000",
            "actual": "50000",
            "date": "2026-09-05",
        },
    )
    assert stale.status_code == 409
    assert "56000" in stale.content.decode()
    client.post(reverse("projects:cost_delete", args=[project.slug, line.pk]), {"version": "2"})
    assert not CostLine.objects.filter(pk=line.pk).exists()


def test_a_negative_cost_is_refused_next_to_the_field(client, manager, project):
    client.force_login(manager)
    response = client.post(
        reverse("projects:cost_add", args=[project.slug]),
        {"category": "vendor", "description": "Refund", "planned": "-5", "date": "2026-09-05"},
    )
    assert response.status_code == 422
    assert "Ensure this value is greater than or equal to 0." in response.content.decode()


def test_spend_against_plan_and_forecast_at_completion(client, viewer, project):
    CostLineFactory(
        project=project, planned=Decimal("50000"), actual=Decimal("56000"), date=date(2026, 8, 10)
    )
    CostLineFactory(project=project, planned=Decimal("30000"), date=date(2026, 10, 10))
    client.force_login(viewer)
    # The overview sums in the database, the budget page from the lines: the same figures.
    for url in (project.get_absolute_url(), reverse("projects:budget", args=[project.slug])):
        summary = client.get(url).context["summary"]
        assert (summary.planned, summary.spent, summary.forecast) == (
            Decimal(80000),
            Decimal(56000),
            Decimal(86000),
        )
        assert summary.variance == Decimal(-34000)
    response = client.get(reverse("projects:budget", args=[project.slug]))
    months = {m.start: m for m in response.context["months"]}
    assert months[date(2026, 8, 1)].actual_total == Decimal(56000)
    assert months[date(2026, 10, 1)].planned_total == Decimal(80000)
    html = response.content.decode()
    assert 'class="planned-line"' in html
    assert 'class="actual-line"' in html


def test_editing_and_deleting_a_risk(client, manager, project):
    risk = RiskFactory(project=project, owner=manager, number=1)
    client.force_login(manager)
    url = reverse("projects:risk_edit", args=[project.slug, risk.pk])
    assert client.get(url).status_code == 200
    data = {
        "version": "1",
        "title": risk.title,
        "category": "budget",
        "probability": "5",
        "impact": "4",
        "owner": str(manager.pk),
        "status": "mitigating",
        "review_date": "2026-10-01",
    }
    assert client.post(url, data)["Location"] == reverse("projects:risks", args=[project.slug])
    risk.refresh_from_db()
    assert (risk.score, risk.status) == (20, "mitigating")
    client.post(reverse("projects:risk_delete", args=[project.slug, risk.pk]), {"version": "2"})
    assert not ProjectRisk.objects.filter(pk=risk.pk).exists()


def test_a_delete_without_confirmation_deletes_nothing(client, manager, project):
    risk = RiskFactory(project=project, owner=manager, number=1)
    client.force_login(manager)
    client.post(reverse("projects:risk_delete", args=[project.slug, risk.pk]), {})
    assert ProjectRisk.objects.filter(pk=risk.pk).exists()


@pytest.fixture
def change(project, product_owner, manager):
    request = services.change_request_create(
        project_id=project.pk, by=product_owner, title="Add XYZ", description="X", why="Y"
    )
    services.change_option_create(request_id=request.pk, by=manager, title="Keep ABC")
    return request


def test_editing_an_option_and_a_stale_edit_of_it(client, manager, editor, project, change):
    option = change.options.get()
    url = reverse("projects:option_edit", args=[project.slug, change.number, option.pk])
    client.force_login(manager)
    assert client.get(url).status_code == 200
    data = {
        "version": "1",
        "title": "Keep ABC, backlog XYZ",
        "deadline_days": "0",
        "budget_amount": "0",
    }
    assert client.post(url, data).status_code == 302
    services.change_option_update(
        option_id=option.pk, expected_version=2, by=editor, changes={"title": "Eddie's title"}
    )
    stale = client.post(url, {**data, "version": "2", "title": "Mine"})
    assert stale.status_code == 409
    assert "Eddie&#x27;s title" in stale.content.decode()


def test_removing_an_option(client, manager, project, change):
    option = change.options.get()
    client.force_login(manager)
    client.post(
        reverse("projects:option_delete", args=[project.slug, change.number, option.pk]),
        {"version": "1"},
    )
    assert not ChangeOption.objects.filter(pk=option.pk).exists()


def test_rejecting_keeps_the_request_visible_with_its_reason(
    client, product_owner, project, change
):
    client.force_login(product_owner)
    client.post(
        reverse("projects:change_decide", args=[project.slug, change.number]),
        {"choice": "reject", "rationale": "After Black Friday"},
    )
    page = client.get(
        reverse("projects:change", args=[project.slug, change.number])
    ).content.decode()
    assert "Request rejected" in page
    assert "After Black Friday" in page
    assert "Rejected" in client.get(project.get_absolute_url()).content.decode()


def test_a_withdrawn_request_stays_visible_and_cannot_be_decided(
    client, product_owner, project, change
):
    client.force_login(product_owner)
    client.post(reverse("projects:change_withdraw", args=[project.slug, change.number]))
    option = change.options.get()
    response = client.post(
        reverse("projects:change_decide", args=[project.slug, change.number]),
        {"choice": str(option.pk), "rationale": "Too late"},
        follow=True,
    )
    html = response.content.decode()
    assert "Not decided: CR-1 is already withdrawn." in html
    assert "Withdrawn" in html
    assert project.baselines.count() == 1


def test_options_cannot_change_after_the_decision(client, manager, product_owner, project, change):
    option = change.options.get()
    services.change_request_decide(
        request_id=change.pk, by=product_owner, rationale="A", option_id=option.pk
    )
    client.force_login(manager)
    url = reverse("projects:option_edit", args=[project.slug, change.number, option.pk])
    response = client.post(
        url,
        {"version": "1", "title": "Sneaky", "deadline_days": "30", "budget_amount": "0"},
        follow=True,
    )
    assert "CR-1 is already accepted." in response.content.decode()
    option.refresh_from_db()
    assert option.title == "Keep ABC"


def test_the_request_form_offers_the_products_roadmap_and_kpis(client, product_owner, project):
    from tests.projects.factories import make_kpi, make_roadmap_item

    kpi = make_kpi(project.product)
    item = make_roadmap_item(project.product, "Recommendations", kpi=kpi)
    client.force_login(product_owner)
    page = client.get(
        reverse("projects:change_new", args=[project.slug]) + f"?roadmap_item={item.pk}"
    ).content.decode()
    assert f'<option value="{item.pk}" selected>Recommendations</option>' in page
    assert "Repurchase rate" in page
    missing = client.post(
        reverse("projects:change_new", args=[project.slug]),
        {"title": "X", "description": " ", "why": ""},
    )
    assert missing.status_code == 422
    assert missing.content.decode().count("This field is required.") == 2
