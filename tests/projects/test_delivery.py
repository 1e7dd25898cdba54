"""Both ways: what the product side shows of projects through products.extensions: who
delivers each roadmap item (derived from in-scope deliverables, one query), and the product
page's Projects section; and the project page's own panels (projects.extensions)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse

from products import extensions as product_extensions
from projects import delivery, extensions, health
from projects.extensions import ProjectPanel
from tests.projects.factories import (
    DeliverableFactory,
    MilestoneFactory,
    ProjectFactory,
    approved_project,
    grant_planner,
    make_roadmap_item,
)

TODAY = date(2026, 10, 1)


@pytest.fixture
def traced(project):
    item = make_roadmap_item(project.product, "Abandoned carts (ABC)")
    project.deliverables.update(roadmap_item=item)
    return item


def test_the_projects_app_registers_both_extension_points():
    assert product_extensions.EXTENSIONS.item_delivery is delivery.item_deliveries
    assert product_extensions.EXTENSIONS.panels["projects"] is delivery.projects_panel


def test_an_item_is_delivered_by_the_project_whose_scope_traces_to_it(
    project, traced, django_assert_num_queries
):
    other = make_roadmap_item(project.product, "Not delivered")
    with time_machine.travel(TODAY, tick=False), django_assert_num_queries(1):
        found = delivery.item_deliveries([traced.pk, other.pk])
    assert list(found) == [traced.pk]
    shown = found[traced.pk]
    assert shown.project_name == project.name
    assert shown.url == project.get_absolute_url()
    assert shown.status_label == "Planned · 0 of 2 done"
    assert shown.forecast == project.deadline - timedelta(days=14)
    assert shown.late is False


def test_overdue_work_makes_the_delivery_late_and_out_of_scope_work_does_not_count(project, traced):
    project.deliverables.filter(title="Feature A").update(
        status="in_progress", due_date=TODAY - timedelta(days=3)
    )
    with time_machine.travel(TODAY, tick=False):
        shown = delivery.item_deliveries([traced.pk])[traced.pk]
    assert (shown.late, shown.status_label) == (True, "In progress · 0 of 2 done")
    project.deliverables.update(in_scope=False)
    assert delivery.item_deliveries([traced.pk]) == {}


def test_when_two_projects_trace_to_an_item_the_one_with_more_of_it_delivers(
    project, traced, manager
):
    second = ProjectFactory(product=project.product, manager=manager, name="Second")
    DeliverableFactory(project=second, roadmap_item=traced)
    assert delivery.item_deliveries([traced.pk])[traced.pk].project_name == project.name
    for _ in range(2):
        DeliverableFactory(project=second, roadmap_item=traced)
    assert delivery.item_deliveries([traced.pk])[traced.pk].project_name == "Second"


def test_the_product_page_section_lists_its_projects_with_health_and_next_milestone(
    project, manager, viewer, django_assert_num_queries
):
    MilestoneFactory(project=project, title="Go-live", due_date=TODAY + timedelta(days=20))
    ProjectFactory(product=project.product, manager=manager, name="Proposed one")
    with time_machine.travel(TODAY, tick=False):
        panel = delivery.projects_panel(project.product, viewer)
        with django_assert_num_queries(1):  # the projects; figures and permissions were read
            again = delivery.projects_panel(project.product, viewer)
    assert panel.title == "Projects"
    assert panel.template == "projects/_product_panel.html"
    rows = again.context["project_rows"]
    assert [row["project"].name for row in rows] == [project.name, "Proposed one"]
    assert rows[0]["project"].next_title == "Go-live"
    assert rows[1]["health"].label == "Not baselined"
    assert again.context["create_project_url"] == ""
    grant_planner(viewer)
    url = delivery.projects_panel(project.product, viewer).context["create_project_url"]
    assert url == reverse("projects:create") + f"?product={project.product.pk}"


def test_the_section_costs_the_same_queries_for_many_projects(
    manager, viewer, product_owner, django_assert_num_queries
):
    first = approved_project(manager=manager, product_owner=product_owner)
    grant_planner(viewer)
    delivery.projects_panel(first.product, viewer)  # warms the figures and the permissions
    for _ in range(5):
        ProjectFactory(product=first.product, manager=manager)
    delivery.projects_panel(first.product, viewer)
    with django_assert_num_queries(1):
        rows = delivery.projects_panel(first.product, viewer).context["project_rows"]
    assert len(rows) == 6


def test_the_project_page_shows_the_panels_other_apps_register(client, project, viewer):
    client.force_login(viewer)
    assert "project-panel" not in client.get(project.get_absolute_url()).content.decode()

    def next_sync(shown_project, user):
        if shown_project.pk != project.pk:
            return None
        costs = health.Costs.for_project(shown_project, TODAY)
        return ProjectPanel(
            title="Next sync", template="projects/_cost_stats.html", context={"costs": costs}
        )

    extensions.register_project_panel(next_sync)
    try:
        html = client.get(project.get_absolute_url()).content.decode()
    finally:
        extensions._panels.remove(next_sync)
    assert '<h2 id="panel-1">Next sync</h2>' in html
