"""Long projects stay small pages: the scope shows 50 deliverables at a time and the timeline
draws 50 at a time, "Show more" loads the next ones in place (htmx) or opens them as the next
page (a plain link), with the filters and the order kept in the URL; the project page keeps its
figures in the cache and still shows every change at once."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from projects import health, services
from projects.models import Deliverable
from tests.projects.factories import DeliverableFactory

HX = {"HTTP_HX_REQUEST": "true"}
TODAY = date(2026, 10, 15)


@pytest.fixture
def long_project(project):
    """120 more deliverables in scope, due one a day from 1 Aug (70 blocked), and 10 out of
    scope."""
    Deliverable.objects.bulk_create(
        Deliverable(
            project=project,
            title=f"Item {n:03d}",
            due_date=date(2026, 8, 1) + timedelta(days=n),
            status="blocked" if n < 70 else "planned",
        )
        for n in range(120)
    )
    Deliverable.objects.bulk_create(
        Deliverable(project=project, title=f"Later {n}", in_scope=False, moscow="wont")
        for n in range(10)
    )
    return project


def titles(response) -> list[str]:
    """The deliverables' titles, in the order of the rows (page or htmx part)."""
    html = response.content.decode()
    return re.findall(
        r'<tr id="deliverable-\d+"[^>]*>\s*<td>(?:<a [^>]*>)?<strong>([^<]*)</strong>', html
    )


def queries(request) -> int:
    """How many queries a request (a callable) sends."""
    sent = []

    def count(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        request()
    return len(sent)


@time_machine.travel(TODAY, tick=False)
def test_the_scope_shows_fifty_deliverables_and_a_link_to_the_next_ones(
    client, viewer, long_project
):
    client.force_login(viewer)
    url = reverse("projects:scope", args=[long_project.slug])
    first = client.get(url)
    html = first.content.decode()
    assert len(first.context["rows"]) == 50
    assert "122 deliverables." in html  # 120 and the two of the factory, in scope
    assert f'href="{url}?page=2"' in html
    assert f'hx-get="{url}?page=2"' in html
    assert 'hx-target="#scope-more"' in html
    assert "Show 50 more" in html
    assert "50 of 122 shown" in html


@time_machine.travel(TODAY, tick=False)
def test_show_more_with_htmx_answers_the_next_rows_and_the_next_link_only(
    client, viewer, long_project
):
    client.force_login(viewer)
    url = reverse("projects:scope", args=[long_project.slug])
    first = titles(client.get(url))
    more = client.get(url + "?page=2", HTTP_HX_TARGET="scope-more", **HX)
    html = more.content.decode()
    assert html.lstrip().startswith('<tr id="deliverable-')
    assert "<section" not in html
    assert "<table" not in html
    second = titles(more)
    assert len(second) == 50
    assert not set(first) & set(second)
    assert f'hx-get="{url}?page=3"' in html
    last = client.get(url + "?page=3", HTTP_HX_TARGET="scope-more", **HX)
    assert len(titles(last)) == 22
    assert 'id="scope-more"' not in last.content.decode()  # nothing more to load


@time_machine.travel(TODAY, tick=False)
def test_the_next_page_without_javascript_keeps_the_filters_and_the_order(
    client, viewer, long_project
):
    client.force_login(viewer)
    url = reverse("projects:scope", args=[long_project.slug])
    first = client.get(url + "?status=blocked&sort=title")
    assert titles(first)[:2] == ["Item 000", "Item 001"]
    assert f'href="{url}?status=blocked&amp;sort=title&amp;page=2"' in first.content.decode()
    second = client.get(url + "?status=blocked&sort=title&page=2")
    html = second.content.decode()
    assert titles(second) == [f"Item {n:03d}" for n in range(50, 70)]
    assert "Deliverables 51–70 of 70 (filtered)." in html
    assert f'href="{url}?status=blocked&amp;sort=title">Back to the first ones</a>' in html
    assert '<option value="title" selected>' in html
    assert '<option value="blocked" selected>' in html
    assert 'id="scope-more"' not in html


def test_a_page_past_the_end_shows_the_last_one(client, viewer, long_project):
    client.force_login(viewer)
    response = client.get(reverse("projects:scope", args=[long_project.slug]) + "?page=99")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 22
    nonsense = client.get(reverse("projects:scope", args=[long_project.slug]) + "?page=x")
    assert len(nonsense.context["rows"]) == 50


@pytest.mark.parametrize(
    ("sort", "first"),
    [("due", "Item 000"), ("title", "Could"), ("priority", "Item 000")],
)
def test_the_scope_sorts_by_due_date_title_or_priority(client, viewer, long_project, sort, first):
    DeliverableFactory(project=long_project, title="Could", moscow="could")
    client.force_login(viewer)
    rows = titles(client.get(reverse("projects:scope", args=[long_project.slug]) + f"?sort={sort}"))
    assert rows[0] == first
    if sort == "priority":  # must before should before could
        assert "Could" not in rows  # 123 musts come first: it is on page 3
    if sort == "title":
        assert rows == sorted(rows)


def test_marking_done_on_a_later_page_answers_the_region_with_the_filters(
    client, manager, long_project
):
    d = long_project.deliverables.get(title="Item 060")
    client.force_login(manager)
    url = reverse("projects:deliverable_done", args=[long_project.slug, d.pk]) + "?status=blocked"
    page = client.get(
        reverse("projects:scope", args=[long_project.slug]) + "?status=blocked&page=2"
    )
    assert f'formaction="{url.replace("&", "&amp;")}"' in page.content.decode()
    response = client.post(url, {"version": "1"}, **HX)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="scope"')
    assert "69 deliverables (filtered)." in response.content.decode()  # still the blocked ones
    d.refresh_from_db()
    assert d.status == "done"


@pytest.mark.parametrize("query", ["", "?status=blocked", "?sort=priority&overdue=1"])
def test_later_pages_and_show_more_cost_the_queries_of_the_first(
    client, viewer, long_project, query, django_assert_num_queries
):
    client.force_login(viewer)
    url = reverse("projects:scope", args=[long_project.slug]) + (query or "?")
    first = queries(lambda: client.get(url))
    assert first <= 8
    with django_assert_num_queries(first):
        client.get(url + "&page=2")
    with django_assert_num_queries(first):
        client.get(url + "&page=2", HTTP_HX_TARGET="scope-more", **HX)


# The timeline -------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_the_timeline_draws_fifty_deliverables_then_the_next_ones_on_the_same_axis(
    client, viewer, long_project
):
    client.force_login(viewer)
    url = reverse("projects:timeline", args=[long_project.slug])
    first = client.get(url)
    html = first.content.decode()
    chart = first.context["chart"]
    assert sum(1 for row in chart.rows if row.kind == "deliverable") == 50
    assert "Deliverables in scope (122)" in html
    assert f'hx-get="{url}?page=2"' in html
    assert "Show 50 more deliverables" in html
    more = client.get(url + "?page=2", HTTP_HX_TARGET="timeline-more", **HX)
    part = more.content.decode()
    assert part.lstrip().startswith('<svg class="timeline"')
    assert "Deliverables in scope (122), continued" in part
    assert 'id="tl-title-2"' in part
    first_month = re.search(r'<text x="([\d.]+)" y="22"', html).group(1)
    assert f'<text x="{first_month}" y="22"' in part  # the same time axis
    assert f'hx-get="{url}?page=3"' in part
    plain = client.get(url + "?page=3").content.decode()
    assert "Deliverables 101–122 of 122." in plain
    assert "Show 50 more" not in plain


@time_machine.travel(TODAY, tick=False)
def test_the_timeline_lists_the_first_overdue_deliverables_and_links_to_all(
    client, viewer, long_project
):
    client.force_login(viewer)
    response = client.get(reverse("projects:timeline", args=[long_project.slug]))
    html = response.content.decode()
    overdue = [i for i in response.context["issues"] if i["kind"] == "Deliverable"]
    assert len(overdue) == 10
    scope = reverse("projects:scope", args=[long_project.slug])
    assert f'href="{scope}?overdue=1">And 65 more overdue deliverables: all 75 on' in html


@pytest.mark.parametrize("page", ["", "?page=2"])
def test_each_chart_of_the_timeline_costs_the_same_queries(
    client, viewer, project, long_project, page, django_assert_num_queries
):
    client.force_login(viewer)
    url = reverse("projects:timeline", args=[long_project.slug])
    first = queries(lambda: client.get(url))
    with django_assert_num_queries(first):
        client.get(url + page, HTTP_HX_TARGET="timeline-more", **HX)


# The project page's cache -------------------------------------------------------------------


def test_the_project_page_shows_a_change_at_once_though_it_keeps_its_figures(
    client, manager, project, django_assert_max_num_queries
):
    client.force_login(manager)
    cold = queries(lambda: client.get(project.get_absolute_url()))
    assert client.get(project.get_absolute_url()).context["scope"]["done"] == 0
    # Shown again, unchanged: only the project and the lists that name people are read.
    warm = queries(lambda: client.get(project.get_absolute_url()))
    assert warm < cold - 5
    d = project.deliverables.get(title="Feature A")
    client.post(reverse("projects:deliverable_done", args=[project.slug, d.pk]), {"version": "1"})
    after = client.get(project.get_absolute_url())
    assert after.context["scope"]["done"] == 1
    assert "done (50.0\u00a0%)" in after.content.decode()
    with django_assert_max_num_queries(warm):
        client.get(project.get_absolute_url())


def test_the_project_list_and_the_dashboard_show_a_change_at_once_though_they_keep_figures(
    client, manager, project, django_assert_max_num_queries
):
    """Both read each project's figures from the cache kept under its revision: shown again
    unchanged, fewer queries; after a write, the new figures."""
    client.force_login(manager)
    index, dashboard = reverse("projects:index"), reverse("dashboard")
    for url in (index, dashboard):
        cache.clear()  # both pages keep the same figures
        cold = queries(lambda url=url: client.get(url))
        assert queries(lambda url=url: client.get(url)) <= cold - 4  # five aggregates kept
    before = client.get(index).context["rows"][0]["facts"]
    d = project.deliverables.get(title="Feature A")
    client.post(reverse("projects:deliverable_done", args=[project.slug, d.pk]), {"version": "1"})
    after = client.get(index).context["rows"][0]["facts"]
    assert after != before
    assert after == health.figures_for_projects([project], timezone.localdate())[project.pk].facts


def test_every_write_counts_the_revision_of_the_project_up(project, manager, product_owner):
    """The project page's cache key: each service that changes what the page shows."""

    def revision() -> int:
        project.refresh_from_db()
        return project.revision

    seen = [revision()]
    d = services.deliverable_create(project=project, by=manager, title="New")
    seen.append(revision())
    services.deliverable_update(
        deliverable_id=d.pk, expected_version=1, by=manager, changes={"title": "Renamed"}
    )
    seen.append(revision())
    services.deliverable_delete(deliverable_id=d.pk, expected_version=2)
    seen.append(revision())
    m = services.milestone_create(project=project, by=manager, title="M", due_date=TODAY)
    seen.append(revision())
    services.milestone_delete(milestone_id=m.pk, expected_version=1)
    seen.append(revision())
    c = services.cost_line_create(
        project=project, by=manager, category="other", description="C", planned=1, date=TODAY
    )
    seen.append(revision())
    services.cost_line_delete(cost_line_id=c.pk, expected_version=1)
    seen.append(revision())
    r = services.risk_create(
        project=project,
        by=manager,
        title="R",
        category="vendor",
        probability=1,
        impact=1,
        owner=manager,
        review_date=TODAY,
    )
    seen.append(revision())
    services.risk_delete(risk_id=r.pk, expected_version=1)
    seen.append(revision())
    request = services.change_request_create(
        project_id=project.pk, by=product_owner, title="X", description="X", why="Y"
    )
    seen.append(revision())
    services.change_request_withdraw(request_id=request.pk, by=product_owner)
    seen.append(revision())
    services.project_update(
        project_id=project.pk, expected_version=project.version, by=manager, changes={"name": "P"}
    )
    seen.append(revision())
    assert seen == sorted(set(seen)), seen  # each one counted it up
