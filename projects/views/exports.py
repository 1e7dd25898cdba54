"""The project's exports: MS Project XML, the milestones as a calendar, deliverables and risks
as CSV. Each is a file of the whole project, so each reads every row it writes."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from projects import exports, mspdi
from projects.access import get_project
from projects.models import DeliverableDependency
from roleplan.http import HttpRequest


def attachment(content: str | bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def export_mspdi(request: HttpRequest, slug: str, filename: str) -> HttpResponse:
    access = get_project(request.user, slug)
    project = access.project
    if filename != project.slug:
        raise Http404("No such export.")
    deliverables = list(
        project.deliverables.select_related("owner").order_by("due_date", "start_date", "id")
    )
    milestones = list(project.milestones.prefetch_related("depends_on").order_by("due_date", "id"))
    baseline = project.baselines.filter(is_current=True).first()
    body = mspdi.build(
        project,
        deliverables,
        milestones,
        links=list(DeliverableDependency.objects.filter(successor__project=project)),
        baseline=baseline,
        baseline_items=list(baseline.items.all()) if baseline else [],
        cost_lines=list(project.cost_lines.order_by("date", "id")),
        editors=list(project.editors.order_by("first_name", "last_name", "username")),
    )
    return attachment(body, "application/xml; charset=utf-8", f"{slug}.xml")


@require_GET
def export_ics(request: HttpRequest, slug: str, filename: str) -> HttpResponse:
    access = get_project(request.user, slug)
    if filename != access.project.slug:
        raise Http404("No such export.")
    milestones = list(
        access.project.milestones.prefetch_related("depends_on").order_by("due_date", "id")
    )
    return attachment(
        exports.ics(access.project, milestones), "text/calendar; charset=utf-8", f"{slug}.ics"
    )


@require_GET
def export_deliverables_csv(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    rows = list(
        access.project.deliverables.select_related("roadmap_item__kpi").order_by("due_date", "id")
    )
    return attachment(
        exports.deliverables_csv(rows), "text/csv; charset=utf-8", f"{slug}-deliverables.csv"
    )


@require_GET
def export_risks_csv(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    rows = list(access.project.risks.select_related("owner").order_by("-score", "number"))
    return attachment(
        exports.risks_csv(rows, timezone.localdate()),
        "text/csv; charset=utf-8",
        f"{slug}-risks.csv",
    )
