"""The projects card of the dashboard: the projects the user manages, edits or owns the product
of, with their health, deadline and the change requests waiting for this user. A fixed number of
queries, whatever the number of projects."""

from __future__ import annotations

from django.utils import timezone

from projects import health
from projects.models import ChangeRequest, Project, ProjectStatus

LIMIT = 8


def dashboard_context(user) -> dict:
    today = timezone.localdate()
    projects = list(
        Project.objects.involving(user)
        .for_list()
        .exclude(status__in=[ProjectStatus.DONE, ProjectStatus.CANCELLED])
        .order_by("deadline", "name")[:LIMIT]
    )
    facts = health.facts_for_projects(projects, today)
    waiting: dict[int, list[dict]] = {p.pk: [] for p in projects}
    requests = (
        ChangeRequest.objects.open()
        .filter(project_id__in=list(waiting))
        .with_option_count()
        .order_by("number")
    )
    by_pk = {p.pk: p for p in projects}
    for cr in requests:
        project = by_pk[cr.project_id]
        owner = project.product_owner_id == user.pk
        if owner and cr.option_count:
            waiting[cr.project_id].append({"cr": cr, "what": "awaits your decision"})
        elif not owner and not cr.option_count and project.manager_id == user.pk:
            waiting[cr.project_id].append({"cr": cr, "what": "awaits your options"})
        elif cr.option_count:
            waiting[cr.project_id].append({"cr": cr, "what": "awaits a decision"})
        else:
            waiting[cr.project_id].append({"cr": cr, "what": "awaits options"})
    rows = []
    for p in projects:
        roles = []
        if p.manager_id == user.pk:
            roles.append("project manager")
        if p.product_owner_id == user.pk:
            roles.append("product owner")
        rows.append(
            {
                "project": p,
                "health": health.assess(facts[p.pk]),
                "days_left": (p.deadline - today).days,
                "roles": roles or ["editor"],
                "waiting": waiting[p.pk],
            }
        )
    return {"my_projects": rows}
