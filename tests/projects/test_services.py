"""Services: approval stores the baseline, a decision moves it, nothing else does."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from products.models import RoadmapItem
from projects import services
from projects.models import (
    Baseline,
    ChangeStatus,
    Deliverable,
    DeliverableStatus,
    ItemEffect,
    Project,
    ProjectStatus,
)
from projects.services import OptionItem, Refused
from roleplan.versioning import StaleEdit
from tests.factories import UserFactory
from tests.projects.factories import (
    DeliverableFactory,
    MilestoneFactory,
    ProjectFactory,
    make_kpi,
    make_product,
    make_roadmap_item,
)


def baseline_rows(project):
    return [
        (
            b.number,
            b.kind,
            b.is_current,
            b.deadline,
            b.budget,
            sorted(b.items.values_list("title", flat=True)),
        )
        for b in project.baselines.order_by("number")
    ]


def test_approving_stores_the_baseline_and_makes_the_project_active(db):
    owner = UserFactory()
    project = ProjectFactory(product=make_product(owner=owner))
    DeliverableFactory(project=project, title="ABC")
    DeliverableFactory(project=project, title="Later", in_scope=False)
    baseline = services.project_approve(project_id=project.pk, by=owner)
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACTIVE
    assert project.approved_by == owner
    assert (baseline.number, baseline.kind, baseline.is_current) == (1, "approval", True)
    assert (baseline.deadline, baseline.budget) == (project.deadline, project.budget)
    assert list(baseline.items.values_list("title", flat=True)) == ["ABC"]


def test_approving_twice_is_refused(project, product_owner):
    with pytest.raises(Refused, match="already approved"):
        services.project_approve(project_id=project.pk, by=product_owner)
    assert project.baselines.count() == 1


def test_approval_needs_benefits_and_outcomes(db):
    project = ProjectFactory(benefits=" ", outcomes="")
    with pytest.raises(Refused, match="benefits and outcomes"):
        services.project_approve(project_id=project.pk, by=project.manager)
    assert not Baseline.objects.filter(project=project).exists()


def test_status_active_is_refused_before_approval(db):
    project = ProjectFactory()
    with pytest.raises(ValidationError) as caught:
        services.project_update(
            project_id=project.pk,
            expected_version=1,
            by=project.manager,
            changes={"status": ProjectStatus.ACTIVE},
        )
    assert "approved baseline" in caught.value.message_dict["status"][0]


def test_deadline_and_budget_are_fixed_after_approval(project, manager):
    with pytest.raises(ValidationError) as caught:
        services.project_update(
            project_id=project.pk,
            expected_version=project.version,
            by=manager,
            changes={"deadline": project.deadline + timedelta(days=7), "budget": Decimal(1)},
        )
    assert set(caught.value.message_dict) == {"deadline", "budget"}
    project.refresh_from_db()
    assert project.budget == Decimal("120000")


def test_a_stale_project_edit_is_refused_with_the_current_row(project, manager, editor):
    services.project_update(
        project_id=project.pk, expected_version=project.version, by=editor, changes={"name": "New"}
    )
    with pytest.raises(StaleEdit) as caught:
        services.project_update(
            project_id=project.pk,
            expected_version=project.version,
            by=manager,
            changes={"name": "Mine"},
        )
    assert caught.value.current.name == "New"
    assert caught.value.current.updated_by == editor


def test_editing_scope_and_milestones_never_moves_the_baseline(project, manager, product_owner):
    before = baseline_rows(project)
    d = project.deliverables.first()
    services.deliverable_update(
        deliverable_id=d.pk, expected_version=d.version, by=manager, changes={"title": "Renamed"}
    )
    services.deliverable_remove(
        deliverable_id=d.pk, expected_version=d.version + 1, by=product_owner, reason="Legal"
    )
    services.deliverable_create(project=project, by=manager, title="Scope creep")
    MilestoneFactory(project=project)
    services.cost_line_create(
        project=project,
        by=manager,
        category="vendor",
        description="x",
        planned=Decimal(9),
        date=date(2026, 9, 1),
    )
    assert baseline_rows(project) == before


def test_marking_a_deliverable_done_records_the_day_and_reopening_clears_it(project, manager):
    d = project.deliverables.first()
    d = services.deliverable_update(
        deliverable_id=d.pk,
        expected_version=d.version,
        by=manager,
        changes={"status": DeliverableStatus.DONE},
    )
    assert d.done_on is not None
    d = services.deliverable_update(
        deliverable_id=d.pk,
        expected_version=d.version,
        by=manager,
        changes={"status": DeliverableStatus.PLANNED},
    )
    assert d.done_on is None


def test_a_stale_deliverable_edit_is_refused(project, manager, editor):
    d = project.deliverables.first()
    services.deliverable_update(
        deliverable_id=d.pk, expected_version=1, by=editor, changes={"title": "Theirs"}
    )
    with pytest.raises(StaleEdit) as caught:
        services.deliverable_update(
            deliverable_id=d.pk, expected_version=1, by=manager, changes={"title": "Mine"}
        )
    assert caught.value.current.title == "Theirs"
    assert Deliverable.objects.get(pk=d.pk).title == "Theirs"


def test_milestone_dependencies_cannot_make_a_loop(project, manager):
    a = MilestoneFactory(project=project, title="A")
    b = services.milestone_create(
        project=project, by=manager, title="B", due_date=date(2026, 9, 1), depends_on=[a]
    )
    c = services.milestone_create(
        project=project, by=manager, title="C", due_date=date(2026, 10, 1), depends_on=[b]
    )
    with pytest.raises(ValidationError, match="loop"):
        services.milestone_update(
            milestone_id=a.pk, expected_version=a.version, by=manager, changes={}, depends_on=[c]
        )
    assert list(a.depends_on.all()) == []


def test_milestones_depend_only_on_milestones_of_the_same_project(project, manager):
    elsewhere = MilestoneFactory()
    with pytest.raises(ValidationError, match="this project"):
        services.milestone_create(
            project=project,
            by=manager,
            title="X",
            due_date=date(2026, 9, 1),
            depends_on=[elsewhere],
        )


def test_risks_are_numbered_per_project(project, manager):
    first = services.risk_create(
        project=project,
        by=manager,
        title="A",
        category="technical",
        probability=2,
        impact=3,
        owner=manager,
        review_date=date(2026, 9, 1),
    )
    second = services.risk_create(
        project=project,
        by=manager,
        title="B",
        category="vendor",
        probability=2,
        impact=3,
        owner=manager,
        review_date=date(2026, 9, 1),
    )
    assert (first.code, second.code) == ("R1", "R2")


# Change requests --------------------------------------------------------------------------------


@pytest.fixture
def request_with_options(project, manager, product_owner):
    """DESIGN.md's three options for XYZ on top of ABC, each saying what it does to the two
    roadmap items: Feature A delivers ABC; XYZ waits in Next as an idea."""
    product = project.product
    kpi = make_kpi(product)
    item = make_roadmap_item(product, "Recommendations (XYZ)", kpi=kpi)
    RoadmapItem.objects.filter(pk=item.pk).update(horizon="next", status="idea", rank=0)
    item.refresh_from_db()
    abc_item = make_roadmap_item(product, "Abandoned carts (ABC)", kpi=kpi)
    project.deliverables.filter(title="Feature A").update(roadmap_item=abc_item)
    request = services.change_request_create(
        project_id=project.pk,
        by=product_owner,
        title="Add XYZ",
        description="XYZ on top of ABC",
        why="Repurchase rate",
        roadmap_item=item,
        kpi=kpi,
    )
    abc = project.deliverables.get(title="Feature A")
    options = {
        "A": services.change_option_create(
            request_id=request.pk,
            by=manager,
            title="Keep ABC, backlog XYZ",
            items=[OptionItem(item=item, effect=ItemEffect.DEFER, horizon="later")],
        ),
        "B": services.change_option_create(
            request_id=request.pk,
            by=manager,
            title="Add budget and move the deadline",
            items=[OptionItem(item=item, effect=ItemEffect.BRING_IN, adds="Feature XYZ")],
            deadline_days=14,
            budget_amount=Decimal("20000"),
        ),
        "C": services.change_option_create(
            request_id=request.pk,
            by=manager,
            title="A simpler ABC so that XYZ fits",
            items=[
                OptionItem(item=abc_item, effect=ItemEffect.SIMPLIFY, adds="Feature A, simple"),
                OptionItem(item=item, effect=ItemEffect.BRING_IN, adds="Feature XYZ"),
            ],
            descopes=[abc],
            budget_amount=Decimal("5000"),
        ),
    }
    return request, options


def test_options_get_letters_in_order(request_with_options):
    _, options = request_with_options
    assert [o.label for o in options.values()] == ["A", "B", "C"]


def test_accepting_an_option_moves_the_project_and_writes_the_next_baseline(
    project, product_owner, request_with_options
):
    request, options = request_with_options
    original_deadline, original_budget = project.deadline, project.budget
    decision = services.change_request_decide(
        request_id=request.pk,
        by=product_owner,
        rationale="Worth two weeks",
        option_id=options["B"].pk,
    )
    project.refresh_from_db()
    request.refresh_from_db()
    assert request.status == ChangeStatus.ACCEPTED
    assert decision.option == options["B"]
    assert decision.decided_by == product_owner
    assert project.deadline == original_deadline + timedelta(days=14)
    assert project.budget == original_budget + Decimal("20000")
    xyz = project.deliverables.get(title="Feature XYZ")
    assert xyz.in_scope
    assert xyz.roadmap_item == request.roadmap_item
    rows = baseline_rows(project)
    assert rows == [
        (1, "approval", False, original_deadline, original_budget, ["Feature A", "Feature B"]),
        (
            2,
            "change",
            True,
            project.deadline,
            project.budget,
            ["Feature A", "Feature B", "Feature XYZ"],
        ),
    ]
    assert decision.baseline.number == 2


def test_accepting_a_simpler_option_descopes_and_adds(project, product_owner, request_with_options):
    request, options = request_with_options
    services.change_request_decide(
        request_id=request.pk,
        by=product_owner,
        rationale="Both, simpler",
        option_id=options["C"].pk,
    )
    assert not project.deliverables.get(title="Feature A").in_scope
    current = project.baselines.get(is_current=True)
    assert sorted(current.items.values_list("title", flat=True)) == [
        "Feature A, simple",
        "Feature B",
        "Feature XYZ",
    ]
    assert current.deadline == project.deadline  # zero days


def test_rejecting_keeps_the_baseline_and_the_request_stays_visible(
    project, product_owner, request_with_options
):
    request, _ = request_with_options
    before = baseline_rows(project)
    services.change_request_decide(
        request_id=request.pk, by=product_owner, rationale="Not now", option_id=None
    )
    request.refresh_from_db()
    assert request.status == ChangeStatus.REJECTED
    assert request.decision.outcome == "rejected"
    assert baseline_rows(project) == before


def test_deciding_twice_is_refused(project, product_owner, request_with_options):
    request, options = request_with_options
    services.change_request_decide(
        request_id=request.pk, by=product_owner, rationale="A", option_id=options["A"].pk
    )
    with pytest.raises(Refused, match="already accepted"):
        services.change_request_decide(
            request_id=request.pk, by=product_owner, rationale="B", option_id=options["B"].pk
        )
    assert project.baselines.count() == 2
    project.refresh_from_db()
    assert project.budget == Decimal("120000")


def test_deciding_a_withdrawn_request_is_refused(project, product_owner, request_with_options):
    request, options = request_with_options
    services.change_request_withdraw(request_id=request.pk, by=product_owner)
    with pytest.raises(Refused, match="already withdrawn"):
        services.change_request_decide(
            request_id=request.pk, by=product_owner, rationale="B", option_id=options["B"].pk
        )
    assert project.baselines.count() == 1


def test_a_decided_request_cannot_be_withdrawn_nor_get_new_options(
    project, product_owner, manager, request_with_options
):
    request, options = request_with_options
    services.change_request_decide(
        request_id=request.pk, by=product_owner, rationale="A", option_id=options["A"].pk
    )
    with pytest.raises(Refused):
        services.change_request_withdraw(request_id=request.pk, by=product_owner)
    with pytest.raises(Refused):
        services.change_option_create(request_id=request.pk, by=manager, title="D")


def test_deciding_on_an_option_changed_since_it_was_read_is_refused(
    project, product_owner, manager, request_with_options
):
    request, options = request_with_options
    seen = options["B"].version
    services.change_option_update(
        option_id=options["B"].pk,
        expected_version=seen,
        by=manager,
        changes={"budget_amount": Decimal("40000")},
    )
    with pytest.raises(StaleEdit) as caught:
        services.change_request_decide(
            request_id=request.pk,
            by=product_owner,
            rationale="B",
            option_id=options["B"].pk,
            option_version=seen,
        )
    assert caught.value.current.budget_amount == Decimal("40000")
    request.refresh_from_db()
    assert request.status == ChangeStatus.OPEN


def test_an_option_that_would_make_the_budget_negative_is_refused(
    project, manager, request_with_options
):
    request, _ = request_with_options
    with pytest.raises(ValidationError) as caught:
        services.change_option_create(
            request_id=request.pk, by=manager, title="Cut", budget_amount=Decimal("-999999")
        )
    assert "budget_amount" in caught.value.message_dict


def test_a_decision_needs_a_reason(project, product_owner, request_with_options):
    request, options = request_with_options
    with pytest.raises(ValidationError):
        services.change_request_decide(
            request_id=request.pk, by=product_owner, rationale="  ", option_id=options["A"].pk
        )


def test_change_requests_start_only_after_approval(db):
    owner = UserFactory()
    project = ProjectFactory(product=make_product(owner=owner))
    with pytest.raises(Refused, match="approved baseline"):
        services.change_request_create(
            project_id=project.pk, by=owner, title="X", description="X", why="Y"
        )


def test_a_change_request_traces_only_to_its_own_products_roadmap(project, product_owner):
    foreign = make_roadmap_item(make_product(), "Elsewhere")
    with pytest.raises(ValidationError):
        services.change_request_create(
            project_id=project.pk,
            by=product_owner,
            title="X",
            description="X",
            why="Y",
            roadmap_item=foreign,
        )


def test_an_option_on_another_projects_deliverable_is_refused(
    project, manager, request_with_options
):
    request, _ = request_with_options
    foreign = DeliverableFactory()
    with pytest.raises(ValidationError):
        services.change_option_create(
            request_id=request.pk, by=manager, title="D", descopes=[foreign]
        )


def test_project_slugs_are_unique(db):
    user = UserFactory()
    kwargs = {
        "by": user,
        "manager": user,
        "start_date": date(2026, 1, 1),
        "deadline": date(2026, 2, 1),
        "budget": Decimal(1),
    }
    first = services.project_create(name="Same name", **kwargs)
    second = services.project_create(name="Same name", **kwargs)
    third = services.project_create(name="New", **kwargs)
    assert (first.slug, second.slug, third.slug) == ("same-name", "same-name-2", "new-project")
    assert Project.objects.count() == 3
