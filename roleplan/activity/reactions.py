"""Notifications for what happened in the other apps: the domain events they announce
(subscribed in apps.ActivityConfig.ready) and the action items of the weekly syncs, which a
periodic sweep reads (tasks.sweep_action_items).

Every handler takes ids, reads the rows as they are now, and writes through notifications.notify
under an event key of its own, so a handler run twice, or a sweep run every few minutes, tells
each person once.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import F
from django.urls import reverse

from projects.models import ApprovalRequest, ChangeRequest, ChangeStatus, DecisionOutcome
from roleplan.activity.models import Kind, Notification, Verb
from roleplan.activity.notifications import followers_of, notify
from roleplan.activity.targets import TARGETS
from roleplan.alignment.models import ActionItem
from roleplan.ownership.models import Handover

# An action item is announced to its owner while it is this young; overdue ones while their
# due date is this recent (a first sweep does not flood anyone with last year's items).
GIVEN_WINDOW = timedelta(days=14)
OVERDUE_WINDOW = timedelta(days=30)


def _change_request(change_request_id: int) -> ChangeRequest | None:
    return (
        ChangeRequest.objects.select_related("project__product__asset", "decision")
        .filter(pk=change_request_id)
        .first()
    )


def _project_people(request: ChangeRequest) -> set[int]:
    project = request.project
    people = {project.manager_id, project.product_owner_id, request.requested_by_id}
    people |= set(project.editors.values_list("pk", flat=True))
    people |= followers_of([request, project, project.product])
    return {pk for pk in people if pk is not None}


def change_request_raised(*, change_request_id: int) -> None:
    request = _change_request(change_request_id)
    if request is None:
        return
    notify(
        kind=Kind.CHANGE_REQUEST,
        verb=Verb.RAISED,
        event_key=f"change-raised:{request.pk}",
        target=TARGETS["change"],
        obj=request,
        actor_id=request.requested_by_id,
        recipients=_project_people(request),
        excerpt_text=request.why,
    )


def change_request_decided(*, change_request_id: int) -> None:
    """Decided (accepted or rejected) or withdrawn: the project's people, the requester, and
    the followers of the request, its project and its product."""
    request = _change_request(change_request_id)
    if request is None or request.status == ChangeStatus.OPEN:
        return
    decision = getattr(request, "decision", None)
    if request.status == ChangeStatus.WITHDRAWN or decision is None:
        verb, actor_id, text = Verb.WITHDRAWN, request.project.product_owner_id, ""
    else:
        accepted = decision.outcome == DecisionOutcome.ACCEPTED
        verb = Verb.ACCEPTED if accepted else Verb.REJECTED
        actor_id, text = decision.decided_by_id, decision.rationale
    notify(
        kind=Kind.CHANGE_REQUEST,
        verb=verb,
        event_key=f"change-decided:{request.pk}",
        target=TARGETS["change"],
        obj=request,
        actor_id=actor_id,
        recipients=_project_people(request),
        excerpt_text=text,
    )


def _approval(approval_id: int) -> ApprovalRequest | None:
    return (
        ApprovalRequest.objects.select_related("project__product__asset")
        .filter(pk=approval_id)
        .first()
    )


def approval_requested(*, project_id: int, approval_id: int) -> None:
    approval = _approval(approval_id)
    if approval is None or approval.project.product_owner_id is None:
        return
    project = approval.project
    notify(
        kind=Kind.APPROVAL,
        verb=Verb.APPROVAL_ASKED,
        event_key=f"approval:{approval.pk}",
        target=TARGETS["project"],
        obj=project,
        actor_id=approval.requested_by_id,
        recipients=[project.product_owner_id],
        excerpt_text=approval.note,
        url=reverse("projects:approve", args=[project.slug]),
    )


def approval_returned(*, project_id: int, approval_id: int) -> None:
    approval = _approval(approval_id)
    if approval is None:
        return
    project = approval.project
    notify(
        kind=Kind.APPROVAL,
        verb=Verb.APPROVAL_RETURNED,
        event_key=f"approval-returned:{approval.pk}",
        target=TARGETS["project"],
        obj=project,
        actor_id=approval.decided_by_id,
        recipients=[approval.requested_by_id, project.manager_id],
        excerpt_text=approval.comment,
    )


def handover_done(*, asset_id: int, handover_id: int) -> None:
    handover = Handover.objects.select_related("asset").filter(pk=handover_id).first()
    if handover is None:
        return
    notify(
        kind=Kind.HANDOVER,
        verb=Verb.HANDED_OVER,
        event_key=f"handover:{handover.pk}",
        target=TARGETS["asset"],
        obj=handover.asset,
        actor_id=handover.by_id,
        recipients=[handover.to_owner_id],
        excerpt_text=handover.reason,
    )


def action_items_sweep(*, today: date) -> int:
    """Tell owners of the action items given to them (by someone else) and of their items that
    became overdue. Safe to run any number of times: each (item, owner) and (item, due date)
    is one event. Returns how many people were told this time."""
    items = ActionItem.objects.open().select_related(
        "meeting__series__product_manager", "meeting__series__project_manager"
    )
    given = items.filter(created_at__date__gte=today - GIVEN_WINDOW).exclude(
        owner_id=F("created_by_id")
    )
    overdue = items.filter(due_date__lt=today, due_date__gte=today - OVERDUE_WINDOW)
    events = [(f"action-given:{a.pk}:{a.owner_id}", Verb.ACTION_GIVEN, a) for a in given]
    events += [(f"action-overdue:{a.pk}:{a.due_date}", Verb.ACTION_OVERDUE, a) for a in overdue]
    if not events:
        return 0
    done = set(
        Notification.objects.filter(event_key__in=[key for key, _, _ in events]).values_list(
            "event_key", "recipient_id"
        )
    )
    told = 0
    for key, verb, item in events:
        if (key, item.owner_id) in done:
            continue
        told += len(
            notify(
                kind=Kind.ACTION_ITEM,
                verb=verb,
                event_key=key,
                target=TARGETS["action-item"],
                obj=item,
                actor_id=item.created_by_id if verb == Verb.ACTION_GIVEN else None,
                recipients=[item.owner_id],
                excerpt_text=item.text,
            )
        )
    return told
