"""The list of projects and one project: its overview, creating, editing and approving it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from products.models import Product
from projects import health, overview, services
from projects.access import ProjectAccess, get_project, get_project_for_edit
from projects.forms import ProjectForm
from projects.models import Project, ProjectStatus
from projects.services import Refused
from projects.views.editing import attach_errors, people, stale_form
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

PAGE_SIZE = 50


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    qs = Project.objects.for_list()
    mine = request.GET.get("mine") == "1"
    status = request.GET.get("status", "")
    if mine:
        qs = qs.involving(request.user)
    if status in ProjectStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("deadline", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    projects = list(page.object_list)
    on = timezone.localdate()
    facts = health.facts_for_projects(projects, on)
    rows = [
        {
            "project": p,
            "facts": facts[p.pk],
            "health": health.assess(facts[p.pk]),
            "days_left": (p.deadline - on).days,
        }
        for p in projects
    ]
    context = {
        "rows": rows,
        "page": page,
        "mine": mine,
        "status": status,
        "statuses": ProjectStatus.choices,
        "any_projects": bool(rows) or mine or bool(status),
    }
    template = "projects/index.html#project-list" if request.htmx else "projects/index.html"
    return render(request, template, context)


def detail_context(access: ProjectAccess) -> dict:
    project = access.project
    on = timezone.localdate()
    return {
        "project": project,
        "access": access,
        "today": on,
        "days_left": (project.deadline - on).days,
        "rules": [(health.LABELS[key], text) for key, text in health.RULES],
        "rule_notes": health.RULE_NOTES,
        **overview.overview(project, on),
    }


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The project's overview: the iron triangle and health, and a summary of each list with
    the items that need attention; the lists have their own pages (scope, timeline, budget,
    risks, changes)."""
    access = get_project(request.user, slug)
    context = detail_context(access)
    if request.htmx and request.htmx.target == "triangle":
        return render(request, "projects/detail.html#triangle", context)
    return render(request, "projects/detail.html", context)


def project_form_kwargs(project: Project | None) -> dict:
    return {
        "products": list(Product.objects.select_related("asset").order_by("asset__name")),
        "people": people(),
        "locked": bool(project and project.is_approved),
        "creating": project is None,
    }


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    kwargs = project_form_kwargs(None)
    if request.method == "POST":
        form = ProjectForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                project = services.project_create(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"Project “{project.name}” created.")
                return redirect(project)
        return render(request, "projects/project_form.html", {"form": form}, status=422)
    initial = {"manager": request.user, "currency": "EUR", "start_date": timezone.localdate()}
    if request.GET.get("product"):
        initial["product"] = request.GET["product"]
    form = ProjectForm(initial=initial, **kwargs)
    return render(request, "projects/project_form.html", {"form": form})


def project_initial(project: Project) -> dict:
    return {
        "version": project.version,
        "name": project.name,
        "product": project.product_id,
        "manager": project.manager_id,
        "start_date": project.start_date,
        "deadline": project.deadline,
        "budget": project.budget,
        "currency": project.currency,
        "status": project.status,
        "methodology": project.methodology,
        "statement_of_work": project.statement_of_work,
        "benefits": project.benefits,
        "outcomes": project.outcomes,
        "editors": [u.pk for u in project.editors.all()],
    }


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    project = access.project
    kwargs = project_form_kwargs(project)
    context = {"project": project, "access": access}
    if request.method == "GET":
        form = ProjectForm(initial=project_initial(project), **kwargs)
        return render(request, "projects/project_form.html", {**context, "form": form})
    form = ProjectForm(request.POST, initial=project_initial(project), **kwargs)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        editors = data.pop("editors")
        try:
            services.project_update(
                project_id=project.pk,
                expected_version=version,
                by=request.user,
                changes=data,
                editors=editors,
            )
        except StaleEdit as exc:
            return stale_form(
                request,
                "projects/project_form.html",
                context,
                form_class=ProjectForm,
                form_kwargs={"initial": project_initial(exc.current), **kwargs},
                conflict=exc,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "Project saved.")
            return redirect(project)
    return render(request, "projects/project_form.html", {**context, "form": form}, status=422)


@require_POST
def approve(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    access.require(access.can_approve, "Only the product's owner (or staff) approves the baseline.")
    try:
        services.project_approve(project_id=access.project.pk, by=request.user)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Approved: the baseline is stored and the project is active.")
    return redirect(access.project)
