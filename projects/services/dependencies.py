"""Writes on the finish-to-start dependencies between a project's deliverables.

A loop (A before B before A) is refused with a message naming it. Two people adding links at
once could each add half of a loop that neither sees alone; so each write locks the project's
row first (the locking order of projects.services) and only then reads the project's links:
the second writer waits, then sees the first one's link and refuses.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from projects.models import MAX_LAG_DAYS, Deliverable, DeliverableDependency
from projects.services.plan import _lock_project


def loop_through(edges: Iterable[tuple[int, int]], predecessor: int, successor: int) -> list[int]:
    """The loop that a link predecessor → successor would close, as the nodes in order from
    the predecessor back to it ([p, s, …, p]); [] when it closes none. `edges` are the
    (predecessor, successor) pairs already there."""
    after: dict[int, list[int]] = {}
    for pred, succ in edges:
        after.setdefault(pred, []).append(succ)
    # Breadth first from the successor: the shortest way back to the predecessor, if any.
    came_from: dict[int, int] = {successor: successor}
    queue = [successor]
    while queue:
        node = queue.pop(0)
        if node == predecessor:
            path = [node]
            while path[-1] != successor:
                path.append(came_from[path[-1]])
            return [predecessor, *reversed(path)]
        for nxt in after.get(node, ()):
            if nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return []


def describe_loop(loop: list[int], titles: dict[int, str]) -> str:
    names = " → ".join(f"“{titles.get(pk, pk)}”" for pk in loop)
    return f"That would make a loop: {names} (each would wait for the one before it)."


def project_links(project_id: int) -> list[tuple[int, int]]:
    return list(
        DeliverableDependency.objects.filter(successor__project_id=project_id).values_list(
            "predecessor_id", "successor_id"
        )
    )


@transaction.atomic
def deliverable_dependency_add(
    *, successor_id: int, predecessor_id: int, by: User, lag_days: int = 0
) -> DeliverableDependency:
    """`successor` starts only after `predecessor` finishes (plus `lag_days`). Linking the
    same pair again changes its lag. Refused (ValidationError on "predecessor"): itself,
    another project's deliverable, a loop."""
    project_id = Deliverable.objects.values_list("project_id", flat=True).get(pk=successor_id)
    _lock_project(project_id)
    if predecessor_id == successor_id:
        raise ValidationError({"predecessor": "A deliverable cannot depend on itself."})
    if abs(lag_days) > MAX_LAG_DAYS:
        raise ValidationError({"lag_days": f"A lag is at most {MAX_LAG_DAYS} days either way."})
    if not Deliverable.objects.filter(pk=predecessor_id, project_id=project_id).exists():
        raise ValidationError({"predecessor": "Choose a deliverable of this project."})
    existing = DeliverableDependency.objects.filter(
        predecessor_id=predecessor_id, successor_id=successor_id
    ).first()
    if existing is not None:
        existing.lag_days = lag_days
        existing.save(update_fields=["lag_days"])
        return existing
    loop = loop_through(project_links(project_id), predecessor_id, successor_id)
    if loop:
        titles = dict(Deliverable.objects.filter(pk__in=loop).values_list("pk", "title"))
        raise ValidationError({"predecessor": describe_loop(loop, titles)})
    return DeliverableDependency.objects.create(
        predecessor_id=predecessor_id, successor_id=successor_id, lag_days=lag_days
    )


@transaction.atomic
def deliverable_dependency_remove(*, dependency_id: int, by: User) -> None:
    """Remove one link; one already gone is nothing to do (a second click, another tab)."""
    project_id = (
        DeliverableDependency.objects.filter(pk=dependency_id)
        .values_list("successor__project_id", flat=True)
        .first()
    )
    if project_id is None:
        return
    _lock_project(project_id)
    DeliverableDependency.objects.filter(pk=dependency_id).delete()
