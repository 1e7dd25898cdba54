"""The project page's scope against the current and the original baseline, counted by the
overview's SQL, checked against the rows themselves (baseline items and deliverables)."""

from __future__ import annotations

from datetime import date

from projects import services
from projects.models import Baseline, Deliverable
from projects.overview import overview
from tests.projects.factories import DeliverableFactory, ProjectFactory, approved_project

TODAY = date(2026, 10, 15)


def expected(project, baseline: Baseline) -> tuple[int, int, int]:
    """(added, removed, baseline scope) from the rows, in Python."""
    in_scope = set(
        Deliverable.objects.filter(project=project, in_scope=True).values_list("pk", flat=True)
    )
    refs = set(baseline.items.values_list("deliverable_ref", flat=True))
    return len(in_scope - refs), len(refs - in_scope), len(refs)


def shown(against) -> tuple[int, int, int]:
    return against.added, against.removed, against.baseline_scope


def out_of_scope(project, manager, title: str) -> None:
    """Taken out of the baselined scope by the product's owner, with a reason (the one way
    outside a decision)."""
    d = project.deliverables.get(title=title)
    services.deliverable_remove(
        deliverable_id=d.pk,
        expected_version=d.version,
        by=project.product.asset.owner,
        reason=f"{title} is not needed",
    )


def test_without_a_baseline_nothing_is_compared(manager):
    project = ProjectFactory(manager=manager)
    DeliverableFactory(project=project)
    page = overview(project, TODAY)
    assert page["current"] is None
    assert page["original"] is None
    assert page["corners"]["scope"] == "ok"


def test_one_baseline_counts_added_and_removed_and_has_no_original(manager, product_owner):
    project = approved_project(manager=manager, product_owner=product_owner, deliverables=4)
    out_of_scope(project, manager, "Feature A")
    out_of_scope(project, manager, "Feature B")
    DeliverableFactory(project=project, title="New")
    DeliverableFactory(project=project, title="Backlog", in_scope=False)
    page = overview(project, TODAY)
    baseline = project.baselines.get()
    assert shown(page["current"]) == expected(project, baseline) == (1, 2, 4)
    assert page["current"].added_titles == ["New"]
    assert sorted(row["title"] for row in page["current"].removed_titles) == [
        "Feature A",
        "Feature B",
    ]
    assert {row["reason"] for row in page["current"].removed_titles} == {
        "Feature A is not needed",
        "Feature B is not needed",
    }
    assert page["original"] is None
    assert page["facts"].scope_added == 1
    assert page["facts"].scope_removed == 2


def test_a_decided_change_moves_the_current_baseline_not_the_original(manager, product_owner):
    project = approved_project(manager=manager, product_owner=product_owner, deliverables=3)
    out_of_scope(project, manager, "Feature A")
    DeliverableFactory(project=project, title="Before the change")
    request = services.change_request_create(
        project_id=project.pk, by=product_owner, title="More", description="d", why="w"
    )
    option = services.change_option_create(
        request_id=request.pk,
        by=manager,
        title="A",
        deadline_days=5,
        descopes=[project.deliverables.get(title="Feature C")],
    )
    services.change_request_decide(
        request_id=request.pk, by=product_owner, rationale="ok", option_id=option.pk
    )
    DeliverableFactory(project=project, title="After the change")
    out_of_scope(project, manager, "Feature B")
    project.refresh_from_db()

    page = overview(project, TODAY)
    first, second = project.baselines.order_by("number")
    assert second.is_current
    assert shown(page["current"]) == expected(project, second)
    assert shown(page["original"]) == expected(project, first)
    assert shown(page["current"]) == (2, 2, 2)
    assert shown(page["original"]) == (2, 3, 3)
    assert sorted(page["current"].added_titles) == ["After the change", "Before the change"]
    assert sorted(row["title"] for row in page["current"].removed_titles) == [
        "Feature A",
        "Feature B",
    ]
    assert {row["reason"] for row in page["current"].removed_titles} == {
        "Feature A is not needed",
        "Feature B is not needed",
    }


def test_times_on_the_page_are_shown_in_the_current_time_zone(client, manager, product_owner):
    """A baseline stored at 16:05 UTC reads 17:05 in Berlin in winter, as every time does."""
    from datetime import UTC, datetime

    from django.test import override_settings

    from tests.projects.factories import make_product

    project = ProjectFactory(manager=manager, product=make_product(owner=product_owner))
    services.project_approve(
        project_id=project.pk, by=product_owner, at=datetime(2026, 12, 3, 16, 5, 7, tzinfo=UTC)
    )
    client.force_login(manager)
    with override_settings(TIME_ZONE="Europe/Berlin"):
        html = client.get(project.get_absolute_url()).content.decode()
    assert "3 Dec 2026 17:05" in html


def test_short_dates_carry_their_year_when_it_is_not_this_year(client, manager, product_owner):
    """ "5 Aug" is this year's 5 August; a deliverable due next August reads "5 Aug 2027", in the
    overview's lists and in the `day` filter of the other pages."""
    from datetime import date as day_

    import time_machine

    from projects.templatetags.projects_tags import day

    with time_machine.travel(day_(2026, 12, 3), tick=False):
        assert day(day_(2026, 12, 17)) == "17 Dec"
        assert day(day_(2027, 1, 2)) == "2 Jan 2027"
        assert day(None) == ""
        project = approved_project(manager=manager, product_owner=product_owner)
        DeliverableFactory(project=project, title="Late", due_date=day_(2026, 12, 1))
        DeliverableFactory(project=project, title="Next year", due_date=day_(2027, 8, 5))
        client.force_login(manager)
        html = client.get(project.get_absolute_url()).content.decode()
    assert "due 1 Dec</span>" in html
    assert "due 5 Aug 2027</span>" in html
