"""Two people at once, on PostgreSQL, each thread with its own connection: exactly one wins."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from projects import services
from projects.models import Baseline, ChangeDecision, ChangeStatus, Deliverable
from projects.services import Refused
from roleplan.versioning import StaleEdit
from tests.factories import UserFactory
from tests.projects.factories import approved_project

# Row locks under real concurrent connections: what PostgreSQL holds (SQLite locks the file).
pytestmark = pytest.mark.postgresql

ROUNDS = 5


def race(*actions):
    """Run the actions at the same moment in threads; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # the outcome is what we test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.fixture
def setup(transactional_db):
    owner, manager = UserFactory(), UserFactory()
    project = approved_project(manager=manager, product_owner=owner)
    return project, owner, manager


def new_request(project, owner, manager):
    request = services.change_request_create(
        project_id=project.pk, by=owner, title="Add XYZ", description="XYZ", why="KPI"
    )
    a = services.change_option_create(
        request_id=request.pk, by=manager, title="A", budget_amount=Decimal("1000")
    )
    b = services.change_option_create(
        request_id=request.pk, by=manager, title="B", deadline_days=7, adds="XYZ"
    )
    return request, a, b


@pytest.mark.django_db(transaction=True)
def test_two_people_deciding_the_same_request_at_once_exactly_one_wins(setup):
    project, owner, manager = setup
    deputy = UserFactory()  # a second browser of the same product owner, or staff by mistake
    for _ in range(ROUNDS):
        request, a, b = new_request(project, owner, manager)
        results = race(
            lambda r=request, o=a: services.change_request_decide(
                request_id=r.pk, by=owner, rationale="A", option_id=o.pk
            ),
            lambda r=request, o=b: services.change_request_decide(
                request_id=r.pk, by=deputy, rationale="B", option_id=o.pk
            ),
        )
        wins = [r for r in results if isinstance(r, ChangeDecision)]
        losses = [r for r in results if isinstance(r, Refused)]
        assert len(wins) == 1, results
        assert len(losses) == 1, results
        assert "already accepted" in str(losses[0])
        assert ChangeDecision.objects.filter(request=request).count() == 1
        request.refresh_from_db()
        assert request.status == ChangeStatus.ACCEPTED
    # Every round moved the baseline exactly once, and exactly one is current.
    assert Baseline.objects.filter(project=project).count() == 1 + ROUNDS
    assert Baseline.objects.filter(project=project, is_current=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_deciding_and_withdrawing_at_once_leaves_one_outcome(setup):
    project, owner, manager = setup
    for _ in range(ROUNDS):
        request, a, _b = new_request(project, owner, manager)
        results = race(
            lambda r=request, o=a: services.change_request_decide(
                request_id=r.pk, by=owner, rationale="A", option_id=o.pk
            ),
            lambda r=request: services.change_request_withdraw(request_id=r.pk, by=owner),
        )
        assert sum(isinstance(r, Refused) for r in results) == 1, results
        request.refresh_from_db()
        decided = ChangeDecision.objects.filter(request=request).exists()
        assert request.status == (ChangeStatus.ACCEPTED if decided else ChangeStatus.WITHDRAWN)
        assert (request.withdrawn_at is None) == decided


@pytest.mark.django_db(transaction=True)
def test_two_people_editing_the_same_deliverable_at_once_one_is_told_it_is_stale(setup):
    project, owner, manager = setup
    editor = UserFactory()
    deliverable = project.deliverables.first()
    results = race(
        lambda: services.deliverable_update(
            deliverable_id=deliverable.pk,
            expected_version=1,
            by=manager,
            changes={"title": "Marco's"},
        ),
        lambda: services.deliverable_update(
            deliverable_id=deliverable.pk,
            expected_version=1,
            by=editor,
            changes={"title": "Eddie's"},
        ),
    )
    stale = [r for r in results if isinstance(r, StaleEdit)]
    saved = [r for r in results if isinstance(r, Deliverable)]
    assert len(stale) == 1, results
    assert len(saved) == 1, results
    assert stale[0].current.title == saved[0].title
    assert Deliverable.objects.get(pk=deliverable.pk).version == 2
