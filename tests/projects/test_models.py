"""Invariants the database holds on its own, whatever the client."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, InternalError, connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from products.models import RoadmapItem
from projects import services
from projects.models import (
    Baseline,
    BaselineItem,
    ChangeDecision,
    ChangeStatus,
    Deliverable,
    DeliverableQuerySet,
    MilestoneDependency,
    Project,
    ProjectRisk,
    with_delivery_progress,
)
from tests.factories import UserFactory
from tests.projects.factories import (
    DeliverableFactory,
    MilestoneFactory,
    ProjectFactory,
    RiskFactory,
    approved_project,
    make_product,
    make_roadmap_item,
)


def refused(exc=(IntegrityError, DatabaseError)):
    return pytest.raises(exc)


def test_deadline_must_be_after_start(db):
    with refused(IntegrityError), transaction.atomic():
        ProjectFactory(start_date=date(2026, 8, 1), deadline=date(2026, 8, 1))


def test_budget_cannot_be_negative(db):
    with refused(IntegrityError), transaction.atomic():
        ProjectFactory(budget=Decimal("-1"))


def test_project_cannot_be_active_without_an_approved_baseline(db):
    with refused(IntegrityError), transaction.atomic():
        ProjectFactory(status="active")


def test_project_cannot_be_active_without_benefits_even_when_approved(db):
    user = UserFactory()
    project = ProjectFactory()
    services.project_approve(project_id=project.pk, by=user)
    with refused(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(benefits="")


def test_only_one_current_baseline_per_project(project):
    current = project.baselines.get()
    with refused(IntegrityError), transaction.atomic():
        Baseline.objects.create(
            project=project,
            number=2,
            kind="approval",
            start_date=current.start_date,
            deadline=current.deadline,
            budget=current.budget,
            currency="EUR",
            created_by=current.created_by,
        )


def test_a_change_baseline_needs_a_decision(project):
    current = project.baselines.get()
    Baseline.objects.filter(pk=current.pk).update(is_current=False)
    with refused(IntegrityError), transaction.atomic():
        Baseline.objects.create(
            project=project,
            number=2,
            kind="change",
            start_date=current.start_date,
            deadline=current.deadline,
            budget=current.budget,
            currency="EUR",
            created_by=current.created_by,
        )


def test_baselines_cannot_be_rewritten(project):
    baseline = project.baselines.get()
    with refused(DatabaseError), transaction.atomic():
        Baseline.objects.filter(pk=baseline.pk).update(deadline=baseline.deadline + timedelta(1))
    with refused(DatabaseError), transaction.atomic():
        Baseline.objects.filter(pk=baseline.pk).update(budget=Decimal(1))


def test_a_retired_baseline_cannot_become_current_again(project):
    baseline = project.baselines.get()
    Baseline.objects.filter(pk=baseline.pk).update(is_current=False)
    with refused(DatabaseError), transaction.atomic():
        Baseline.objects.filter(pk=baseline.pk).update(is_current=True)


def test_baselines_and_their_items_cannot_be_deleted(project):
    baseline = project.baselines.get()
    with refused(DatabaseError), transaction.atomic():
        BaselineItem.objects.filter(baseline=baseline).delete()
    with refused(DatabaseError), transaction.atomic():
        BaselineItem.objects.filter(baseline=baseline).update(title="changed")
    assert baseline.items.count() == 2


def test_a_baseline_row_cannot_be_deleted_even_with_raw_sql(db):
    empty = approved_project(deliverables=0)
    baseline = empty.baselines.get()
    with (
        pytest.raises(DatabaseError, match="is history"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM projects_baseline WHERE id = %s", [baseline.pk])
    assert Baseline.objects.filter(pk=baseline.pk).exists()


def open_request(project, owner):
    return services.change_request_create(
        project_id=project.pk, by=owner, title="Add XYZ", description="XYZ", why="KPI"
    )


def test_one_decision_per_request(project, product_owner):
    request = open_request(project, product_owner)
    ChangeDecision.objects.create(
        request=request, outcome="rejected", rationale="no", decided_by=product_owner
    )
    with refused(IntegrityError), transaction.atomic():
        ChangeDecision.objects.create(
            request=request, outcome="rejected", rationale="again", decided_by=product_owner
        )


def test_a_decision_on_a_withdrawn_request_is_refused_by_the_database(project, product_owner):
    request = open_request(project, product_owner)
    request.status = ChangeStatus.WITHDRAWN
    request.withdrawn_at = timezone.now()
    request.save()
    with refused((IntegrityError, InternalError, DatabaseError)), transaction.atomic():
        ChangeDecision.objects.create(
            request=request, outcome="rejected", rationale="late", decided_by=product_owner
        )


def test_an_accepted_decision_names_an_option_and_a_rejection_does_not(project, product_owner):
    request = open_request(project, product_owner)
    with refused(IntegrityError), transaction.atomic():
        ChangeDecision.objects.create(
            request=request, outcome="accepted", rationale="yes", decided_by=product_owner
        )


def test_decisions_cannot_be_changed_or_deleted(project, product_owner):
    request = open_request(project, product_owner)
    services.change_request_decide(
        request_id=request.pk, by=product_owner, rationale="No", option_id=None
    )
    with refused(DatabaseError), transaction.atomic():
        ChangeDecision.objects.filter(request=request).update(rationale="Yes after all")
    with refused(DatabaseError), transaction.atomic():
        ChangeDecision.objects.filter(request=request).delete()


def test_withdrawn_request_has_a_date(project, product_owner):
    request = open_request(project, product_owner)
    with refused(IntegrityError), transaction.atomic():
        type(request).objects.filter(pk=request.pk).update(status="withdrawn")


def test_wont_have_deliverable_is_out_of_scope(project):
    with refused(IntegrityError), transaction.atomic():
        DeliverableFactory(project=project, moscow="wont", in_scope=True)
    DeliverableFactory(project=project, moscow="wont", in_scope=False)


def test_done_deliverable_has_a_done_date_and_open_one_has_none(project):
    with refused(IntegrityError), transaction.atomic():
        DeliverableFactory(project=project, status="done")
    with refused(IntegrityError), transaction.atomic():
        DeliverableFactory(project=project, status="planned", done_on=date(2026, 8, 1))


def test_milestone_cannot_depend_on_itself_or_twice_on_the_same(project):
    a, b = MilestoneFactory(project=project), MilestoneFactory(project=project)
    with refused(IntegrityError), transaction.atomic():
        MilestoneDependency.objects.create(predecessor=a, successor=a)
    MilestoneDependency.objects.create(predecessor=a, successor=b)
    with refused(IntegrityError), transaction.atomic():
        MilestoneDependency.objects.create(predecessor=a, successor=b)


@pytest.mark.parametrize(("probability", "impact"), [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_risk_probability_and_impact_are_1_to_5(project, probability, impact):
    with refused(IntegrityError), transaction.atomic():
        RiskFactory(project=project, probability=probability, impact=impact)


def test_risk_score_is_computed_by_the_database(project):
    risk = RiskFactory(project=project, probability=4, impact=5)
    risk.refresh_from_db()
    assert risk.score == 20
    ProjectRisk.objects.filter(pk=risk.pk).update(impact=2)
    risk.refresh_from_db()
    assert risk.score == 8
    assert risk.level == "medium"


def test_roadmap_item_delivery_progress_counts_in_scope_deliverables_of_every_project(db):
    product = make_product()
    item = make_roadmap_item(product, "Abandoned carts")
    other = make_roadmap_item(product, "Untouched")
    first, second = ProjectFactory(product=product), ProjectFactory(product=product)
    DeliverableFactory(project=first, roadmap_item=item, status="done", done_on=date(2026, 8, 1))
    DeliverableFactory(project=second, roadmap_item=item)
    DeliverableFactory(project=second, roadmap_item=item, in_scope=False)

    progress = Deliverable.objects.progress_by_roadmap_item([item.pk, other.pk])
    assert progress[item.pk].done == 1
    assert progress[item.pk].total == 2
    assert progress[item.pk].percent == 50
    assert other.pk not in progress

    rows = {r.pk: r for r in with_delivery_progress(RoadmapItem.objects.filter(product=product))}
    assert (rows[item.pk].deliverables_done, rows[item.pk].deliverables_total) == (1, 2)
    assert (rows[other.pk].deliverables_done, rows[other.pk].deliverables_total) == (0, 0)
    assert isinstance(Deliverable.objects.all(), DeliverableQuerySet)


def test_involving_lists_each_project_once_for_each_way_in(project, manager, product_owner, editor):
    """Managing, owning the product and editing each bring a project in, once even when one
    person is all three; someone else gets nothing."""
    project.editors.add(manager, product_owner)
    other = approved_project(manager=UserFactory(), product_owner=product_owner)
    assert list(Project.objects.involving(manager)) == [project]
    assert sorted(Project.objects.involving(product_owner), key=lambda p: p.pk) == [project, other]
    assert list(Project.objects.involving(editor)) == [project]
    assert not Project.objects.involving(UserFactory()).exists()
