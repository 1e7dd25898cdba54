"""Writes on projects. Every function takes keyword arguments and runs in one transaction.

Locking order, everywhere: the project row first, then the change request, then the row being
edited. Edits are compare-and-set on the row's version (roleplan.versioning.lock_for_edit): a
stale edit raises StaleEdit carrying the row as it is now and what the person sent, and nothing
is written.

The baseline moves in exactly two places: project_approve (the first baseline) and
change_request_decide with an accepted option (the next one). Nothing else writes a Baseline.

What other apps may react to is announced through roleplan.events, after the transaction
commits: a project's status, product or manager changing (PROJECT_CHANGED: the weekly sync of
an active project's pair of people), a baseline written, a change request raised or decided.
"""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify

from products.models import Kpi, Product, RoadmapItem
from projects.models import (
    COMMITTED_STATUSES,
    Baseline,
    BaselineItem,
    BaselineKind,
    ChangeDecision,
    ChangeOption,
    ChangeRequest,
    ChangeStatus,
    CostLine,
    DecisionOutcome,
    Deliverable,
    DeliverableStatus,
    Milestone,
    MilestoneDependency,
    Moscow,
    Project,
    ProjectRisk,
    ProjectStatus,
)
from roleplan.events import Event, announce
from roleplan.versioning import StaleEdit, lock_for_edit, save_edit


class Refused(Exception):
    """A rule of the domain refuses the action (deciding twice, deciding a withdrawn request…).
    The message is meant for the user."""


# Fields fixed by the baseline once a project is approved: they move only through a decided
# change request.
BASELINED_FIELDS = ("start_date", "deadline", "budget", "currency")
RESERVED_SLUGS = {"new"}


def unique_slug(name: str) -> str:
    base = slugify(name)[:200] or "project"
    if base in RESERVED_SLUGS:
        base = f"{base}-project"
    slug, n = base, 2
    while Project.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _lock_project(project_id: int) -> Project:
    """Lock the project's row (first, always: see the locking order above) and count its
    revision up: every caller is about to change the project's plan, and the revision is the
    key of what the project page keeps in the cache (projects.overview)."""
    Project.objects.filter(pk=project_id).update(revision=F("revision") + 1)
    return Project.objects.select_for_update().get(pk=project_id)


def _project_of(model: type, pk: int) -> int:
    return model.objects.values_list("project_id", flat=True).get(pk=pk)


# What the weekly sync of a project depends on: when one changes, PROJECT_CHANGED is announced.
SYNC_FIELDS = ("status", "product_id", "manager_id")


def _sync_facts(project: Project) -> tuple:
    return tuple(getattr(project, name) for name in SYNC_FIELDS)


def check_status_allowed(*, project: Project, status: str, benefits: str, outcomes: str) -> None:
    if status in COMMITTED_STATUSES:
        problems = []
        if not project.is_approved:
            problems.append("an approved baseline")
        if not benefits.strip():
            problems.append("stated benefits")
        if not outcomes.strip():
            problems.append("stated outcomes")
        if problems:
            label = ProjectStatus(status).label.lower()
            raise ValidationError(
                {"status": f"A project becomes {label} only with {', '.join(problems)}."}
            )
    if project.is_approved and status == ProjectStatus.PROPOSED:
        raise ValidationError({"status": "An approved project cannot go back to proposed."})


# Projects ---------------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    by: User,
    name: str,
    manager: User,
    start_date: date,
    deadline: date,
    budget: Decimal,
    currency: str = "EUR",
    product: Product | None = None,
    methodology: str = "hybrid",
    statement_of_work: str = "",
    benefits: str = "",
    outcomes: str = "",
    editors: list[User] | tuple = (),
    slug: str | None = None,
) -> Project:
    if deadline <= start_date:
        raise ValidationError({"deadline": "The deadline must be after the start date."})
    project = Project.objects.create(
        name=name,
        slug=slug or unique_slug(name),
        product=product,
        manager=manager,
        start_date=start_date,
        deadline=deadline,
        budget=budget,
        currency=currency,
        methodology=methodology,
        statement_of_work=statement_of_work,
        benefits=benefits,
        outcomes=outcomes,
        updated_by=by,
    )
    project.editors.set(editors)
    announce(Event.PROJECT_CHANGED, project_id=project.pk)
    return project


@transaction.atomic
def project_update(
    *,
    project_id: int,
    expected_version: int,
    by: User,
    changes: dict,
    editors: list[User] | None = None,
) -> Project:
    """Change a project's fields. After approval the baselined fields (start, deadline, budget,
    currency) are refused: they move only through a decided change request."""
    submitted = changes if editors is None else {**changes, "editors": editors}
    _lock_project(project_id)
    project = lock_for_edit(Project, project_id, expected_version, submitted)
    if project.is_approved:
        moved = [f for f in BASELINED_FIELDS if f in changes and changes[f] != getattr(project, f)]
        if moved:
            raise ValidationError(
                dict.fromkeys(
                    moved, "Fixed by the approved baseline: only a decided change request moves it."
                )
            )
    merged = {f: changes.get(f, getattr(project, f)) for f in ("status", "benefits", "outcomes")}
    check_status_allowed(project=project, **merged)
    start = changes.get("start_date", project.start_date)
    deadline = changes.get("deadline", project.deadline)
    if deadline <= start:
        raise ValidationError({"deadline": "The deadline must be after the start date."})
    before = _sync_facts(project)
    save_edit(project, changes, by=by)
    if editors is not None:
        project.editors.set(editors)
    if _sync_facts(project) != before:
        announce(Event.PROJECT_CHANGED, project_id=project.pk)
    return project


def _snapshot_items(baseline: Baseline, deliverables) -> None:
    BaselineItem.objects.bulk_create(
        [
            BaselineItem(
                baseline=baseline,
                deliverable_ref=d.pk,
                title=d.title,
                moscow=d.moscow,
                estimate_days=d.estimate_days,
                due_date=d.due_date,
            )
            for d in deliverables
        ]
    )


@transaction.atomic
def project_approve(
    *,
    project_id: int,
    by: User,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Baseline:
    """Approve the project: store its first baseline (in-scope deliverables, start, deadline,
    budget) and make it active. Refused when already approved or without benefits/outcomes."""
    project = _lock_project(project_id)
    if expected_version is not None:
        project = lock_for_edit(Project, project_id, expected_version)
    if project.is_approved:
        raise Refused(
            "This project is already approved; its baseline moves only through change requests."
        )
    missing = [
        label
        for label, text in (("benefits", project.benefits), ("outcomes", project.outcomes))
        if not text.strip()
    ]
    if missing:
        raise Refused(f"State the project's {' and '.join(missing)} before approving it.")
    if project.status in (ProjectStatus.CANCELLED, ProjectStatus.DONE):
        raise Refused(f"A {project.get_status_display().lower()} project cannot be approved.")
    now = at or timezone.now()
    save_edit(
        project, {"approved_at": now, "approved_by": by, "status": ProjectStatus.ACTIVE}, by=by
    )
    baseline = Baseline.objects.create(
        project=project,
        number=1,
        kind=BaselineKind.APPROVAL,
        is_current=True,
        start_date=project.start_date,
        deadline=project.deadline,
        budget=project.budget,
        currency=project.currency,
        created_by=by,
        created_at=now,
    )
    _snapshot_items(baseline, project.deliverables.filter(in_scope=True).order_by("id"))
    announce(Event.PROJECT_CHANGED, project_id=project.pk)
    announce(Event.BASELINE_CREATED, project_id=project.pk, baseline_id=baseline.pk)
    return baseline


# Deliverables -----------------------------------------------------------------------------------


def _done_on(status: str, done_on: date | None) -> date | None:
    if status == DeliverableStatus.DONE:
        return done_on or timezone.localdate()
    return None


def _check_deliverable(fields: dict) -> None:
    if fields.get("moscow") == Moscow.WONT and fields.get("in_scope"):
        raise ValidationError({"in_scope": "A won't-have deliverable is out of scope."})
    start, due = fields.get("start_date"), fields.get("due_date")
    if start and due and due < start:
        raise ValidationError({"due_date": "The due date cannot be before the start."})


@transaction.atomic
def deliverable_create(
    *,
    project: Project,
    by: User,
    title: str,
    description: str = "",
    status: str = DeliverableStatus.PLANNED,
    estimate_days: Decimal | None = None,
    start_date: date | None = None,
    due_date: date | None = None,
    moscow: str = Moscow.MUST,
    in_scope: bool = True,
    roadmap_item: RoadmapItem | None = None,
) -> Deliverable:
    fields = {
        "title": title,
        "description": description,
        "status": status,
        "estimate_days": estimate_days,
        "start_date": start_date,
        "due_date": due_date,
        "moscow": moscow,
        "in_scope": in_scope,
        "roadmap_item": roadmap_item,
    }
    _check_deliverable(fields)
    _lock_project(project.pk)
    return Deliverable.objects.create(
        project=project, updated_by=by, done_on=_done_on(status, None), **fields
    )


@transaction.atomic
def deliverable_update(
    *, deliverable_id: int, expected_version: int, by: User, changes: dict
) -> Deliverable:
    _lock_project(_project_of(Deliverable, deliverable_id))
    current = lock_for_edit(Deliverable, deliverable_id, expected_version, changes)
    merged = {
        f: changes.get(f, getattr(current, f))
        for f in ("moscow", "in_scope", "start_date", "due_date")
    }
    _check_deliverable(merged)
    status = changes.get("status", current.status)
    save_edit(current, {**changes, "done_on": _done_on(status, current.done_on)}, by=by)
    return current


@transaction.atomic
def deliverable_delete(*, deliverable_id: int, expected_version: int) -> None:
    _lock_project(_project_of(Deliverable, deliverable_id))
    lock_for_edit(Deliverable, deliverable_id, expected_version).delete()


# Milestones -------------------------------------------------------------------------------------


def _would_cycle(milestone_id: int | None, predecessors: list[Milestone], edges: list) -> bool:
    """True when making `milestone_id` depend on `predecessors` closes a loop."""
    if milestone_id is None:
        return False
    after: dict[int, set[int]] = {}
    for pred, succ in edges:
        if succ != milestone_id:
            after.setdefault(pred, set()).add(succ)
    # A loop exists when the milestone reaches one of its new predecessors.
    targets = {p.pk for p in predecessors}
    seen, stack = set(), [milestone_id]
    while stack:
        node = stack.pop()
        if node in targets:
            return True
        for nxt in after.get(node, ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def _set_dependencies(milestone: Milestone, predecessors: list[Milestone]) -> None:
    if any(p.project_id != milestone.project_id for p in predecessors):
        raise ValidationError({"depends_on": "Dependencies must be milestones of this project."})
    if any(p.pk == milestone.pk for p in predecessors):
        raise ValidationError({"depends_on": "A milestone cannot depend on itself."})
    edges = list(
        MilestoneDependency.objects.filter(successor__project_id=milestone.project_id).values_list(
            "predecessor_id", "successor_id"
        )
    )
    if _would_cycle(milestone.pk, predecessors, edges):
        raise ValidationError(
            {"depends_on": "That would make a loop: a milestone would wait for itself."}
        )
    MilestoneDependency.objects.filter(successor=milestone).delete()
    MilestoneDependency.objects.bulk_create(
        [MilestoneDependency(predecessor=p, successor=milestone) for p in predecessors]
    )


@transaction.atomic
def milestone_create(
    *,
    project: Project,
    by: User,
    title: str,
    due_date: date,
    description: str = "",
    done_on: date | None = None,
    depends_on: list[Milestone] | tuple = (),
) -> Milestone:
    _lock_project(project.pk)
    milestone = Milestone.objects.create(
        project=project,
        title=title,
        due_date=due_date,
        description=description,
        done_on=done_on,
        updated_by=by,
    )
    _set_dependencies(milestone, list(depends_on))
    return milestone


@transaction.atomic
def milestone_update(
    *,
    milestone_id: int,
    expected_version: int,
    by: User,
    changes: dict,
    depends_on: list[Milestone] | None = None,
) -> Milestone:
    _lock_project(_project_of(Milestone, milestone_id))  # the project's dependencies: no loop
    submitted = changes if depends_on is None else {**changes, "depends_on": depends_on}
    milestone = lock_for_edit(Milestone, milestone_id, expected_version, submitted)
    save_edit(milestone, changes, by=by)
    if depends_on is not None:
        _set_dependencies(milestone, depends_on)
    return milestone


@transaction.atomic
def milestone_delete(*, milestone_id: int, expected_version: int) -> None:
    _lock_project(_project_of(Milestone, milestone_id))
    lock_for_edit(Milestone, milestone_id, expected_version).delete()


# Cost lines -------------------------------------------------------------------------------------


@transaction.atomic
def cost_line_create(
    *,
    project: Project,
    by: User,
    category: str,
    description: str,
    planned: Decimal,
    date: date,
    actual: Decimal | None = None,
) -> CostLine:
    _lock_project(project.pk)
    return CostLine.objects.create(
        project=project,
        category=category,
        description=description,
        planned=planned,
        actual=actual,
        date=date,
        updated_by=by,
    )


@transaction.atomic
def cost_line_update(
    *, cost_line_id: int, expected_version: int, by: User, changes: dict
) -> CostLine:
    _lock_project(_project_of(CostLine, cost_line_id))
    row = lock_for_edit(CostLine, cost_line_id, expected_version, changes)
    save_edit(row, changes, by=by)
    return row


@transaction.atomic
def cost_line_delete(*, cost_line_id: int, expected_version: int) -> None:
    _lock_project(_project_of(CostLine, cost_line_id))
    lock_for_edit(CostLine, cost_line_id, expected_version).delete()


# Risks ------------------------------------------------------------------------------------------


@transaction.atomic
def risk_create(
    *,
    project: Project,
    by: User,
    title: str,
    category: str,
    probability: int,
    impact: int,
    owner: User,
    review_date: date,
    mitigation: str = "",
    status: str = "open",
) -> ProjectRisk:
    _lock_project(project.pk)  # numbers R1, R2, … are given out one at a time
    number = (project.risks.aggregate(n=Max("number"))["n"] or 0) + 1
    return ProjectRisk.objects.create(
        project=project,
        number=number,
        title=title,
        category=category,
        probability=probability,
        impact=impact,
        owner=owner,
        review_date=review_date,
        mitigation=mitigation,
        status=status,
        updated_by=by,
    )


@transaction.atomic
def risk_update(*, risk_id: int, expected_version: int, by: User, changes: dict) -> ProjectRisk:
    _lock_project(_project_of(ProjectRisk, risk_id))
    row = lock_for_edit(ProjectRisk, risk_id, expected_version, changes)
    save_edit(row, changes, by=by)
    return row


@transaction.atomic
def risk_delete(*, risk_id: int, expected_version: int) -> None:
    _lock_project(_project_of(ProjectRisk, risk_id))
    lock_for_edit(ProjectRisk, risk_id, expected_version).delete()


# Change requests --------------------------------------------------------------------------------


@transaction.atomic
def change_request_create(
    *,
    project_id: int,
    by: User,
    title: str,
    description: str,
    why: str,
    value: str = "",
    roadmap_item: RoadmapItem | None = None,
    kpi: Kpi | None = None,
    at: datetime | None = None,
) -> ChangeRequest:
    project = _lock_project(project_id)
    if not project.is_approved:
        raise Refused("Change requests start once the project has an approved baseline.")
    if project.status in (ProjectStatus.DONE, ProjectStatus.CANCELLED):
        raise Refused(f"The project is {project.get_status_display().lower()}.")
    for obj, name in ((roadmap_item, "roadmap_item"), (kpi, "kpi")):
        if obj is not None and obj.product_id != project.product_id:
            raise ValidationError({name: "Choose one of this project's product."})
    number = (project.change_requests.aggregate(n=Max("number"))["n"] or 0) + 1
    request = ChangeRequest.objects.create(
        project=project,
        number=number,
        title=title,
        description=description,
        why=why,
        value=value,
        roadmap_item=roadmap_item,
        kpi=kpi,
        requested_by=by,
        requested_at=at or timezone.now(),
    )
    announce(Event.CHANGE_REQUEST_RAISED, change_request_id=request.pk)
    return request


def _lock_open_request(request_id: int) -> tuple[Project, ChangeRequest]:
    project_id = ChangeRequest.objects.values_list("project_id", flat=True).get(pk=request_id)
    project = _lock_project(project_id)
    request = ChangeRequest.objects.select_for_update().get(pk=request_id)
    if request.status != ChangeStatus.OPEN:
        raise Refused(f"{request.code} is already {request.get_status_display().lower()}.")
    return project, request


def _check_option_impact(project: Project, deadline_days: int, budget_amount: Decimal) -> None:
    errors = {}
    if project.deadline + timedelta(days=deadline_days) <= project.start_date:
        errors["deadline_days"] = "The deadline would fall on or before the project's start."
    if project.budget + budget_amount < 0:
        errors["budget_amount"] = "The budget would become negative."
    if errors:
        raise ValidationError(errors)


def _check_descopes(request: ChangeRequest, descopes: list[Deliverable]) -> None:
    if any(d.project_id != request.project_id for d in descopes):
        raise ValidationError({"descopes": "Choose deliverables of this project."})


@transaction.atomic
def change_option_create(
    *,
    request_id: int,
    by: User,
    title: str,
    description: str = "",
    scope_impact: str = "",
    adds: str = "",
    descopes: list[Deliverable] | tuple = (),
    deadline_days: int = 0,
    budget_amount: Decimal = Decimal(0),
    at: datetime | None = None,
) -> ChangeOption:
    project, request = _lock_open_request(request_id)
    _check_option_impact(project, deadline_days, budget_amount)
    _check_descopes(request, list(descopes))
    used = set(request.options.values_list("label", flat=True))
    label = next((c for c in string.ascii_uppercase if c not in used), None)
    if label is None:
        raise Refused("A request has at most 26 options.")
    option = ChangeOption.objects.create(
        request=request,
        label=label,
        title=title,
        description=description,
        scope_impact=scope_impact,
        adds=adds,
        deadline_days=deadline_days,
        budget_amount=budget_amount,
        created_by=by,
        created_at=at or timezone.now(),
        updated_by=by,
    )
    option.descopes.set(descopes)
    return option


@transaction.atomic
def change_option_update(
    *,
    option_id: int,
    expected_version: int,
    by: User,
    changes: dict,
    descopes: list[Deliverable] | None = None,
) -> ChangeOption:
    request_id = ChangeOption.objects.values_list("request_id", flat=True).get(pk=option_id)
    project, request = _lock_open_request(request_id)
    submitted = changes if descopes is None else {**changes, "descopes": descopes}
    option = lock_for_edit(ChangeOption, option_id, expected_version, submitted)
    _check_option_impact(
        project,
        changes.get("deadline_days", option.deadline_days),
        changes.get("budget_amount", option.budget_amount),
    )
    save_edit(option, changes, by=by)
    if descopes is not None:
        _check_descopes(request, descopes)
        option.descopes.set(descopes)
    return option


@transaction.atomic
def change_option_delete(*, option_id: int, expected_version: int) -> None:
    request_id = ChangeOption.objects.values_list("request_id", flat=True).get(pk=option_id)
    _lock_open_request(request_id)
    option = lock_for_edit(ChangeOption, option_id, expected_version)
    option.descopes.clear()
    option.delete()


@transaction.atomic
def change_request_withdraw(
    *, request_id: int, by: User, at: datetime | None = None
) -> ChangeRequest:
    _project, request = _lock_open_request(request_id)
    request.status = ChangeStatus.WITHDRAWN
    request.withdrawn_at = at or timezone.now()
    request.save(update_fields=["status", "withdrawn_at"])
    return request


@transaction.atomic
def change_request_decide(
    *,
    request_id: int,
    by: User,
    rationale: str,
    option_id: int | None,
    option_version: int | None = None,
    at: datetime | None = None,
) -> ChangeDecision:
    """Record the decision and, for an accepted option, apply it and move the baseline.

    One transaction, with the project and the request locked (in that order): the project's
    deadline and budget move by the option's impact, its added deliverables are created in
    scope, its descoped ones leave the scope, the current baseline is retired and the next one
    written from it with the same changes. A second decision, or a decision on a withdrawn or
    rejected request, is refused here and, failing that, by the database (one decision per
    request; a trigger accepts decisions only on open requests).
    """
    if not rationale.strip():
        raise ValidationError({"rationale": "Say why: the decision is recorded with its reason."})
    project, request = _lock_open_request(request_id)
    now = at or timezone.now()
    if option_id is None:
        decision = ChangeDecision.objects.create(
            request=request,
            outcome=DecisionOutcome.REJECTED,
            rationale=rationale,
            decided_by=by,
            decided_at=now,
        )
        request.status = ChangeStatus.REJECTED
        request.save(update_fields=["status"])
        announce(Event.CHANGE_REQUEST_DECIDED, change_request_id=request.pk)
        return decision

    option = ChangeOption.objects.filter(request=request, pk=option_id).first()
    if option is None:
        raise ValidationError({"option": "Choose one of this request's options."})
    if option_version is not None and option.version != option_version:
        raise StaleEdit(option)
    _check_option_impact(project, option.deadline_days, option.budget_amount)

    decision = ChangeDecision.objects.create(
        request=request,
        outcome=DecisionOutcome.ACCEPTED,
        option=option,
        rationale=rationale,
        decided_by=by,
        decided_at=now,
    )
    request.status = ChangeStatus.ACCEPTED
    request.save(update_fields=["status"])

    shift = timedelta(days=option.deadline_days)
    save_edit(
        project,
        {"deadline": project.deadline + shift, "budget": project.budget + option.budget_amount},
        by=by,
    )

    descoped = list(option.descopes.filter(project=project))
    Deliverable.objects.filter(pk__in=[d.pk for d in descoped]).update(
        in_scope=False, version=F("version") + 1, updated_by=by, updated_at=now
    )
    added = [
        Deliverable.objects.create(
            project=project,
            title=title[:200],
            description=f"Added by {request.code}, option {option.label}: {option.title}",
            due_date=project.deadline,
            roadmap_item=request.roadmap_item,
            updated_by=by,
        )
        for title in option.added_titles
    ]

    previous = Baseline.objects.select_for_update().get(project=project, is_current=True)
    Baseline.objects.filter(pk=previous.pk).update(is_current=False)
    baseline = Baseline.objects.create(
        project=project,
        number=previous.number + 1,
        kind=BaselineKind.CHANGE,
        decision=decision,
        is_current=True,
        start_date=previous.start_date,
        deadline=previous.deadline + shift,
        budget=previous.budget + option.budget_amount,
        currency=previous.currency,
        created_by=by,
        created_at=now,
    )
    removed = {d.pk for d in descoped}
    kept = [item for item in previous.items.all() if item.deliverable_ref not in removed]
    BaselineItem.objects.bulk_create(
        [
            BaselineItem(
                baseline=baseline,
                deliverable_ref=item.deliverable_ref,
                title=item.title,
                moscow=item.moscow,
                estimate_days=item.estimate_days,
                due_date=item.due_date,
            )
            for item in kept
        ]
    )
    _snapshot_items(baseline, added)
    announce(Event.CHANGE_REQUEST_DECIDED, change_request_id=request.pk)
    announce(Event.BASELINE_CREATED, project_id=project.pk, baseline_id=baseline.pk)
    return decision
