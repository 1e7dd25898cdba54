"""The budget page: spend against plan by month, the forecast at completion and every cost line;
and the cost line's pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import budget as budgeting
from projects import services
from projects.access import ProjectAccess, get_project, get_project_for_edit
from projects.forms import CostLineForm
from projects.health import Costs
from projects.views.editing import (
    attach_errors,
    delete_item,
    edit_item,
    invalid,
    item_page,
    saved,
)
from roleplan.http import HttpRequest


def budget_context(access: ProjectAccess, **forms) -> dict:
    project = access.project
    on = timezone.localdate()
    cost_lines = list(
        project.cost_lines.select_related("decision__request")
        .only(
            "id",
            "project_id",
            "category",
            "description",
            "planned",
            "actual",
            "date",
            "decision__request__number",
        )
        .order_by("date", "id")
    )
    summary = Costs.for_project(project, on)
    points = budgeting.months(cost_lines, project.start_date, project.deadline, on)
    return {
        "project": project,
        "access": access,
        "today": on,
        "cost_lines": cost_lines,
        "summary": summary,
        "months": points,
        "chart": budgeting.chart(points, summary) if points else None,
        "future_actual_rule": services.FUTURE_ACTUAL,
        "cost_form": forms.get("cost_form")
        or (CostLineForm(creating=True, initial={"date": on}) if access.can_edit else None),
    }


@require_GET
def budget(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    context = budget_context(access)
    if request.htmx and request.htmx.target == "budget":
        return render(request, "projects/budget.html#budget", context)
    return render(request, "projects/budget.html", context)


def budget_region(request: HttpRequest, access: ProjectAccess, *, status: int = 200, **forms):
    return render(
        request, "projects/budget.html#budget", budget_context(access, **forms), status=status
    )


@require_http_methods(["GET", "POST"])
def cost_add(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    page = item_page(access, "cost", None)
    if request.method == "GET":
        form = CostLineForm(creating=True, initial={"date": timezone.localdate()})
        return render(request, "projects/item_form.html", {**page, "form": form})
    form = CostLineForm(request.POST, creating=True)
    if form.is_valid():
        try:
            services.cost_line_create(project=access.project, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return saved(
                request,
                region=lambda: budget_region(request, access),
                url=page["back_url"],
                message="Cost line added.",
            )
    return invalid(
        request,
        region=lambda: budget_region(request, access, status=422, cost_form=form),
        page=page,
        form=form,
    )


@require_http_methods(["GET", "POST"])
def cost_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.cost_lines.select_related("updated_by"), pk=pk)
    return edit_item(
        request,
        access=access,
        kind="cost",
        obj=obj,
        form_class=CostLineForm,
        form_kwargs={},
        initial={
            "version": obj.version,
            "category": obj.category,
            "description": obj.description,
            "planned": obj.planned,
            "actual": obj.actual,
            "date": obj.date,
        },
        update=lambda version, data: services.cost_line_update(
            cost_line_id=obj.pk, expected_version=version, by=request.user, changes=data
        ),
    )


@require_POST
def cost_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.cost_lines, pk=pk)
    return delete_item(
        request,
        access=access,
        kind="cost",
        obj=obj,
        delete=lambda version: services.cost_line_delete(
            cost_line_id=obj.pk, expected_version=version
        ),
    )
