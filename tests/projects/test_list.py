"""The projects list: filtered and grouped by product and status in the URL, each filter with
its counts, in the same number of queries at any size; creating projects needs the "planner"
permission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import Project
from tests.projects.factories import START, ProjectFactory, grant_planner, make_product


@pytest.fixture
def portfolio(db, manager):
    email = make_product(name="Email platform")
    crm = make_product(name="CRM")
    ProjectFactory(name="Replace legacy email", product=email, manager=manager, status="cancelled")
    ProjectFactory(name="CRM MVP", product=crm, manager=manager, status="proposed")
    ProjectFactory(name="Calls", product=crm, manager=manager, status="proposed")
    ProjectFactory(name="Internal tooling", manager=manager, status="on_hold")
    return email, crm


def names(html: str) -> list[str]:
    return [name for name in Project.objects.values_list("name", flat=True) if name in html]


def test_filtering_by_product_and_status_keeps_the_filters_in_the_address(
    client, viewer, portfolio
):
    email, crm = portfolio
    client.force_login(viewer)
    html = client.get(reverse("projects:index") + f"?product={crm.asset.slug}").content.decode()
    assert sorted(names(html)) == ["CRM MVP", "Calls"]
    html = client.get(
        reverse("projects:index") + f"?product={crm.asset.slug}&status=proposed"
    ).content.decode()
    assert sorted(names(html)) == ["CRM MVP", "Calls"]
    html = client.get(reverse("projects:index") + "?product=none").content.decode()
    assert names(html) == ["Internal tooling"]
    html = client.get(reverse("projects:index") + "?status=on_hold").content.decode()
    assert names(html) == ["Internal tooling"]
    # The status facets count under the product filter, and link with it kept.
    html = client.get(reverse("projects:index") + f"?product={crm.asset.slug}").content.decode()
    assert 'Proposed <span class="count">2</span>' in html
    assert f'href="/projects/?product={crm.asset.slug}&amp;status=proposed"' in html


def test_grouping_by_product_heads_each_group_with_its_count(client, viewer, portfolio):
    client.force_login(viewer)
    html = client.get(reverse("projects:index") + "?group=product").content.decode()
    heads = [
        f'{name} <span class="muted count">' for name in ("CRM", "Email platform", "No product")
    ]
    positions = [html.index(head) for head in heads]
    assert positions == sorted(positions)
    assert 'CRM <span class="muted count">2 projects</span>' in html
    assert positions[0] < html.index("CRM MVP") < positions[1]
    html = client.get(reverse("projects:index") + "?group=status").content.decode()
    assert 'Proposed <span class="muted count">2 projects</span>' in html


def test_the_list_reads_the_same_number_of_queries_at_two_sizes(
    client, viewer, manager, django_assert_num_queries
):
    def make(n: int) -> None:
        product = make_product()
        for _ in range(n):
            ProjectFactory(product=product, manager=manager)

    url = reverse("projects:index") + "?group=product&status=proposed"
    client.force_login(viewer)
    make(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    make(60)  # more than a page
    with django_assert_num_queries(len(few)):
        html = client.get(url).content.decode()
    assert "Page 1 of 2" in html


def test_only_planners_see_and_use_new_project(client, viewer, portfolio):
    client.force_login(viewer)
    assert "New project" not in client.get(reverse("projects:index")).content.decode()
    refused = client.get(reverse("projects:create"))
    assert refused.status_code == 403
    assert "Creating a project needs the planner permission" in refused.content.decode()
    assert "Staff grant it in the admin" in refused.content.decode()
    grant_planner(viewer)
    assert "New project" in client.get(reverse("projects:index")).content.decode()
    assert client.get(reverse("projects:create")).status_code == 200
    response = client.post(
        reverse("projects:create"),
        {
            "name": "Planned",
            "manager": str(viewer.pk),
            "methodology": "scrum",
            "start_date": str(START),
            "deadline": str(START + timedelta(days=90)),
            "budget": "1000",
            "currency": "EUR",
        },
    )
    assert response.status_code == 302
    assert Project.objects.filter(name="Planned").exists()
