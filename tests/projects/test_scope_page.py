"""The scope page (every deliverable, filtered, sorted, 100 at a time) and the project page's
overview of it: counts, the deliverables that need attention, links to the full lists."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from products.models import RoadmapItem
from projects import services
from projects.models import MilestoneDependency
from projects.views.scope import ScopeFilters
from tests.projects.factories import (
    DeliverableFactory,
    MilestoneFactory,
    RiskFactory,
    make_kpi,
)

HX = {"HTTP_HX_REQUEST": "true"}
TODAY = date(2026, 10, 15)


@pytest.fixture
def varied(project):
    """Deliverables in every state a row shows."""
    kpi = make_kpi(project.product, name='Net <promoter> "score"')
    item = RoadmapItem.objects.create(
        product=project.product, title="Cart & <b>checkout</b>", horizon="now", rank=0, kpi=kpi
    )
    bare = RoadmapItem.objects.create(
        product=project.product, title="No KPI", horizon="now", rank=1
    )
    DeliverableFactory(
        project=project,
        title="<script>alert('x')</script> late",
        due_date=date(2026, 10, 1),
        status="in_progress",
        roadmap_item=item,
        description="Long " + "é" * 200,
    )
    DeliverableFactory(
        project=project,
        title="Shipped",
        status="done",
        done_on=date(2026, 9, 1),
        due_date=date(2026, 9, 1),
        moscow="should",
        roadmap_item=bare,
        estimate_days=Decimal("3.5"),
    )
    DeliverableFactory(
        project=project,
        title="Someday",
        moscow="wont",
        in_scope=False,
        due_date=None,
        estimate_days=None,
        description="Quotes \" and ' & ampersands",
    )
    DeliverableFactory(project=project, title="Blocked one", status="blocked", moscow="could")
    return project


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("who", ["manager", "viewer"])
@pytest.mark.parametrize(
    "query", ["", "?scope=all", "?scope=out", "?status=done&moscow=should", "?overdue=1"]
)
def test_every_row_offers_the_quick_action_only_to_editors(client, request, varied, who, query):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("projects:scope", args=[varied.slug]) + query)
    rows = response.context["rows"]
    assert rows
    html = response.content.decode()
    for d in rows:
        assert f'<tr id="deliverable-{d.pk}"' in html
        done = reverse("projects:deliverable_done", args=[varied.slug, d.pk])
        assert (f'hx-post="{done}' in html) == (who == "manager")
    # The rows' buttons submit one form that carries the page's CSRF token.
    assert (html.count('form="scope-actions"') == len(rows)) == (who == "manager")
    assert ('<form id="scope-actions" method="post" hidden>' in html) == (who == "manager")


@time_machine.travel(TODAY, tick=False)
def test_rows_show_state_trace_and_escape_what_people_typed(client, manager, varied):
    client.force_login(manager)
    html = client.get(reverse("projects:scope", args=[varied.slug]) + "?scope=all").content
    html = html.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; late" in html
    assert "<script>alert" not in html
    assert 'class="is-overdue"' in html
    assert (
        'Delivers <span class="badge badge-product">Cart &amp; &lt;b&gt;checkout&lt;/b&gt;' in html
    )
    assert "for KPI <em>Net &lt;promoter&gt; &quot;score&quot;</em>" in html
    assert "Long " + "é" * 134 + "…" in html  # truncatechars:140
    assert "3.5 person-days" in html
    assert '<span class="badge">Out of scope</span>' in html
    assert 'aria-label="Reopen: Shipped"' in html


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("", {"late", "Shipped", "Blocked one", "Feature A", "Feature B"}),
        ("?scope=out", {"Someday"}),
        ("?scope=all&moscow=wont", {"Someday"}),
        ("?status=blocked", {"Blocked one"}),
        ("?moscow=should", {"Shipped"}),
        ("?overdue=1", {"late"}),
        ("?scope=nonsense&status=nope&moscow=x", {"late", "Shipped", "Blocked one", "Feature A"}),
    ],
)
def test_filters_narrow_the_list(client, viewer, varied, query, shown):
    client.force_login(viewer)
    response = client.get(reverse("projects:scope", args=[varied.slug]) + query)
    assert response.status_code == 200
    titles = {row.title for row in response.context["rows"]}
    assert {next(t for t in titles if s in t) for s in shown} <= titles
    assert len(titles) == len(shown) or query.startswith("?scope=nonsense") or not query


def test_filtering_with_htmx_answers_the_region_only(client, viewer, varied):
    client.force_login(viewer)
    response = client.get(
        reverse("projects:scope", args=[varied.slug]) + "?status=blocked",
        HTTP_HX_TARGET="scope",
        **HX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="scope"')
    assert "Blocked one" in html
    assert "Feature A" not in html
    assert '<option value="blocked" selected>' in html


def test_marking_done_from_a_filtered_list_keeps_the_filter(client, manager, varied):
    d = varied.deliverables.get(title="Blocked one")
    client.force_login(manager)
    url = reverse("projects:deliverable_done", args=[varied.slug, d.pk]) + "?status=blocked"
    page = client.get(reverse("projects:scope", args=[varied.slug]) + "?status=blocked")
    assert f'hx-post="{url.replace("&", "&amp;")}"' in page.content.decode()
    response = client.post(url, {"version": "1"}, **HX)
    assert response.status_code == 200
    d.refresh_from_db()
    assert d.status == "done"
    # The list is still the blocked ones: the deliverable just done has left it.
    assert "Blocked one" not in response.content.decode()
    assert "No deliverable matches these filters" in response.content.decode()
    plain = client.post(url, {"version": "2"})
    assert plain["Location"] == reverse("projects:scope", args=[varied.slug]) + (
        "?status=blocked#scope"
    )


def test_filters_round_trip_through_the_query_string():
    filters = ScopeFilters.of({"scope": "all", "status": "done", "overdue": "1"})
    assert filters.query == "?scope=all&status=done&overdue=1"
    assert ScopeFilters.of({}).query == ""
    assert ScopeFilters.of({}).is_default


def test_the_scope_page_says_how_the_scope_moved_since_the_baseline(client, viewer, project):
    DeliverableFactory(project=project, title="Extra")
    client.force_login(viewer)
    html = client.get(reverse("projects:scope", args=[project.slug])).content.decode()
    assert "Baseline 1 holds 2 deliverables" in html
    assert "+1 / −0 since" in html


@time_machine.travel(TODAY, tick=False)
def test_the_overview_shows_what_needs_attention_and_links_to_the_lists(client, manager, varied):
    early = MilestoneFactory(project=varied, title="Rehearsal", due_date=date(2026, 10, 20))
    late = MilestoneFactory(project=varied, title="Switch-off", due_date=date(2026, 12, 1))
    MilestoneDependency.objects.create(predecessor=late, successor=early)
    RiskFactory(project=varied, number=1, title="Vendor slips", probability=5, impact=4)
    RiskFactory(project=varied, number=2, title="Old news", status="closed")
    client.force_login(manager)
    response = client.get(varied.get_absolute_url())
    html = response.content.decode()
    scope = reverse("projects:scope", args=[varied.slug])
    # Overdue, and next due: linked to their rows on the scope page.
    overdue = varied.deliverables.get(title__endswith="late")
    assert f'href="{scope}?overdue=1#deliverable-{overdue.pk}"' in html
    assert [d.title for d in response.context["next_deliverables"]][:1] == ["Feature A"]
    assert response.context["scope"]["overdue"] == 1
    assert response.context["scope"]["blocked"] == 1
    # Flagged milestones, with why.
    assert "⚑ due after the project&#x27;s deadline" in html
    assert "⚑ due before “Switch-off”, which it depends on" in html
    assert response.context["milestone_counts"] == {
        "total": 2,
        "done": 0,
        "overdue": 0,
        "flagged": 2,
    }
    # Top risks, open only.
    assert [r.code for r in response.context["top_risks"]] == ["R1"]
    assert "Old news" not in html
    # The tabs and the links to the full lists.
    for name in ("scope", "timeline", "budget", "risks", "changes"):
        assert f'href="{reverse(f"projects:{name}", args=[varied.slug])}"' in html
    assert 'aria-current="page">Overview</a>' in html
    assert "Add a deliverable" in html


def test_every_project_page_has_the_tabs_with_the_current_one_marked(client, viewer, project):
    client.force_login(viewer)
    for name, label in [
        ("detail", "Overview"),
        ("scope", "Scope"),
        ("timeline", "Timeline &amp; milestones"),
        ("budget", "Budget"),
        ("risks", "Risks"),
        ("changes", "Changes"),
    ]:
        html = client.get(reverse(f"projects:{name}", args=[project.slug])).content.decode()
        assert '<nav class="proj-tabs" aria-label="Project">' in html
        assert f'aria-current="page">{label}</a>' in html, name


def test_a_project_without_a_baseline_has_an_overview(client, manager, db):
    from tests.projects.factories import ProjectFactory, make_product

    project = ProjectFactory(manager=manager, product=make_product())
    DeliverableFactory(project=project, title="Draft")
    client.force_login(manager)
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    assert "No baseline yet" in response.content.decode()
    assert response.context["health"].label == "Not baselined"
    assert response.context["scope"]["in_scope"] == 1


def test_the_changes_page_lists_every_request(client, viewer, project, product_owner, manager):
    for n in range(7):
        request = services.change_request_create(
            project_id=project.pk, by=product_owner, title=f"Change {n}", description="d", why="w"
        )
    services.change_option_create(request_id=request.pk, by=manager, title="A")
    client.force_login(viewer)
    overview = client.get(project.get_absolute_url())
    assert len(overview.context["change_requests"]) == 5
    assert "All 7 change requests" in overview.content.decode()
    html = client.get(reverse("projects:changes", args=[project.slug])).content.decode()
    assert all(f"Change {n}" in html for n in range(7))
    assert "Awaiting decision: 1 option" in html


def test_the_budget_and_timeline_pages_take_the_forms_that_left_the_overview(
    client, manager, project
):
    client.force_login(manager)
    budget = client.get(reverse("projects:budget", args=[project.slug])).content.decode()
    assert "Add a cost line" in budget
    timeline = client.get(reverse("projects:timeline", args=[project.slug])).content.decode()
    assert "Add a milestone" in timeline
    response = client.post(
        reverse("projects:milestone_add", args=[project.slug]),
        {"title": "Go-live", "due_date": "2026-11-01"},
        **HX,
    )
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="milestones"')
    assert "Go-live" in response.content.decode()
    plain = client.post(
        reverse("projects:cost_add", args=[project.slug]),
        {"category": "vendor", "description": "Licence", "planned": "5", "date": "2026-09-05"},
    )
    assert plain["Location"] == reverse("projects:budget", args=[project.slug])
