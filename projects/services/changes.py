"""Writes on change requests: raising one, its options (with what each does to the roadmap
items it touches), withdrawing it, and the decision that moves the project, its baseline and
the roadmap together (projects.services says the rules they share)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from products import services as products
from products.models import Horizon, Kpi, RoadmapItem
from products.models import Status as ItemStatus
from projects.models import (
    LATER_HORIZONS,
    TO_A_HORIZON,
    Baseline,
    BaselineItem,
    BaselineKind,
    ChangeDecision,
    ChangeOption,
    ChangeOptionItem,
    ChangeRequest,
    ChangeStatus,
    CostCategory,
    CostLine,
    DecisionOutcome,
    Deliverable,
    ItemEffect,
    Project,
    ProjectStatus,
)
from projects.services.plan import Refused, _lock_project, _snapshot_items
from roleplan.dates import LATEST
from roleplan.events import Event, announce
from roleplan.versioning import StaleEdit, edit_rows, lock_for_edit, save_edit, save_fields

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
    descope: Deliverable | None = None,
    at: datetime | None = None,
) -> ChangeRequest:
    """Raise a change request. With `descope` (a deliverable the baseline holds, when the
    project manager asked to take it out of scope), the request comes with option A doing just
    that, so the product's owner can decide at once."""
    project = _lock_project(project_id)
    if not project.is_approved:
        raise Refused("Change requests start once the project has an approved baseline.")
    if project.status in (ProjectStatus.DONE, ProjectStatus.CANCELLED):
        raise Refused(f"The project is {project.get_status_display().lower()}.")
    for obj, name in ((roadmap_item, "roadmap_item"), (kpi, "kpi")):
        if obj is not None and obj.product_id != project.product_id:
            raise ValidationError({name: "Choose one of this project's product."})
    if descope is not None and (descope.project_id != project.pk or not descope.in_scope):
        raise ValidationError({"descope": "Choose a deliverable in this project's scope."})
    number = (project.change_requests.aggregate(n=Max("number"))["n"] or 0) + 1
    now = at or timezone.now()
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
        requested_at=now,
    )
    if descope is not None:
        option = ChangeOption.objects.create(
            request=request,
            label="A",
            title=f"Take “{descope.title}” out of scope"[:200],
            created_by=by,
            created_at=now,
            updated_by=by,
        )
        option.descopes.set([descope])
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
    # Compared in days, not as a moved date: no date arithmetic on a number from outside.
    if deadline_days <= (project.start_date - project.deadline).days:
        errors["deadline_days"] = "The deadline would fall on or before the project's start."
    elif deadline_days > (LATEST - project.deadline).days:
        errors["deadline_days"] = "The deadline would fall after 31 Dec 2200."
    if project.budget + budget_amount < 0:
        errors["budget_amount"] = "The budget would become negative."
    if errors:
        raise ValidationError(errors)


def _check_descopes(request: ChangeRequest, descopes: list[Deliverable]) -> None:
    if any(d.project_id != request.project_id for d in descopes):
        raise ValidationError({"descopes": "Choose deliverables of this project."})


@dataclass(frozen=True)
class OptionItem:
    """What an option does to one roadmap item (ChangeOptionItem), as a form hands it over."""

    item: RoadmapItem
    effect: str
    horizon: str = ""
    adds: str = ""


def _check_option_items(project: Project, items: list[OptionItem]) -> None:
    problems = []
    if any(row.item.product_id != project.product_id for row in items):
        problems.append("Choose roadmap items of this project's product.")
    if len({row.item.pk for row in items}) != len(items):
        problems.append("Say once what happens to each roadmap item.")
    for row in items:
        if row.effect not in ItemEffect.values:
            problems.append(f"“{row.item.title}”: choose what happens to it.")
        elif row.effect in TO_A_HORIZON and row.horizon not in LATER_HORIZONS:
            problems.append(f"“{row.item.title}”: choose the horizon it goes back to.")
        elif row.effect not in TO_A_HORIZON and row.horizon:
            problems.append(f"“{row.item.title}”: a horizon only goes with descoped or deferred.")
    if problems:
        raise ValidationError({"items": problems})


def _set_option_items(option: ChangeOption, items: list[OptionItem]) -> None:
    option.item_effects.all().delete()
    ChangeOptionItem.objects.bulk_create(
        ChangeOptionItem(
            option=option,
            item=row.item,
            effect=row.effect,
            horizon=row.horizon if row.effect in TO_A_HORIZON else "",
            adds="\n".join(line.strip()[:200] for line in row.adds.splitlines() if line.strip()),
        )
        for row in items
    )


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
    items: list[OptionItem] | tuple = (),
    deadline_days: int = 0,
    budget_amount: Decimal = Decimal(0),
    at: datetime | None = None,
) -> ChangeOption:
    """An option of the project manager: its impact on deadline and budget, the deliverables it
    adds (`adds`: not traced to a roadmap item) and takes out of scope, and what it does to each
    roadmap item it touches (`items`)."""
    project, request = _lock_open_request(request_id)
    _check_option_impact(project, deadline_days, budget_amount)
    _check_descopes(request, list(descopes))
    _check_option_items(project, list(items))
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
    _set_option_items(option, list(items))
    return option


@transaction.atomic
def change_option_update(
    *,
    option_id: int,
    expected_version: int,
    by: User,
    changes: dict,
    descopes: list[Deliverable] | None = None,
    items: list[OptionItem] | None = None,
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
    if descopes is not None:
        _check_descopes(request, descopes)
    if items is not None:
        _check_option_items(project, items)
    save_edit(option, changes, by=by)
    if descopes is not None:
        option.descopes.set(descopes)
    if items is not None:
        _set_option_items(option, items)
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
    save_fields(request, ["status", "withdrawn_at"], by=by)
    return request


def _item_moves(effect: ChangeOptionItem) -> dict:
    """The status and horizon an item takes from the effect (None: unchanged). An item brought
    in is planned in Now (in progress stays so); one sent back to a horizon that was in
    progress is planned again; a simplified one keeps both."""
    status = effect.item.status
    if effect.effect == ItemEffect.BRING_IN:
        keep = status == ItemStatus.IN_PROGRESS
        return {"status": None if keep else ItemStatus.PLANNED, "horizon": Horizon.NOW}
    if effect.effect in TO_A_HORIZON:
        back = ItemStatus.PLANNED if status == ItemStatus.IN_PROGRESS else None
        return {"status": back, "horizon": effect.horizon}
    return {}


def _apply_option(
    project: Project, request: ChangeRequest, decision: ChangeDecision, by: User, now: datetime
) -> tuple[set[int], list[Deliverable]]:
    """Apply an accepted option to the scope, the roadmap and the cost lines. Returns the ids of
    the deliverables that left the scope and the deliverables added."""
    option = decision.option
    effects = list(option.item_effects.select_related("item"))
    sent_back = [e.item_id for e in effects if e.effect in TO_A_HORIZON]
    removed = {d.pk for d in option.descopes.filter(project=project)} | set(
        project.deliverables.filter(in_scope=True, roadmap_item_id__in=sent_back).values_list(
            "pk", flat=True
        )
    )
    edit_rows(Deliverable.objects.filter(pk__in=removed), {"in_scope": False}, by=by, at=now)
    delivered = set(
        project.deliverables.filter(in_scope=True, roadmap_item__isnull=False).values_list(
            "roadmap_item_id", flat=True
        )
    )
    why = f"Added by {request.code}, option {option.label}: {option.title}"
    to_add = [(title, None) for title in option.added_titles]
    for e in effects:
        titles = e.added_titles
        if not titles and e.effect == ItemEffect.BRING_IN and e.item_id not in delivered:
            titles = [e.item.title]  # brought in: at least one deliverable delivers it
        to_add += [(title, e.item) for title in titles]
    added = [
        Deliverable.objects.create(
            project=project,
            title=title[:200],
            description=why,
            due_date=project.deadline,
            roadmap_item=item,
            updated_by=by,
        )
        for title, item in to_add
    ]
    moves = {e.item_id: _item_moves(e) for e in effects}
    products.roadmap_items_revise(
        changes={
            pk: {k: v for k, v in move.items() if v is not None} for pk, move in moves.items()
        },
        by=by,
        note=f"{request.code} decided: option {option.label}, “{option.title}”",
        link=request.get_absolute_url(),
    )
    if option.budget_amount > 0:
        # The added budget is planned spending, so budget and forecast at completion agree.
        CostLine.objects.create(
            project=project,
            category=CostCategory.OTHER,
            description=f"{request.code}: {request.title}"[:200],
            planned=option.budget_amount,
            date=project.deadline,
            decision=decision,
            updated_by=by,
        )
    return removed, added


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
    deadline and budget move by the option's impact; the option's deliverables are added (traced
    to the roadmap item the option names for them) and its descoped ones, with those of the
    items it sends back to a horizon, leave the scope; the roadmap items it touches change
    status and horizon (products.services, with a history line naming the request); added
    budget becomes a planned cost line named after the request; the current baseline is retired
    and the next one written from it with the same changes. Anything failing rolls all of it
    back. A second decision, or a decision on a withdrawn or rejected request, is refused here
    and, failing that, by the database (one decision per request; a trigger accepts decisions
    only on open requests).
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
        save_fields(request, ["status"], by=by)
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
    save_fields(request, ["status"], by=by)

    shift = timedelta(days=option.deadline_days)
    save_edit(
        project,
        {"deadline": project.deadline + shift, "budget": project.budget + option.budget_amount},
        by=by,
    )
    removed, added = _apply_option(project, request, decision, by, now)

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
    kept = [item for item in previous.items.all() if item.deliverable_ref not in removed]
    BaselineItem.objects.bulk_create(
        [
            BaselineItem(
                baseline=baseline,
                deliverable_ref=item.deliverable_ref,
                title=item.title,
                moscow=item.moscow,
                estimate_days=item.estimate_days,
                start_date=item.start_date,
                due_date=item.due_date,
            )
            for item in kept
        ]
    )
    _snapshot_items(baseline, added)
    announce(Event.CHANGE_REQUEST_DECIDED, change_request_id=request.pk)
    announce(Event.BASELINE_CREATED, project_id=project.pk, baseline_id=baseline.pk)
    return decision
