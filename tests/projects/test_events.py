"""What the projects app announces (roleplan.events), once the write commits: a project's status,
product or manager changing (the weekly sync of its pair of people depends on them), a baseline
written, a change request raised or decided."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from projects import services
from roleplan import events
from roleplan.events import Event
from tests.projects.factories import DEADLINE, START, ProjectFactory, make_product


@pytest.fixture
def heard(monkeypatch) -> Iterator[list[tuple[Event, dict]]]:
    """Every announcement made, with its ids (a subscriber for each event, for this test)."""
    seen: list[tuple[Event, dict]] = []
    handlers = {event: [] for event in Event}
    monkeypatch.setattr(events, "_handlers", handlers)
    for event in Event:
        events.subscribe(event, lambda event=event, **ids: seen.append((event, ids)))
    return seen


def announced(heard, event: Event) -> list[dict]:
    return [ids for e, ids in heard if e == event]


def test_creating_a_project_announces_it(heard, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        project = services.project_create(
            by=manager,
            name="CRM MVP",
            manager=manager,
            start_date=START,
            deadline=DEADLINE,
            budget=Decimal(1),
        )
    assert announced(heard, Event.PROJECT_CHANGED) == [{"project_id": project.pk}]


def test_approving_announces_the_project_and_its_first_baseline(
    heard, manager, product_owner, django_capture_on_commit_callbacks
):
    project = ProjectFactory(manager=manager, product=make_product(owner=product_owner))
    with django_capture_on_commit_callbacks(execute=True):
        baseline = services.project_approve(project_id=project.pk, by=product_owner)
    assert announced(heard, Event.PROJECT_CHANGED) == [{"project_id": project.pk}]
    assert announced(heard, Event.BASELINE_CREATED) == [
        {"project_id": project.pk, "baseline_id": baseline.pk}
    ]


@pytest.mark.parametrize(
    ("field", "changed"),
    [("status", True), ("manager", True), ("product", True), ("name", False)],
)
def test_an_update_announces_a_change_of_status_product_or_manager_only(
    heard, project, editor, field, changed, django_capture_on_commit_callbacks
):
    value = {
        "status": "on_hold",
        "manager": editor,
        "product": make_product(),
        "name": "Renamed",
    }[field]
    with django_capture_on_commit_callbacks(execute=True):
        services.project_update(
            project_id=project.pk,
            expected_version=project.version,
            by=editor,
            changes={field: value},
        )
    assert announced(heard, Event.PROJECT_CHANGED) == ([{"project_id": project.pk}] * changed)


def test_a_refused_update_announces_nothing(
    heard, project, editor, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError),
    ):
        services.project_update(
            project_id=project.pk,
            expected_version=project.version,
            by=editor,
            changes={"status": "proposed", "manager": editor},  # approved: never proposed
        )
    assert callbacks == []
    assert heard == []


def test_a_change_request_is_announced_when_raised_and_when_decided(
    heard, project, manager, product_owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request = services.change_request_create(
            project_id=project.pk, by=product_owner, title="XYZ", description="X", why="Y"
        )
        option = services.change_option_create(request_id=request.pk, by=manager, title="A")
        services.change_request_decide(
            request_id=request.pk, by=product_owner, rationale="Worth it", option_id=option.pk
        )
    assert announced(heard, Event.CHANGE_REQUEST_RAISED) == [{"change_request_id": request.pk}]
    assert announced(heard, Event.CHANGE_REQUEST_DECIDED) == [{"change_request_id": request.pk}]
    baseline = project.baselines.get(is_current=True)
    assert baseline.number == 2
    assert announced(heard, Event.BASELINE_CREATED) == [
        {"project_id": project.pk, "baseline_id": baseline.pk}
    ]


def test_a_rejection_is_a_decision_and_writes_no_baseline(
    heard, project, product_owner, django_capture_on_commit_callbacks
):
    request = services.change_request_create(
        project_id=project.pk, by=product_owner, title="XYZ", description="X", why="Y"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_decide(
            request_id=request.pk, by=product_owner, rationale="Not now", option_id=None
        )
    assert announced(heard, Event.CHANGE_REQUEST_DECIDED) == [{"change_request_id": request.pk}]
    assert announced(heard, Event.BASELINE_CREATED) == []
