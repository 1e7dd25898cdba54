"""Writes on a project's plan: the project itself and its approval, its deliverables,
milestones, cost lines and risks (projects.services says the rules they share)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from products.models import Product, RoadmapItem
from projects import tasks
from projects.models import (
    COMMITTED_STATUSES,
    ApprovalRequest,
    ApprovalStatus,
    Baseline,
    BaselineItem,
    BaselineKind,
    CostLine,
    Deliverable,
    DeliverableStatus,
    Milestone,
    MilestoneDependency,
    Moscow,
    Project,
    ProjectRisk,
    ProjectStatus,
    RemovalKind,
    ScopeRemoval,
)
from projects.notifications import approval_request_email
from roleplan.dates import validate_date_in_range
from roleplan.events import Event, announce
from roleplan.uniqueness import Unique, save_with_free_slug, unique_or_error
from roleplan.versioning import lock_for_edit, save_edit


class Refused(Exception):
    """A rule of the domain refuses the action (deciding twice, deciding a withdrawn request…).
    The message is meant for the user."""


class ScopeGuarded(Refused):
    """Taking a deliverable of the current baseline out of scope (or deleting it) outside a
    decided change request: refused, so the page can offer the two ways that are allowed."""

    def __init__(self, deliverable: Deliverable, *, delete: bool) -> None:
        self.deliverable = deliverable
        self.delete = delete
        verb = "Deleting" if delete else "Taking out of scope"
        super().__init__(
            f"{verb} “{deliverable.title}” changes the approved baseline: raise a change "
            "request, or the product's owner records the reason."
        )


# Fields fixed by the baseline once a project is approved: they move only through a decided
# change request.
BASELINED_FIELDS = ("start_date", "deadline", "budget", "currency")
RESERVED_SLUGS = {"new", "import"}


def _lock_project(project_id: int) -> Project:
    """Lock the project's row (first, always: see the locking order above) and count its
    revision up: every caller is about to change the project's plan, and the revision is the
    key of what the project page keeps in the cache (projects.overview)."""
    Project.objects.filter(pk=project_id).update(revision=F("revision") + 1)
    # Its health may change with the write: noted (and announced if so) once it commits.
    tasks.note_health.delay_on_commit([project_id])
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


def check_span(start_date: date, deadline: date) -> None:
    """A project's dates, for every caller (pages and the API check them in their forms too;
    an import computes its deadline): each in range, the deadline after the start."""
    errors = {}
    for name, value in (("start_date", start_date), ("deadline", deadline)):
        try:
            validate_date_in_range(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if not errors and deadline <= start_date:
        errors["deadline"] = ["The deadline must be after the start date."]
    if errors:
        raise ValidationError(errors)


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
    check_span(start_date, deadline)
    project = Project(
        name=name,
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
    if slug:  # chosen (the demo): taken meanwhile is an error next to it
        project.slug = slug
        with unique_or_error(project, Unique("slug", "slug", f"The address “{slug}” is taken.")):
            project.save(force_insert=True)
    else:  # made from the name, which projects may share: the next free address
        save_with_free_slug(project, name, fallback="project", reserved=RESERVED_SLUGS)
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
    check_span(
        changes.get("start_date", project.start_date), changes.get("deadline", project.deadline)
    )
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
                start_date=d.start_date,
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
    _check_approvable(project, "approving it")
    now = at or timezone.now()
    save_edit(
        project, {"approved_at": now, "approved_by": by, "status": ProjectStatus.ACTIVE}, by=by
    )
    ApprovalRequest.objects.pending().filter(project=project).update(
        status=ApprovalStatus.APPROVED, decided_by=by, decided_at=now
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


def _check_approvable(project: Project, doing: str) -> None:
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
        raise Refused(f"State the project's {' and '.join(missing)} before {doing}.")
    if project.status in (ProjectStatus.CANCELLED, ProjectStatus.DONE):
        raise Refused(f"A {project.get_status_display().lower()} project cannot be approved.")


@transaction.atomic
def approval_request(
    *, project_id: int, by: User, note: str = "", at: datetime | None = None
) -> ApprovalRequest:
    """The project manager asks the product's owner to approve the baseline. One request waits
    at a time (the database holds it too); the owner is emailed once, after the commit."""
    project = _lock_project(project_id)
    if not project.product_id:
        raise Refused("A project without a product is approved by its manager: approve it.")
    _check_approvable(project, "asking for approval")
    if project.approvals.pending().exists():
        raise Refused("Approval is already asked for; it waits for the product's owner.")
    approval = ApprovalRequest.objects.create(
        project=project, requested_by=by, requested_at=at or timezone.now(), note=note.strip()
    )
    tasks.send_approval_request.delay_on_commit(approval.pk)
    announce(Event.APPROVAL_REQUESTED, project_id=project.pk, approval_id=approval.pk)
    return approval


@transaction.atomic
def approval_return(
    *, project_id: int, by: User, comment: str, at: datetime | None = None
) -> ApprovalRequest:
    """The product's owner sends the baseline back to the project manager, saying why."""
    if not comment.strip():
        raise ValidationError({"comment": "Say what should change before you approve."})
    project = _lock_project(project_id)
    approval = project.approvals.pending().select_for_update().first()
    if approval is None:
        raise Refused("No approval is asked for on this project.")
    approval.status = ApprovalStatus.RETURNED
    approval.decided_by = by
    approval.decided_at = at or timezone.now()
    approval.comment = comment.strip()
    approval.save(update_fields=["status", "decided_by", "decided_at", "comment"])
    announce(Event.APPROVAL_RETURNED, project_id=project.pk, approval_id=approval.pk)
    return approval


def approval_email_send(*, approval_id: int) -> bool:
    """Email the product's owner that a baseline awaits approval: once per request, however
    often this runs (a task retried, run twice). The claim (notified_at) is committed before
    the email is sent, so a second run finds it taken; a send that fails gives the claim back
    and raises, for the task to retry. Not one transaction on purpose: the claim must be seen
    by other runs while this one talks to the mail server. Returns whether it sent."""
    claimed = ApprovalRequest.objects.filter(
        pk=approval_id, status=ApprovalStatus.PENDING, notified_at__isnull=True
    ).update(notified_at=timezone.now())
    if not claimed:
        return False
    approval = ApprovalRequest.objects.select_related(
        "project__product__asset__owner", "project__manager", "requested_by"
    ).get(pk=approval_id)
    try:
        message = approval_request_email(approval)
        if message is not None:
            message.send()
    except Exception:
        ApprovalRequest.objects.filter(pk=approval_id).update(notified_at=None)
        raise
    return message is not None


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
    owner: User | None = None,
    group: str = "",
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
        "owner": owner,
        "group": group,
    }
    _check_deliverable(fields)
    _lock_project(project.pk)
    return Deliverable.objects.create(
        project=project, updated_by=by, done_on=_done_on(status, None), **fields
    )


def baseline_holding(deliverable: Deliverable) -> Baseline | None:
    """The current baseline when it holds the deliverable (its scope was committed)."""
    return Baseline.objects.filter(
        project_id=deliverable.project_id, is_current=True, items__deliverable_ref=deliverable.pk
    ).first()


@transaction.atomic
def deliverable_update(
    *, deliverable_id: int, expected_version: int, by: User, changes: dict
) -> Deliverable:
    """Save a deliverable's fields. Taking one of the current baseline out of scope is refused
    (ScopeGuarded): it goes through a change request, or deliverable_remove."""
    _lock_project(_project_of(Deliverable, deliverable_id))
    current = lock_for_edit(Deliverable, deliverable_id, expected_version, changes)
    merged = {
        f: changes.get(f, getattr(current, f))
        for f in ("moscow", "in_scope", "start_date", "due_date")
    }
    _check_deliverable(merged)
    if current.in_scope and not merged["in_scope"] and baseline_holding(current):
        raise ScopeGuarded(current, delete=False)
    status = changes.get("status", current.status)
    save_edit(current, {**changes, "done_on": _done_on(status, current.done_on)}, by=by)
    return current


@transaction.atomic
def deliverable_delete(*, deliverable_id: int, expected_version: int) -> None:
    """Delete a deliverable; one in scope that the current baseline holds is refused
    (ScopeGuarded)."""
    _lock_project(_project_of(Deliverable, deliverable_id))
    current = lock_for_edit(Deliverable, deliverable_id, expected_version)
    if current.in_scope and baseline_holding(current):
        raise ScopeGuarded(current, delete=True)
    current.delete()


@transaction.atomic
def deliverable_remove(
    *,
    deliverable_id: int,
    expected_version: int,
    by: User,
    reason: str,
    delete: bool = False,
    at: datetime | None = None,
) -> ScopeRemoval:
    """The product's owner takes a deliverable of the current baseline out of scope (or deletes
    it) without a change request, saying why: the reason is kept (ScopeRemoval) and shown with
    the scope's difference from the baseline, which does not move."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why: the reason is kept with the project."})
    project = _lock_project(_project_of(Deliverable, deliverable_id))
    owner_id = (
        Product.objects.filter(pk=project.product_id).values_list("asset__owner_id", flat=True)
    ).first()
    if owner_id is None or owner_id != by.pk:
        raise Refused("Only the owner of the project's product removes scope with a reason.")
    current = lock_for_edit(Deliverable, deliverable_id, expected_version)
    baseline = baseline_holding(current)
    if baseline is None or not current.in_scope:
        raise Refused(f"“{current.title}” is not in the baselined scope: nothing to guard.")
    removal = ScopeRemoval.objects.create(
        project=project,
        baseline=baseline,
        deliverable_ref=current.pk,
        title=current.title,
        kind=RemovalKind.DELETED if delete else RemovalKind.DESCOPED,
        reason=reason.strip(),
        by=by,
        at=at or timezone.now(),
    )
    if delete:
        current.delete()
    else:
        save_edit(current, {"in_scope": False}, by=by)
    return removal


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


FUTURE_ACTUAL = (
    "An actual amount is recorded once the money is spent: date the line today or earlier, "
    "or leave the actual empty until then."
)


def _check_actual(actual: Decimal | None, day: date) -> None:
    """Spent money is dated when it was spent, so spent-to-date is every actual amount and every
    page reads the same figure (projects.health)."""
    if actual is not None and day > timezone.localdate():
        raise ValidationError({"actual": FUTURE_ACTUAL})


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
    _check_actual(actual, date)
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
    _check_actual(changes.get("actual", row.actual), changes.get("date", row.date))
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
