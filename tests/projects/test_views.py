"""The pages: htmx regions, forms that keep what was typed, stale edits shown, the decision
through the browser's plain forms."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from projects import services
from projects.models import Deliverable, Project
from tests.projects.factories import (
    DeliverableFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    grant_planner,
    make_product,
)

HX = {"HTTP_HX_REQUEST": "true"}


def test_project_page_shows_the_iron_triangle_health_and_its_rules(client, viewer, project):
    client.force_login(viewer)
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Iron triangle: now against the baseline" in html
    assert 'data-health="' in html
    assert "How the health status is computed" in html
    assert "more than 14 days after the baselined deadline" in html


def test_adding_a_deliverable_with_htmx_swaps_the_scope_and_announces_the_change(
    client, manager, project
):
    client.force_login(manager)
    response = client.post(
        reverse("projects:deliverable_add", args=[project.slug]),
        {"title": "Feature XYZ", "status": "planned", "moscow": "should", "in_scope": "on"},
        **HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="scope"')
    assert "Feature XYZ" in html
    assert "projectChanged" in json.loads(response["HX-Trigger"])
    # The triangle region listens for the event and refreshes itself.
    refreshed = client.get(project.get_absolute_url(), HTTP_HX_TARGET="triangle", **HX)
    assert refreshed.content.decode().lstrip().startswith('<section id="triangle"')
    assert "+1 / −0" in refreshed.content.decode()


def test_adding_a_deliverable_without_javascript_redirects_to_the_scope(client, manager, project):
    client.force_login(manager)
    response = client.post(
        reverse("projects:deliverable_add", args=[project.slug]),
        {"title": "Feature XYZ", "status": "planned", "moscow": "must", "in_scope": "on"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#scope")


def test_a_bad_deliverable_keeps_the_input_and_says_what_is_wrong(client, manager, project):
    client.force_login(manager)
    data = {
        "title": "Keep me",
        "status": "planned",
        "moscow": "wont",
        "in_scope": "on",
        "start_date": "2026-09-10",
        "due_date": "2026-09-01",
    }
    response = client.post(reverse("projects:deliverable_add", args=[project.slug]), data, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Keep me"' in html
    assert "The due date cannot be before the start." in html
    assert "A won&#x27;t-have deliverable is out of scope" in html
    plain = client.post(reverse("projects:deliverable_add", args=[project.slug]), data)
    assert plain.status_code == 422
    assert 'value="Keep me"' in plain.content.decode()
    assert not Deliverable.objects.filter(title="Keep me").exists()


def test_a_stale_deliverable_edit_shows_the_other_persons_change(client, manager, editor, project):
    d = project.deliverables.get(title="Feature A")
    client.force_login(manager)
    form = client.get(reverse("projects:deliverable_edit", args=[project.slug, d.pk]))
    assert 'name="version" value="1"' in form.content.decode()
    services.deliverable_update(
        deliverable_id=d.pk, expected_version=1, by=editor, changes={"title": "Feature A, renamed"}
    )
    response = client.post(
        reverse("projects:deliverable_edit", args=[project.slug, d.pk]),
        {
            "version": "1",
            "title": "Feature A, mine",
            "status": "in_progress",
            "moscow": "must",
            "in_scope": "on",
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert f"{editor.get_full_name()} saved a change while you were editing" in html
    assert "Feature A, renamed" in html  # theirs
    assert 'value="Feature A, mine"' in html  # yours, kept
    assert 'name="version" value="2"' in html  # sending again overwrites on purpose
    d.refresh_from_db()
    assert d.title == "Feature A, renamed"
    again = client.post(
        reverse("projects:deliverable_edit", args=[project.slug, d.pk]),
        {
            "version": "2",
            "title": "Feature A, mine",
            "status": "in_progress",
            "moscow": "must",
            "in_scope": "on",
        },
    )
    assert again.status_code == 302
    d.refresh_from_db()
    assert d.title == "Feature A, mine"


def test_a_stale_project_edit_shows_the_other_persons_change(client, manager, editor, project):
    client.force_login(manager)
    services.project_update(
        project_id=project.pk,
        expected_version=project.version,
        by=editor,
        changes={"name": "Renamed by Eddie"},
    )
    data = {
        "version": str(project.version),
        "name": "Mine",
        "manager": str(manager.pk),
        "status": "active",
        "methodology": "hybrid",
        "benefits": project.benefits,
        "outcomes": project.outcomes,
        "product": str(project.product_id),
    }
    response = client.post(reverse("projects:edit", args=[project.slug]), data)
    assert response.status_code == 409
    assert "Renamed by Eddie" in response.content.decode()


def test_the_deadline_and_budget_cannot_be_edited_after_approval(client, manager, project):
    client.force_login(manager)
    page = client.get(reverse("projects:edit", args=[project.slug])).content.decode()
    assert "Fixed by the approved baseline" in page
    data = {
        "version": str(project.version),
        "name": project.name,
        "manager": str(manager.pk),
        "status": "active",
        "methodology": "hybrid",
        "benefits": project.benefits,
        "outcomes": project.outcomes,
        "product": str(project.product_id),
        "deadline": "2027-06-01",
        "budget": "1",
        "start_date": "2026-01-01",
        "currency": "USD",
    }
    assert client.post(reverse("projects:edit", args=[project.slug]), data).status_code == 302
    project.refresh_from_db()
    assert (project.deadline, project.budget, project.currency) == (
        date(2026, 11, 23),
        Decimal("120000"),
        "EUR",
    )


def test_activating_an_unapproved_project_is_refused_next_to_the_status(client, db):
    project = ProjectFactory(product=make_product())
    client.force_login(project.manager)
    data = {
        "version": "1",
        "name": project.name,
        "manager": str(project.manager.pk),
        "status": "active",
        "methodology": "hybrid",
        "start_date": "2026-07-27",
        "deadline": "2026-11-23",
        "budget": "100",
        "currency": "EUR",
        "benefits": "",
        "outcomes": "x",
    }
    response = client.post(reverse("projects:edit", args=[project.slug]), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "A project becomes active only with an approved baseline, stated benefits." in html
    project.refresh_from_db()
    assert project.status == "proposed"


def test_creating_a_project_makes_the_creator_its_manager_by_default(client, manager):
    grant_planner(manager)
    client.force_login(manager)
    page = client.get(reverse("projects:create")).content.decode()
    assert f'<option value="{manager.pk}" selected>' in page
    data = {
        "name": "CRM MVP",
        "manager": str(manager.pk),
        "methodology": "scrum",
        "start_date": "2026-01-05",
        "deadline": "2026-06-30",
        "budget": "240000",
        "currency": "eur",
    }
    response = client.post(reverse("projects:create"), data)
    project = Project.objects.get(slug="crm-mvp")
    assert response["Location"] == project.get_absolute_url()
    assert (project.manager, project.currency, project.status) == (manager, "EUR", "proposed")


def test_a_deadline_before_the_start_is_refused_next_to_the_deadline(client, manager):
    grant_planner(manager)
    client.force_login(manager)
    data = {
        "name": "Backwards",
        "manager": str(manager.pk),
        "methodology": "scrum",
        "start_date": "2026-06-30",
        "deadline": "2026-01-05",
        "budget": "-5",
        "currency": "EUR",
    }
    response = client.post(reverse("projects:create"), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert "The deadline must be after the start date." in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert 'value="Backwards"' in html


def test_marking_done_with_htmx_updates_the_scope(client, manager, project):
    d = project.deliverables.get(title="Feature A")
    client.force_login(manager)
    response = client.post(
        reverse("projects:deliverable_done", args=[project.slug, d.pk]), {"version": "1"}, **HX
    )
    assert response.status_code == 200
    d.refresh_from_db()
    assert d.status == "done"
    stale = client.post(
        reverse("projects:deliverable_done", args=[project.slug, d.pk]), {"version": "1"}, **HX
    )
    assert stale.status_code == 409
    assert "was changed by Marco Rossi since you loaded the page" in stale.content.decode()
    d.refresh_from_db()
    assert d.status == "done"


def test_deleting_a_deliverable_needs_the_version_seen(client, manager, project):
    d = project.deliverables.get(title="Feature B")
    client.force_login(manager)
    page = client.get(
        reverse("projects:deliverable_edit", args=[project.slug, d.pk])
    ).content.decode()
    assert "Yes, delete it" in page
    stale = client.post(
        reverse("projects:deliverable_delete", args=[project.slug, d.pk]), {"version": "7"}
    )
    assert stale.status_code == 302
    assert Deliverable.objects.filter(pk=d.pk).exists()
    # The baseline holds it: deleting it is refused, and the two ways allowed are offered.
    guarded = client.post(
        reverse("projects:deliverable_delete", args=[project.slug, d.pk]), {"version": "1"}
    )
    assert guarded.status_code == 409
    assert "Raise the change request" in guarded.content.decode()
    assert Deliverable.objects.filter(pk=d.pk).exists()
    # One added after the baseline is deleted at once.
    extra = DeliverableFactory(project=project, title="Scope creep")
    client.post(
        reverse("projects:deliverable_delete", args=[project.slug, extra.pk]), {"version": "1"}
    )
    assert not Deliverable.objects.filter(pk=extra.pk).exists()


def test_milestone_form_refuses_a_loop_next_to_the_dependencies(client, manager, project):
    a = MilestoneFactory(project=project, title="A")
    b = services.milestone_create(
        project=project, by=manager, title="B", due_date=date(2026, 10, 1), depends_on=[a]
    )
    client.force_login(manager)
    response = client.post(
        reverse("projects:milestone_edit", args=[project.slug, a.pk]),
        {"version": "1", "title": "A", "due_date": "2026-09-01", "depends_on": [str(b.pk)]},
    )
    assert response.status_code == 422
    assert "That would make a loop" in response.content.decode()


@time_machine.travel(date(2026, 10, 15), tick=False)
def test_timeline_draws_today_the_deadline_overdue_work_and_flags(client, viewer, project, manager):
    late = project.deliverables.get(title="Feature A")
    services.deliverable_update(
        deliverable_id=late.pk,
        expected_version=1,
        by=manager,
        changes={"due_date": date(2026, 10, 1)},
    )
    before = MilestoneFactory(project=project, title="Rehearsal", due_date=date(2026, 10, 20))
    after = MilestoneFactory(project=project, title="Switch-off", due_date=date(2026, 12, 1))
    services.milestone_update(
        milestone_id=before.pk, expected_version=1, by=manager, changes={}, depends_on=[after]
    )
    client.force_login(viewer)
    html = client.get(reverse("projects:timeline", args=[project.slug])).content.decode()
    assert "<svg" in html
    assert 'class="timeline"' in html
    assert ">Today</text>" in html
    assert ">Deadline</text>" in html
    assert 'class="row row-deliverable overdue"' in html
    assert "due after the project&#x27;s deadline" in html
    assert "due before “Switch-off”, which it depends on" in html
    assert 'marker-end="url(#arrow)"' in html
    assert "overdue since 1 Oct" in html


def test_risk_matrix_places_open_risks_by_probability_and_impact(client, viewer, project, manager):
    RiskFactory(project=project, number=1, probability=4, impact=2, owner=manager)
    RiskFactory(project=project, number=2, probability=5, impact=5, owner=manager, status="closed")
    RiskFactory(
        project=project,
        number=3,
        probability=2,
        impact=5,
        owner=manager,
        review_date=date(2020, 1, 1),
    )
    client.force_login(viewer)
    response = client.get(reverse("projects:risks", args=[project.slug]))
    matrix = response.context["matrix"]
    cell = {
        (row["probability"], c["impact"]): [r.code for r in c["risks"]]
        for row in matrix
        for c in row["cells"]
    }
    assert cell[(4, 2)] == ["R1"]
    assert cell[(2, 5)] == ["R3"]
    assert cell[(5, 5)] == []  # closed risks stay off the matrix
    html = response.content.decode()
    assert "Review overdue since 1 Jan" in html
    assert 'class="risk-chip late"' in html


def test_a_risk_without_owner_is_refused_and_the_input_kept(client, manager, project):
    client.force_login(manager)
    response = client.post(
        reverse("projects:risk_add", args=[project.slug]),
        {
            "title": "Vendor late",
            "category": "vendor",
            "probability": "9",
            "impact": "3",
            "status": "open",
            "review_date": "2026-10-01",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="Vendor late"' in html
    assert "Select a valid choice" in html


def test_the_decision_flow_through_plain_forms(client, project, manager, product_owner):
    client.force_login(product_owner)
    response = client.post(
        reverse("projects:change_new", args=[project.slug]),
        {"title": "Add XYZ", "description": "XYZ on top of ABC", "why": "Repurchase rate"},
    )
    url = reverse("projects:change", args=[project.slug, 1])
    assert response["Location"] == url
    client.force_login(manager)
    client.post(
        reverse("projects:option_add", args=[project.slug, 1]),
        {
            "title": "Add budget and move the deadline",
            "adds": "Feature XYZ",
            "deadline_days": "14",
            "budget_amount": "20000",
        },
    )
    option = project.change_requests.get().options.get()
    client.force_login(product_owner)
    page = client.get(url).content.decode()
    assert "Option B" not in page
    assert "+14 days" in page
    assert "7 Dec 2026" in page
    missing = client.post(
        reverse("projects:change_decide", args=[project.slug, 1]), {"choice": str(option.pk)}
    )
    assert missing.status_code == 422
    assert "This field is required." in missing.content.decode()
    decided = client.post(
        reverse("projects:change_decide", args=[project.slug, 1]),
        {"choice": str(option.pk), f"option_version_{option.pk}": "1", "rationale": "Worth it"},
    )
    assert decided["Location"] == url + "#decision"
    html = client.get(project.get_absolute_url()).content.decode()
    assert "data-now-deadline>7 Dec 2026</td>" in html
    assert "data-now-budget>EUR\u00a0140,000</td>" in html
    again = client.post(
        reverse("projects:change_decide", args=[project.slug, 1]),
        {"choice": "reject", "rationale": "Changed my mind"},
        follow=True,
    )
    assert "Not decided: CR-1 is already accepted." in again.content.decode()


def test_deciding_on_an_option_changed_meanwhile_shows_it_again(
    client, project, manager, product_owner
):
    request = services.change_request_create(
        project_id=project.pk, by=product_owner, title="X", description="X", why="Y"
    )
    option = services.change_option_create(
        request_id=request.pk, by=manager, title="B", budget_amount=Decimal(100)
    )
    services.change_option_update(
        option_id=option.pk,
        expected_version=1,
        by=manager,
        changes={"budget_amount": Decimal(9000)},
    )
    client.force_login(product_owner)
    response = client.post(
        reverse("projects:change_decide", args=[project.slug, 1]),
        {"choice": str(option.pk), f"option_version_{option.pk}": "1", "rationale": "Cheap"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Option A changed while you were deciding" in html
    assert "+9,000" in html


def test_projects_list_filters_by_status_and_involvement(client, manager, project, viewer):
    ProjectFactory(name="Other project")
    client.force_login(manager)
    everything = client.get(reverse("projects:index")).content.decode()
    assert project.name in everything
    assert "Other project" in everything
    mine = client.get(reverse("projects:index") + "?mine=1").content.decode()
    assert project.name in mine
    assert "Other project" not in mine
    proposed = client.get(reverse("projects:index") + "?status=proposed", **HX).content.decode()
    assert proposed.lstrip().startswith('<div id="project-list"')
    assert "Other project" in proposed
    assert project.name not in proposed


def test_empty_projects_list_says_what_a_project_is(client, viewer):
    client.force_login(viewer)
    html = client.get(reverse("projects:index")).content.decode()
    assert "No projects yet" in html
    assert "Start the first project" not in html
    assert "needs the planner permission" in html
    grant_planner(viewer)
    html = client.get(reverse("projects:index")).content.decode()
    assert "Start the first project" in html


def test_dashboard_card_shows_health_deadline_and_requests_awaiting_the_user(
    client, project, manager, product_owner
):
    request = services.change_request_create(
        project_id=project.pk, by=product_owner, title="Add XYZ", description="X", why="Y"
    )
    client.force_login(manager)
    html = client.get("/").content.decode()
    assert project.name in html
    assert "CR-1 awaits your options" in html
    services.change_option_create(request_id=request.pk, by=manager, title="Keep ABC")
    client.force_login(product_owner)
    html = client.get("/").content.decode()
    assert "CR-1 awaits your decision" in html
    assert "product owner" in html


@pytest.mark.parametrize("days", [0, 30])
def test_deadline_counts_down_on_the_project_page(client, viewer, project, days):
    with time_machine.travel(project.deadline - timedelta(days=days), tick=False):
        client.force_login(viewer)
        html = client.get(project.get_absolute_url()).content.decode()
    assert ("today" if days == 0 else f"in {days} days") in html


def test_out_of_scope_deliverables_are_counted_on_the_overview_and_listed_as_backlog(
    client, viewer, project
):
    DeliverableFactory(project=project, title="Someday", moscow="wont", in_scope=False)
    client.force_login(viewer)
    html = client.get(project.get_absolute_url()).content.decode()
    backlog = reverse("projects:scope", args=[project.slug]) + "?scope=out"
    assert f'<a href="{backlog}">out of scope · backlog</a>' in html
    assert "Someday" not in html  # the overview counts; the scope page lists
    page = client.get(backlog).content.decode()
    assert "Someday" in page
    assert '<span class="badge">Out of scope</span>' in page
    assert "Feature A" not in page


def test_no_option_is_chosen_for_the_product_owner(client, project, manager, product_owner):
    """A decision is final: the form starts with no option chosen, a decision without one is
    refused with a message saying what to do, and the rationale typed is kept."""
    change = services.change_request_create(
        project_id=project.pk, by=product_owner, title="Add XYZ", description="", why="Worth it"
    )
    option = services.change_option_create(request_id=change.pk, by=manager, title="Keep ABC")
    url = reverse("projects:change", args=[project.slug, change.number])
    client.force_login(product_owner)
    page = client.get(url).content.decode()
    assert 'name="choice"' in page
    assert "checked" not in page.split('id="decide"')[1].split("</form>")[0]
    refused = client.post(
        reverse("projects:change_decide", args=[project.slug, change.number]),
        {f"option_version_{option.pk}": "1", "rationale": "Typed with care"},
    )
    assert refused.status_code == 422
    html = refused.content.decode()
    assert "Choose an option, or reject the request." in html
    assert "Typed with care" in html
    change.refresh_from_db()
    assert change.is_open


def test_a_project_links_to_the_product_it_serves_and_shows_its_status(
    client, project, manager, product_owner
):
    client.force_login(manager)
    for url in (project.get_absolute_url(), reverse("projects:changes", args=[project.slug])):
        html = client.get(url).content.decode()
        product_url = reverse("products:detail", args=[project.product.asset.slug])
        assert f'<a class="badge badge-product" href="{product_url}"' in html
        assert f'<span class="badge badge-project status-{project.status}">' in html
    client.force_login(product_owner)  # who may ask for a change
    changes = client.get(reverse("projects:changes", args=[project.slug])).content.decode()
    assert changes.count(">Ask for a change</a>") == 1
