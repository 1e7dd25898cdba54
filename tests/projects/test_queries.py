"""Query budget: every project page issues the same number of queries with 30 and with 300
deliverables and milestones (the lists are pages of 100 rows, the overview's lists are short, the
figures are aggregates), within a budget per page."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects import services
from projects.models import (
    CostLine,
    Deliverable,
    DeliverableDependency,
    Milestone,
    MilestoneDependency,
    ProjectRisk,
)
from tests.projects.factories import approved_project, make_kpi, make_roadmap_item

# Queries per page, the session's and the user's included. The overview reads each figure group
# and each short list with a query of its own.
BUDGET = {"projects:detail": 20, "projects:timeline": 10, "projects:scope": 10}


def fill(project, size: int) -> None:
    """`size` deliverables and `size` milestones (a chain of dependencies), traced to roadmap
    items, with cost lines, risks and change requests in proportion; whatever the size, every
    list of the overview has something to show (overdue and next-due work, a flagged
    milestone, scope added and removed since the baseline), as the overview skips a list whose
    count is 0."""
    from django.utils import timezone

    product = project.product
    kpi = make_kpi(product, name=f"KPI {size}")
    items = [make_roadmap_item(product, f"Item {n}", kpi=kpi) for n in range(3)]
    start = project.start_date
    made = Deliverable.objects.bulk_create(
        Deliverable(
            project=project,
            title=f"Deliverable {n}",
            group=f"Phase {n % 4}",
            owner=project.manager if n % 2 else None,
            roadmap_item=items[n % 3],
            start_date=start + timedelta(days=n % 60),
            due_date=start + timedelta(days=n % 60 + 10),
            status="done" if n % 4 == 0 else "planned",
            done_on=start + timedelta(days=n % 60 + 10) if n % 4 == 0 else None,
        )
        for n in range(size)
    )
    # Finish-to-start links: each deliverable after the one before (every third link lagged).
    DeliverableDependency.objects.bulk_create(
        DeliverableDependency(predecessor=a, successor=b, lag_days=n % 3)
        for n, (a, b) in enumerate(zip(made, made[1:], strict=False))
    )
    Deliverable.objects.create(
        project=project, title="Due ahead", due_date=timezone.localdate() + timedelta(days=30)
    )
    Deliverable.objects.filter(project=project, title="Feature A").update(in_scope=False)
    milestones = Milestone.objects.bulk_create(
        Milestone(project=project, title=f"Milestone {n}", due_date=start + timedelta(days=n % 120))
        for n in range(size)
    )
    MilestoneDependency.objects.bulk_create(
        MilestoneDependency(predecessor=a, successor=b)
        for a, b in zip(milestones, milestones[1:], strict=False)
    )
    Milestone.objects.create(
        project=project, title="After the deadline", due_date=project.deadline + timedelta(days=1)
    )
    CostLine.objects.bulk_create(
        CostLine(
            project=project,
            category="labour",
            description=f"Cost {n}",
            planned=Decimal(100),
            actual=Decimal(90) if n % 2 else None,
            date=start + timedelta(days=n % 100),
        )
        for n in range(size)
    )
    ProjectRisk.objects.bulk_create(
        ProjectRisk(
            project=project,
            number=n + 1,
            title=f"Risk {n}",
            category="technical",
            probability=n % 5 + 1,
            impact=(n * 3) % 5 + 1,
            owner=project.manager,
            review_date=date(2026, 10, 1),
        )
        for n in range(size)
    )
    owner = product.asset.owner
    for n in range(max(1, size // 50)):
        request = services.change_request_create(
            project_id=project.pk, by=owner, title=f"Change {n}", description="d", why="w"
        )
        services.change_option_create(
            request_id=request.pk, by=project.manager, title="A", budget_amount=Decimal(10)
        )
        services.change_option_create(
            request_id=request.pk, by=project.manager, title="B", deadline_days=1
        )
        if n % 2:
            services.change_request_decide(
                request_id=request.pk,
                by=owner,
                rationale="ok",
                option_id=request.options.first().pk,
            )


def count(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(queries)


@pytest.fixture
def two_sizes(manager, product_owner, editor):
    small = approved_project(
        manager=manager, product_owner=product_owner, name="Small", slug="small"
    )
    large = approved_project(
        manager=manager, product_owner=product_owner, name="Large", slug="large"
    )
    for p in (small, large):
        p.editors.add(editor)
    fill(small, 30)
    fill(large, 300)
    return small, large


@pytest.mark.parametrize("role", ["manager", "viewer"])
@pytest.mark.parametrize("page", ["projects:detail", "projects:timeline"])
def test_project_page_and_timeline_stay_within_budget_at_any_size(
    client, two_sizes, role, page, manager, viewer, django_assert_num_queries
):
    small, large = two_sizes
    client.force_login(manager if role == "manager" else viewer)
    few = count(client, reverse(page, args=[small.slug]))
    print(f"{page} as {role}: {few} queries")
    assert few <= BUDGET[page]
    with django_assert_num_queries(few):
        client.get(reverse(page, args=[large.slug]))


@pytest.mark.parametrize(
    "page",
    [
        "projects:scope",
        "projects:budget",
        "projects:changes",
        "projects:risks",
        "projects:export_mspdi",
        "projects:export_ics",
        "projects:export_deliverables",
        "projects:export_risks",
    ],
)
def test_other_project_pages_are_constant(
    client, two_sizes, manager, page, django_assert_num_queries
):
    small, large = two_sizes
    client.force_login(manager)

    def url(p):
        return reverse(
            page,
            args=[p.slug, p.slug]
            if page in ("projects:export_mspdi", "projects:export_ics")
            else [p.slug],
        )

    few = count(client, url(small))
    with django_assert_num_queries(few):
        client.get(url(large))


@pytest.mark.parametrize("role", ["manager", "viewer"])
@pytest.mark.parametrize("query", ["", "?scope=all", "?status=done&moscow=must", "?overdue=1"])
def test_scope_page_is_constant_whatever_the_filters(
    client, two_sizes, role, query, manager, viewer, django_assert_num_queries
):
    small, large = two_sizes
    client.force_login(manager if role == "manager" else viewer)
    few = count(client, reverse("projects:scope", args=[small.slug]) + query)
    assert few <= BUDGET["projects:scope"]
    with django_assert_num_queries(few):
        response = client.get(reverse("projects:scope", args=[large.slug]) + query)
    assert len(response.context["rows"]) > 0


def test_change_request_page_is_constant(
    client, two_sizes, product_owner, django_assert_num_queries
):
    small, large = two_sizes
    client.force_login(product_owner)
    few = count(client, reverse("projects:change", args=[small.slug, 1]))
    with django_assert_num_queries(few):
        client.get(reverse("projects:change", args=[large.slug, 1]))


def test_a_decided_request_reads_its_options_and_cost_lines_once(client, two_sizes, product_owner):
    """The decided option is taken from the options already read (its effects prefetched),
    and the cost lines the decision added are read with the column their manager checks."""
    _, large = two_sizes
    decided = large.change_requests.get(number=2)
    assert decided.decision.cost_lines.exists()
    client.force_login(product_owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("projects:change", args=[large.slug, 2]))
    assert response.status_code == 200
    assert "Option A accepted" in response.content.decode()
    sql = [q["sql"] for q in queries]
    for table in ("projects_changeoptionitem", "projects_costline", "projects_changeoption"):
        reads = [s for s in sql if s.startswith("SELECT") and f'FROM "{table}"' in s]
        assert len(reads) == 1, (table, reads)


@pytest.mark.parametrize("path", ["projects:index", "dashboard"])
def test_project_list_and_dashboard_are_constant(client, manager, django_assert_num_queries, path):
    client.force_login(manager)
    approved_project(manager=manager, name="First", slug="first")
    few = count(client, reverse(path))
    for n in range(40):
        project = approved_project(
            manager=manager, name=f"More {n}", slug=f"more-{n}", deliverables=3
        )
        if n % 10 == 0:
            fill(project, 3)
    with django_assert_num_queries(few):
        client.get(reverse(path))


def test_counts_are_measured_on_real_rows(two_sizes):
    small, large = two_sizes
    assert large.deliverables.count() == 303
    assert large.milestones.count() == 301
    assert small.deliverables.count() == 33
    assert small.milestones.count() == 31
