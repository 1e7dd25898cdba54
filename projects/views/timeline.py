"""The timeline page: the plan on a time axis (milestones, then the deliverables in scope, 50
at a time: "Show more" draws the next ones below, in place with htmx or as the next page), what
is overdue or flagged, and every milestone with its dependencies; and the milestone's pages."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Max, Min, Q
from django.db.models.functions import Coalesce
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import services
from projects import timeline as timelines
from projects.access import ProjectAccess, get_project, get_project_for_edit
from projects.forms import MilestoneForm
from projects.models import DeliverableDependency, DeliverableStatus, Project
from projects.views.editing import (
    asked_for,
    attach_errors,
    delete_item,
    edit_item,
    invalid,
    item_page,
    saved,
)
from roleplan.http import HttpRequest

PAGE_SIZE = 50
OVERDUE_SHOWN = 10  # overdue deliverables listed under the chart; the scope page has them all


def page_number(params: QueryDict | dict) -> int:
    raw = str(params.get("page", "1"))
    return max(int(raw), 1) if raw.isdigit() else 1


def in_scope_span(project: Project, on: date) -> dict:
    """The dates the time axis must hold, and the counts the page shows, in one query."""
    dated = Q(in_scope=True, due_date__isnull=False)
    late = dated & Q(due_date__lt=on) & ~Q(status=DeliverableStatus.DONE)
    return project.deliverables.aggregate(
        total=Count("id", filter=Q(in_scope=True)),
        overdue=Count("id", filter=late),
        first_due=Min("due_date", filter=dated),
        last_due=Max("due_date", filter=dated),
        first_start=Min("start_date", filter=dated),
        last_start=Max("start_date", filter=dated),
    )


def timeline_context(access: ProjectAccess, params: QueryDict | dict, **forms) -> dict:
    project = access.project
    on = timezone.localdate()
    number = page_number(params)
    milestones = timelines.with_flags(
        list(project.milestones.prefetch_related("depends_on").order_by("due_date", "id")),
        project.deadline,
    )
    figures = in_scope_span(project, on)
    baseline = project.baselines.filter(is_current=True).only("project_id", "deadline").first()
    baseline_deadline = baseline.deadline if baseline else None
    span = timelines.span_of(
        project=project,
        dates=[
            figures["first_due"],
            figures["last_due"],
            figures["first_start"],
            figures["last_start"],
            *(m.due_date for m in milestones),
        ],
        baseline_deadline=baseline_deadline,
        today=on,
    )
    pages = max((figures["total"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    number = min(number, pages)
    start = (number - 1) * PAGE_SIZE
    deliverables = list(
        project.deliverables.filter(in_scope=True)
        .only(
            "id", "project_id", "title", "status", "start_date", "due_date", "done_on", "in_scope"
        )
        .order_by(
            Coalesce("start_date", "due_date").asc(nulls_last=True),
            F("due_date").asc(nulls_last=True),
            "id",
        )[start : start + PAGE_SIZE]
    )
    ids = [d.pk for d in deliverables]
    links = list(
        DeliverableDependency.objects.filter(successor_id__in=ids, predecessor_id__in=ids).only(
            "predecessor_id", "successor_id", "lag_days"
        )
    )
    chunk = timelines.chunk(
        number=number,
        project=project,
        span=span,
        milestones=milestones,
        deliverables=deliverables,
        deliverables_total=figures["total"],
        baseline_deadline=baseline_deadline,
        today=on,
        links=links,
    )
    end = start + len(deliverables)
    # Read whether or not any is overdue: one indexed read, and the page's queries stay the
    # same for every project (the benchmark compares them across data sets).
    overdue = list(
        project.deliverables.filter(in_scope=True, due_date__lt=on)
        .exclude(status=DeliverableStatus.DONE)
        .only("id", "project_id", "title", "due_date")
        .order_by("due_date", "id")[:OVERDUE_SHOWN]
    )
    for m in milestones:
        m.overdue = m.is_overdue(on)
    url = reverse("projects:timeline", args=[project.slug])
    return {
        "project": project,
        "access": access,
        "chart": chunk,
        "span": span,
        "page": {
            "number": number,
            "first": start + 1,
            "last": end,
            "total": figures["total"],
            "next": f"{url}?page={number + 1}" if end < figures["total"] else "",
            "next_size": min(PAGE_SIZE, figures["total"] - end),
        },
        "issues": timelines.milestone_issues(milestones, on)
        + timelines.deliverable_issues(overdue)
        + chunk.late_links[:OVERDUE_SHOWN],
        "more_late": max(len(chunk.late_links) - OVERDUE_SHOWN, 0),
        "more_overdue": figures["overdue"] - len(overdue),
        "overdue_count": figures["overdue"],
        "today": on,
        "baseline": baseline,
        "milestones": milestones,
        # The add form loads when it is opened; drawn here only to show a post's errors.
        "milestone_form": forms.get("milestone_form"),
    }


@require_GET
def timeline(request: HttpRequest, slug: str) -> HttpResponse:
    """The plan on a time axis, and every milestone with its dependencies. With htmx: a region
    (#timeline-chart, #milestones), or the next rows of the chart (#timeline-more)."""
    access = get_project(request.user, slug)
    context = timeline_context(access, request.GET)
    target = request.htmx.target if request.htmx else None
    if target == "timeline-more":
        return render(request, "projects/timeline.html#timeline-rows", context)
    if target in ("timeline-chart", "milestones"):
        return render(request, f"projects/timeline.html#{target}", context)
    return render(request, "projects/timeline.html", context)


def milestones_region(request: HttpRequest, access: ProjectAccess, *, status: int = 200, **forms):
    context = timeline_context(access, {}, **forms)
    return render(request, "projects/timeline.html#milestones", context, status=status)


@require_http_methods(["GET", "POST"])
def milestone_add(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    kwargs = {
        "milestones": list(access.project.milestones.order_by("due_date", "id")),
        "creating": True,
    }
    page = item_page(access, "milestone", None)
    if request.method == "GET":
        form = MilestoneForm(**kwargs)
        if request.htmx:  # opened on the timeline: the form in place
            post_url = reverse("projects:milestone_add", args=[slug])
            context = {"form": asked_for(form), "post_url": post_url}
            return render(request, "projects/_milestone_add_form.html", context)
        return render(request, "projects/item_form.html", {**page, "form": form})
    form = MilestoneForm(request.POST, **kwargs)
    if form.is_valid():
        try:
            services.milestone_create(project=access.project, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return saved(
                request,
                region=lambda: milestones_region(request, access),
                url=page["back_url"],
                message="Milestone added.",
            )
    return invalid(
        request,
        region=lambda: milestones_region(request, access, status=422, milestone_form=form),
        page=page,
        form=form,
    )


@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(
        access.project.milestones.select_related("updated_by").prefetch_related("depends_on"), pk=pk
    )
    others = [m for m in access.project.milestones.order_by("due_date", "id") if m.pk != obj.pk]

    def update(version: int, data: dict) -> None:
        depends_on = data.pop("depends_on")
        services.milestone_update(
            milestone_id=obj.pk,
            expected_version=version,
            by=request.user,
            changes=data,
            depends_on=depends_on,
        )

    return edit_item(
        request,
        access=access,
        kind="milestone",
        obj=obj,
        form_class=MilestoneForm,
        form_kwargs={"milestones": others},
        initial={
            "version": obj.version,
            "title": obj.title,
            "due_date": obj.due_date,
            "done_on": obj.done_on,
            "description": obj.description,
            "depends_on": [m.pk for m in obj.depends_on.all()],
        },
        update=update,
    )


@require_POST
def milestone_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.milestones, pk=pk)
    return delete_item(
        request,
        access=access,
        kind="milestone",
        obj=obj,
        delete=lambda version: services.milestone_delete(
            milestone_id=obj.pk, expected_version=version
        ),
    )
