"""The projects card of the dashboard: the baselines that await this user's approval, and the
projects the user manages, edits or owns the product of, with their health, money (the same
figures as the project page: projects.health, from the cache for projects unchanged since), deadline, approval and the change requests
waiting for this user. A fixed number of queries, whatever the number of projects."""

from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from projects import health
from projects.models import ApprovalRequest, ApprovalStatus, ChangeRequest, Project, ProjectStatus

LIMIT = 8


def dashboard_context(user) -> dict:
    today = timezone.localdate()
    projects = list(
        Project.objects.involving(user)
        .for_list()
        .exclude(status__in=[ProjectStatus.DONE, ProjectStatus.CANCELLED])
        .order_by("deadline", "name")[:LIMIT]
    )
    # The same figures as the project page, kept under each project's revision (the product
    # page's projects panel reads them so too): read only for projects changed since.
    figures = health.figures_cached(projects, today)
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

    # Approvals: those waiting for this user (any of their products' projects, listed or not),
    # and the latest of each listed project not approved yet. One query.
    unapproved = [p.pk for p in projects if not p.is_approved]
    approvals = list(
        ApprovalRequest.objects.filter(
            Q(project_id__in=unapproved)
            | Q(status=ApprovalStatus.PENDING, project__product__asset__owner=user)
        )
        .select_related("project", "requested_by", "decided_by")
        .annotate(owner_id=F("project__product__asset__owner_id"))
        .order_by("-requested_at", "-id")
    )
    awaiting_me = [a for a in approvals if a.is_pending and a.owner_id == user.pk]
    latest: dict[int, ApprovalRequest] = {}
    for approval in approvals:
        latest.setdefault(approval.project_id, approval)

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
                "health": health.assess(figures[p.pk].facts),
                "costs": health.Costs.of(p, figures[p.pk]),
                "days_left": (p.deadline - today).days,
                "roles": roles or ["editor"],
                "waiting": waiting[p.pk],
                "approval": latest.get(p.pk) if not p.is_approved else None,
            }
        )
    return {"my_projects": rows, "approvals_for_me": awaiting_me}
