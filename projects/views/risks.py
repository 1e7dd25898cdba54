"""The risk register: the 5×5 matrix of open risks, what needs attention, every risk; and the
risk's pages."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import services
from projects.access import ProjectAccess, get_project, get_project_for_edit
from projects.forms import RiskForm
from projects.models import ProjectRisk, RiskCategory, risk_level
from projects.views.editing import delete_item, edit_item, people
from roleplan.http import HttpRequest

LEVELS = range(5, 0, -1)


def risk_matrix(risks: list[ProjectRisk]) -> list[dict]:
    """Rows from probability 5 down to 1, columns impact 1 to 5; open risks only."""
    cells: dict[tuple[int, int], list[ProjectRisk]] = {}
    for r in risks:
        if r.is_open:
            cells.setdefault((r.probability, r.impact), []).append(r)
    return [
        {
            "probability": p,
            "cells": [
                {
                    "impact": i,
                    "score": p * i,
                    "level": risk_level(p * i),
                    "risks": cells.get((p, i), []),
                }
                for i in range(1, 6)
            ],
        }
        for p in LEVELS
    ]


@require_GET
def risks(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    return render_risks(request, access, form=None)


def render_risks(
    request: HttpRequest, access: ProjectAccess, *, form: RiskForm | None, status: int = 200
) -> HttpResponse:
    project = access.project
    on = timezone.localdate()
    rows = list(project.risks.select_related("owner").order_by("-score", "number"))
    for r in rows:
        r.review_late = r.review_overdue(on)
    if form is None and access.can_edit:
        form = RiskForm(
            people=people(),
            creating=True,
            initial={"owner": request.user.pk, "probability": 3, "impact": 3},
        )
    open_rows = [r for r in rows if r.is_open]
    context = {
        "project": project,
        "access": access,
        "risks": rows,
        "open_risks": open_rows,
        "attention": [r for r in open_rows if r.review_late or r.level == "high"],
        "by_category": [
            (label, sum(1 for r in open_rows if r.category == value))
            for value, label in RiskCategory.choices
        ],
        "by_level": [
            (level, sum(1 for r in open_rows if r.level == level))
            for level in ("high", "medium", "low", "minimal")
        ],
        "closed_risks": [r for r in rows if not r.is_open],
        "matrix": risk_matrix(rows),
        "impacts": range(1, 6),
        "form": form,
        "today": on,
    }
    return render(request, "projects/risks.html", context, status=status)


@require_http_methods(["GET", "POST"])
def risk_add(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    if request.method == "GET":
        return redirect(reverse("projects:risks", args=[slug]) + "#add-risk")
    form = RiskForm(request.POST, people=people(), creating=True)
    if form.is_valid():
        risk = services.risk_create(project=access.project, by=request.user, **form.cleaned_data)
        messages.success(request, f"{risk.code} added to the register.")
        return redirect(reverse("projects:risks", args=[slug]))
    return render_risks(request, access, form=form, status=422)


@require_http_methods(["GET", "POST"])
def risk_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.risks.select_related("updated_by", "owner"), pk=pk)
    return edit_item(
        request,
        access=access,
        kind="risk",
        obj=obj,
        form_class=RiskForm,
        form_kwargs={"people": people()},
        initial={
            "version": obj.version,
            "title": obj.title,
            "category": obj.category,
            "probability": obj.probability,
            "impact": obj.impact,
            "owner": obj.owner_id,
            "mitigation": obj.mitigation,
            "status": obj.status,
            "review_date": obj.review_date,
        },
        update=lambda version, data: services.risk_update(
            risk_id=obj.pk, expected_version=version, by=request.user, changes=data
        ),
    )


@require_POST
def risk_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.risks, pk=pk)
    return delete_item(
        request,
        access=access,
        kind="risk",
        obj=obj,
        delete=lambda version: services.risk_delete(risk_id=obj.pk, expected_version=version),
    )
