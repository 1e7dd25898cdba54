"""The baseline's approval: the project manager asks for it, the product's owner reads a summary
of what they commit to (scope, deadline, budget, top risks) and approves it or sends it back
with a comment."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from projects import health, overview, services
from projects.access import ProjectAccess, get_project
from projects.forms import ApprovalRequestForm, ApprovalReturnForm, ConfirmForm
from projects.models import Deliverable, Moscow, ProjectRisk, RiskStatus
from projects.services import Refused
from projects.templatetags.projects_tags import person
from projects.views.scope import PRIORITY
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

TOP_ITEMS = 10  # deliverables the summary names, Must first
TOP_RISKS = 5


def summary_context(access: ProjectAccess, **forms) -> dict:
    """What the owner commits to: the same figures as the project page, the first deliverables
    by priority, the open risks that score most."""
    project = access.project
    on = timezone.localdate()
    kept = overview.cached_plan(project, on)
    figures = kept["figures"]
    d = figures.deliverables
    top_items = (
        list(
            Deliverable.objects.filter(project=project, in_scope=True)
            .only("id", "project_id", "title", "moscow", "due_date", "estimate_days")
            .order_by(PRIORITY, "due_date", "id")[:TOP_ITEMS]
        )
        if d["in_scope"]
        else []
    )
    top_risks = (
        list(
            ProjectRisk.objects.filter(project=project)
            .exclude(status=RiskStatus.CLOSED)
            .select_related("owner")
            .only(
                "id",
                "project_id",
                "number",
                "title",
                "probability",
                "impact",
                "score",
                "owner__first_name",
                "owner__last_name",
                "owner__username",
            )
            .order_by("-score", "number")[:TOP_RISKS]
        )
        if figures.risks["open"]
        else []
    )
    return {
        "project": project,
        "access": access,
        "figures": figures,
        "costs": health.Costs.of(project, figures),
        "scope": {
            "in_scope": d["in_scope"],
            "moscow": [
                (Moscow.MUST.label, d["must"]),
                (Moscow.SHOULD.label, d["should"]),
                (Moscow.COULD.label, d["could"]),
            ],
            "more": d["in_scope"] - len(top_items),
        },
        "top_items": top_items,
        "top_risks": top_risks,
        "open_risks": figures.risks["open"],
        "milestones": figures.milestones["total"],
        "approval": overview.latest_approval(project),
        "approve_form": forms.get("approve_form")
        or ConfirmForm(initial={"version": project.version}),
        "return_form": forms.get("return_form") or ApprovalReturnForm(),
    }


@require_http_methods(["GET", "POST"])
def approve(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the confirmation page. POST: approve the baseline as it was shown (its version)."""
    access = get_project(request.user, slug)
    access.require(access.can_approve, "Only the product's owner (or staff) approves the baseline.")
    project = access.project
    if request.method == "GET":
        return render(request, "projects/approve.html", summary_context(access))
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Approve from this page, after reading the summary.")
        return redirect("projects:approve", slug)
    try:
        services.project_approve(
            project_id=project.pk, by=request.user, expected_version=form.cleaned_data["version"]
        )
    except StaleEdit as exc:
        messages.error(
            request,
            f"{person(exc.changed_by)} changed the project since you opened this summary: "
            "read it again, then approve.",
        )
        return redirect("projects:approve", slug)
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect(project)
    messages.success(request, "Approved: the baseline is stored and the project is active.")
    return redirect(project)


@require_POST
def approval_ask(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    access.require(
        access.can_ask_approval,
        "The project manager and the project's editors ask the product's owner for approval.",
    )
    project = access.project
    form = ApprovalRequestForm(request.POST)
    if form.is_valid():
        try:
            services.approval_request(project_id=project.pk, by=request.user, **form.cleaned_data)
        except Refused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"Approval asked: {person(project.product_owner)}, the product's owner, gets an "
                "email and sees it on the dashboard.",
            )
    return redirect(project)


@require_POST
def approval_return(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    access.require(
        access.can_approve, "Only the product's owner (or staff) sends the baseline back."
    )
    project = access.project
    form = ApprovalReturnForm(request.POST)
    if form.is_valid():
        try:
            services.approval_return(
                project_id=project.pk, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            form.add_error("comment", exc.messages)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect(project)
        else:
            messages.success(
                request, "Sent back: the project manager sees your comment on the project page."
            )
            return redirect(project)
    context = summary_context(access, return_form=form)
    return render(request, "projects/approve.html", context, status=422)
