"""Pages of the projects app. Each view checks access through projects.access, validates with a
form, calls one service and renders; lists are prepared here, templates run no query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from products.models import Kpi, Product, RoadmapItem
from projects import budget as budgeting
from projects import exports, health, mspdi, overview, overview_lists, scope_rows, services
from projects import timeline as timelines
from projects.access import ProjectAccess, get_change_request, get_project, get_project_for_edit
from projects.forms import (
    REJECT,
    ChangeOptionForm,
    ChangeRequestForm,
    ConfirmForm,
    CostLineForm,
    DecisionForm,
    DeliverableForm,
    MilestoneForm,
    ProjectForm,
    RiskForm,
)
from projects.models import (
    Baseline,
    CostLine,
    Deliverable,
    DeliverableStatus,
    Milestone,
    Moscow,
    Project,
    ProjectRisk,
    ProjectStatus,
    RiskCategory,
    risk_level,
)
from projects.services import Refused, StaleEdit
from roleplan.http import HttpRequest
from roleplan.markup import ROW_ID, url_pattern
from roleplan.people import display_name

PAGE_SIZE = 50
CHANGED_EVENT = "projectChanged"


def today() -> date:
    return timezone.localdate()


def people() -> list[User]:
    return list(User.objects.filter(is_active=True).order_by("first_name", "last_name", "username"))


def roadmap_items_of(project: Project) -> list[RoadmapItem]:
    if not project.product_id:
        return []
    return list(RoadmapItem.objects.filter(product_id=project.product_id).order_by("title", "id"))


def attach_errors(form, exc: ValidationError) -> None:
    """Put a service's errors next to their fields, or above the form for the others."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.strftime("%d %b %Y")
    if isinstance(value, User):
        return display_name(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(display(v) for v in value) or "—"
    if hasattr(value, "all"):
        return display(list(value.all()))
    return str(value)


def differences(form, current, extra: dict | None = None) -> list[dict]:
    """The fields where what is saved now differs from what the user sent."""
    rows = []
    extra = extra or {}
    for name, field in form.fields.items():
        if name == "version" or not hasattr(form, "cleaned_data"):
            continue
        if name not in form.cleaned_data:
            continue
        saved = extra[name] if name in extra else getattr(current, name, None)
        yours = form.cleaned_data[name]
        if display(saved) != display(yours):
            rows.append(
                {
                    "label": field.label or name.replace("_", " ").capitalize(),
                    "saved": display(saved),
                    "yours": display(yours),
                }
            )
    return rows


def conflict_response(
    request, template: str, context: dict, *, form_class, form_kwargs, current, extra=None
):
    """409: keep what the user typed, show what the other person saved, and take the current
    version so that sending again overwrites on purpose."""
    data = request.POST.copy()
    data["version"] = str(current.version)
    form = form_class(data, **form_kwargs)
    form.is_valid()
    context = {
        **context,
        "form": form,
        "conflict": {
            "by": getattr(current, "updated_by", None),
            "at": getattr(current, "updated_at", None),
            "rows": differences(form, current, extra),
        },
    }
    return render(request, template, context, status=409)


# The project page ------------------------------------------------------------------------------

# The project's pages, linked from every one of them (the tabs) and from the overview.
PAGE_URLS = (
    "detail",
    "scope",
    "timeline",
    "budget",
    "risks",
    "changes",
    "edit",
    "approve",
    "change_new",
    "export_deliverables",
    "export_risks",
)


@lru_cache(maxsize=1024)
def _project_urls(prefix: str, slug: str) -> dict[str, str]:
    urls = {name: reverse(f"projects:{name}", args=[slug]) for name in PAGE_URLS}
    urls["index"] = reverse("projects:index")
    urls["export_mspdi"] = reverse("projects:export_mspdi", args=[slug, slug])
    urls["export_ics"] = reverse("projects:export_ics", args=[slug, slug])
    urls["change"] = url_pattern("projects:change", slug, ROW_ID, escaped=False)
    return urls


def project_urls(project: Project) -> dict[str, str]:
    """Each URL reversed once per process and project (reverse() costs ~30 µs and the project
    page links to these ~40 times). Keyed on the script prefix too, as reverse() is."""
    return _project_urls(get_script_prefix(), project.slug)


def change_url(urls: dict, number: int) -> str:
    head, tail = urls["change"]
    return f"{head}{number}{tail}"


@dataclass
class PageData:
    deliverables: list[Deliverable]
    milestones: list[Milestone]
    cost_lines: list[CostLine]
    risks: list[ProjectRisk]
    baselines: list[Baseline]


def load_plan(project: Project, *, with_costs: bool = True, with_risks: bool = True) -> PageData:
    deliverables = list(
        project.deliverables.select_related("roadmap_item__kpi").order_by(
            "due_date", "start_date", "id"
        )
    )
    milestones = list(project.milestones.prefetch_related("depends_on").order_by("due_date", "id"))
    cost_lines = list(project.cost_lines.order_by("date", "id")) if with_costs else []
    risks = list(project.risks.select_related("owner")) if with_risks else []
    baselines = list(
        project.baselines.select_related("created_by", "decision__request", "decision__option")
    )
    return PageData(deliverables, milestones, cost_lines, risks, baselines)


def detail_context(access: ProjectAccess) -> dict:
    project = access.project
    on = today()
    urls = project_urls(project)
    context = overview.overview(project, on)
    for row in context["change_requests"]:
        row.url = change_url(urls, row.number)
    for row in context["baselines"]:
        row.url = change_url(urls, row.request_number) if row.request_number else ""
    page = {
        "project": project,
        "urls": urls,
        "access": access,
        "today": on,
        "days_left": (project.deadline - on).days,
        "rules": [(health.LABELS[key], text) for key, text in health.RULES],
        "rule_notes": health.RULE_NOTES,
        **context,
    }
    page["lists"] = overview_lists.lists(page, urls, on)
    return page


@require_GET
def detail(request: HttpRequest, slug: str):
    """The project's overview: the iron triangle and health, and a summary of each list with
    the items that need attention; the lists have their own pages (scope, timeline, budget,
    risks, changes)."""
    access = get_project(request.user, slug)
    context = detail_context(access)
    if request.htmx and request.htmx.target == "triangle":
        return render(request, "projects/detail.html#triangle", context)
    return render(request, "projects/detail.html", context)


# Scope -----------------------------------------------------------------------------------------

SCOPE_CHOICES = [("in", "In scope"), ("out", "Out of scope · backlog"), ("all", "All")]


@dataclass(frozen=True)
class ScopeFilters:
    scope: str = "in"
    status: str = ""
    moscow: str = ""
    overdue: bool = False

    @classmethod
    def of(cls, params) -> ScopeFilters:
        """From the query string; unknown values fall back to showing everything."""
        scope = params.get("scope", "in")
        status = params.get("status", "")
        moscow = params.get("moscow", "")
        return cls(
            scope=scope if scope in dict(SCOPE_CHOICES) else "in",
            status=status if status in DeliverableStatus.values else "",
            moscow=moscow if moscow in Moscow.values else "",
            overdue=params.get("overdue") == "1",
        )

    @property
    def query(self) -> str:
        """The filters as a query string ("" for the default view), for the forms' URLs."""
        params = {
            "scope": self.scope if self.scope != "in" else "",
            "status": self.status,
            "moscow": self.moscow,
            "overdue": "1" if self.overdue else "",
        }
        text = urlencode({k: v for k, v in params.items() if v})
        return f"?{text}" if text else ""

    @property
    def is_default(self) -> bool:
        return self == ScopeFilters()

    def apply(self, qs, on: date):
        if self.scope != "all":
            qs = qs.filter(in_scope=self.scope == "in")
        if self.status:
            qs = qs.filter(status=self.status)
        if self.moscow:
            qs = qs.filter(moscow=self.moscow)
        if self.overdue:
            qs = qs.filter(in_scope=True, due_date__lt=on).exclude(status=DeliverableStatus.DONE)
        return qs


def scope_context(access: ProjectAccess, params, *, csrf_token: str, **forms) -> dict:
    project = access.project
    on = today()
    filters = ScopeFilters.of(params)
    rows = scope_rows.load(filters.apply(project.deliverables.all(), on), on)
    writer = scope_rows.RowWriter(
        slug=project.slug,
        can_edit=access.can_edit,
        csrf_token=csrf_token,
        query=filters.query,
    )
    totals = project.deliverables.aggregate(
        n_in=Count("id", filter=Q(in_scope=True)), n_out=Count("id", filter=Q(in_scope=False))
    )
    counts = {"in_scope": totals["n_in"], "out_of_scope": totals["n_out"]}
    progress = [
        {**row, "percent": round(100 * row["done"] / row["total"])}
        for row in project.deliverables.filter(in_scope=True, roadmap_item__isnull=False)
        .values("roadmap_item_id", "roadmap_item__title")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status=DeliverableStatus.DONE)))
        .order_by("roadmap_item__title", "roadmap_item_id")
    ]
    roadmap_items = roadmap_items_of(project) if access.can_edit else []
    return {
        "project": project,
        "urls": project_urls(project),
        "access": access,
        "today": on,
        "filters": filters,
        "scope_choices": SCOPE_CHOICES,
        "statuses": DeliverableStatus.choices,
        "moscows": Moscow.choices,
        "rows": rows,
        "rows_html": writer.rows(rows),
        "counts": counts,
        "against": overview.scope_against_baseline(project),
        "progress": progress,
        "deliverable_form": forms.get("deliverable_form")
        or DeliverableForm(roadmap_items=roadmap_items, creating=True),
        "scope_notice": forms.get("scope_notice"),
    }


@require_GET
def scope(request: HttpRequest, slug: str):
    """Every deliverable of the project, filtered, with its quick actions."""
    access = get_project(request.user, slug)
    context = scope_context(access, request.GET, csrf_token=get_token(request))
    if request.htmx and request.htmx.target == "scope":
        return render(request, "projects/scope.html#scope", context)
    return render(request, "projects/scope.html", context)


# Budget ----------------------------------------------------------------------------------------


def budget_context(access: ProjectAccess, **forms) -> dict:
    project = access.project
    on = today()
    cost_lines = list(project.cost_lines.order_by("date", "id"))
    summary = budgeting.summarise(cost_lines, project.budget)
    points = budgeting.months(cost_lines, project.start_date, project.deadline, on)
    return {
        "project": project,
        "urls": project_urls(project),
        "access": access,
        "today": on,
        "cost_lines": cost_lines,
        "summary": summary,
        "months": points,
        "chart": budgeting.chart(points, summary) if points else None,
        "cost_form": forms.get("cost_form") or CostLineForm(creating=True, initial={"date": on}),
    }


@require_GET
def budget(request: HttpRequest, slug: str):
    access = get_project(request.user, slug)
    context = budget_context(access)
    if request.htmx and request.htmx.target == "budget":
        return render(request, "projects/budget.html#budget", context)
    return render(request, "projects/budget.html", context)


# Change requests, all of them ------------------------------------------------------------------


@require_GET
def changes(request: HttpRequest, slug: str):
    access = get_project(request.user, slug)
    project = access.project
    requests = list(
        project.change_requests.select_related(
            "requested_by", "decision__option", "decision__decided_by"
        )
        .annotate(option_count=Count("options"))
        .order_by("-number")
    )
    context = {
        "project": project,
        "urls": project_urls(project),
        "access": access,
        "open_requests": [r for r in requests if r.is_open],
        "closed_requests": [r for r in requests if not r.is_open],
    }
    return render(request, "projects/changes.html", context)


# Project list, create, edit, approve -----------------------------------------------------------


@require_GET
def index(request: HttpRequest):
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
    on = today()
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


def project_form_kwargs(project: Project | None) -> dict:
    return {
        "products": list(Product.objects.select_related("asset").order_by("asset__name")),
        "people": people(),
        "locked": bool(project and project.is_approved),
        "creating": project is None,
    }


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest):
    kwargs = project_form_kwargs(None)
    if request.method == "POST":
        form = ProjectForm(request.POST, **kwargs)
        if form.is_valid():
            data = form.cleaned_data
            try:
                project = services.project_create(by=request.user, **data)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"Project “{project.name}” created.")
                return redirect(project)
        return render(request, "projects/project_form.html", {"form": form}, status=422)
    initial = {"manager": request.user, "currency": "EUR", "start_date": today()}
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
def edit(request: HttpRequest, slug: str):
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
            current = exc.current
            return conflict_response(
                request,
                "projects/project_form.html",
                context,
                form_class=ProjectForm,
                form_kwargs={"initial": project_initial(current), **kwargs},
                current=current,
                extra={"editors": list(current.editors.all())},
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "Project saved.")
            return redirect(project)
    return render(request, "projects/project_form.html", {**context, "form": form}, status=422)


@require_POST
def approve(request: HttpRequest, slug: str):
    access = get_project(request.user, slug)
    access.require(access.can_approve, "Only the product's owner (or staff) approves the baseline.")
    try:
        services.project_approve(project_id=access.project.pk, by=request.user)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Approved: the baseline is stored and the project is active.")
    return redirect(access.project)


# Scope, milestones and costs: add inline, edit on their own page --------------------------------


# Where each kind of item is listed: the page, its region, and the region's context.
REGION_PAGES = {
    "scope": ("projects:scope", "projects/scope.html"),
    "milestones": ("projects:timeline", "projects/timeline.html"),
    "budget": ("projects:budget", "projects/budget.html"),
}


def region_context(request: HttpRequest, access: ProjectAccess, region: str, **forms) -> dict:
    if region == "scope":
        return scope_context(access, request.GET, csrf_token=get_token(request), **forms)
    if region == "milestones":
        return timeline_context(access, **forms)
    return budget_context(access, **forms)


def region_url(access: ProjectAccess, region: str, query: str = "") -> str:
    url = reverse(REGION_PAGES[region][0], args=[access.project.slug]) + query
    return url if region == "budget" else f"{url}#{region}"


def render_region(request, access, region: str, *, status: int = 200, **forms):
    template = f"{REGION_PAGES[region][1]}#{region}"
    return render(
        request, template, region_context(request, access, region, **forms), status=status
    )


def region_or_redirect(request: HttpRequest, access: ProjectAccess, region: str, message: str):
    if request.htmx:
        # Fresh rows from the database; other regions refresh on the event.
        return trigger_client_event(render_region(request, access, region), CHANGED_EVENT)
    messages.success(request, message)
    query = ScopeFilters.of(request.GET).query if region == "scope" else ""
    return redirect(region_url(access, region, query))


def invalid_inline(request, access, region: str, form_name: str, form, page_context: dict):
    if request.htmx:
        return render_region(request, access, region, status=422, **{form_name: form})
    return render(request, "projects/item_form.html", {**page_context, "form": form}, status=422)


@require_http_methods(["GET", "POST"])
def deliverable_add(request: HttpRequest, slug: str):
    access = get_project_for_edit(request.user, slug)
    kwargs = {"roadmap_items": roadmap_items_of(access.project), "creating": True}
    page = item_page(access, "deliverable", None)
    if request.method == "GET":
        return render(
            request, "projects/item_form.html", {**page, "form": DeliverableForm(**kwargs)}
        )
    form = DeliverableForm(request.POST, **kwargs)
    if form.is_valid():
        try:
            services.deliverable_create(
                project=access.project, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return region_or_redirect(request, access, "scope", "Deliverable added.")
    return invalid_inline(request, access, "scope", "deliverable_form", form, page)


@require_http_methods(["GET", "POST"])
def milestone_add(request: HttpRequest, slug: str):
    access = get_project_for_edit(request.user, slug)
    kwargs = {
        "milestones": list(access.project.milestones.order_by("due_date", "id")),
        "creating": True,
    }
    page = item_page(access, "milestone", None)
    if request.method == "GET":
        return render(request, "projects/item_form.html", {**page, "form": MilestoneForm(**kwargs)})
    form = MilestoneForm(request.POST, **kwargs)
    if form.is_valid():
        try:
            services.milestone_create(project=access.project, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return region_or_redirect(request, access, "milestones", "Milestone added.")
    return invalid_inline(request, access, "milestones", "milestone_form", form, page)


@require_http_methods(["GET", "POST"])
def cost_add(request: HttpRequest, slug: str):
    access = get_project_for_edit(request.user, slug)
    page = item_page(access, "cost", None)
    if request.method == "GET":
        form = CostLineForm(creating=True, initial={"date": today()})
        return render(request, "projects/item_form.html", {**page, "form": form})
    form = CostLineForm(request.POST, creating=True)
    if form.is_valid():
        services.cost_line_create(project=access.project, by=request.user, **form.cleaned_data)
        return region_or_redirect(request, access, "budget", "Cost line added.")
    return invalid_inline(request, access, "budget", "cost_form", form, page)


ITEM_KINDS = {
    "deliverable": (
        "Deliverable",
        "scope",
        "projects:deliverable_edit",
        "projects:deliverable_delete",
    ),
    "milestone": (
        "Milestone",
        "milestones",
        "projects:milestone_edit",
        "projects:milestone_delete",
    ),
    "cost": ("Cost line", "budget", "projects:cost_edit", "projects:cost_delete"),
    "risk": ("Risk", "risks", "projects:risk_edit", "projects:risk_delete"),
}
ADD_URLS = {
    "deliverable": "projects:deliverable_add",
    "milestone": "projects:milestone_add",
    "cost": "projects:cost_add",
    "risk": "projects:risk_add",
}


def item_page(access: ProjectAccess, kind: str, obj) -> dict:
    noun, anchor, edit_name, delete_name = ITEM_KINDS[kind]
    slug = access.project.slug
    back = reverse("projects:risks", args=[slug]) if kind == "risk" else region_url(access, anchor)
    return {
        "project": access.project,
        "access": access,
        "kind": kind,
        "noun": noun,
        "obj": obj,
        "back_url": back,
        "action": reverse(edit_name, args=[slug, obj.pk])
        if obj
        else reverse(ADD_URLS[kind], args=[slug]),
        "delete_url": reverse(delete_name, args=[slug, obj.pk]) if obj else None,
        "delete_form": ConfirmForm(initial={"version": obj.version}) if obj else None,
    }


def edit_item(
    request: HttpRequest,
    *,
    access,
    kind: str,
    obj,
    form_class,
    form_kwargs,
    initial,
    update,
    extra=None,
):
    page = item_page(access, kind, obj)
    if request.method == "GET":
        form = form_class(initial=initial, **form_kwargs)
        return render(request, "projects/item_form.html", {**page, "form": form})
    form = form_class(request.POST, initial=initial, **form_kwargs)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            update(version, data)
        except StaleEdit as exc:
            return conflict_response(
                request,
                "projects/item_form.html",
                page,
                form_class=form_class,
                form_kwargs=form_kwargs,
                current=exc.current,
                extra=extra(exc.current) if extra else None,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"{page['noun']} saved.")
            return redirect(page["back_url"])
    return render(request, "projects/item_form.html", {**page, "form": form}, status=422)


def delete_item(request: HttpRequest, *, access, kind: str, obj, delete):
    page = item_page(access, kind, obj)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Confirm the deletion from the edit page.")
        return redirect(page["action"])
    try:
        delete(form.cleaned_data["version"])
    except StaleEdit:
        messages.error(
            request,
            f"This {page['noun'].lower()} was changed by someone else since you opened it: "
            "look at it again before deleting.",
        )
        return redirect(page["action"])
    messages.success(request, f"{page['noun']} “{obj}” deleted.")
    return redirect(page["back_url"])


def deliverable_initial(d: Deliverable) -> dict:
    return {
        "version": d.version,
        "title": d.title,
        "description": d.description,
        "status": d.status,
        "estimate_days": d.estimate_days,
        "start_date": d.start_date,
        "due_date": d.due_date,
        "moscow": d.moscow,
        "in_scope": d.in_scope,
        "roadmap_item": d.roadmap_item_id,
    }


@require_http_methods(["GET", "POST"])
def deliverable_edit(request: HttpRequest, slug: str, pk: int):
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.deliverables.select_related("updated_by"), pk=pk)
    return edit_item(
        request,
        access=access,
        kind="deliverable",
        obj=obj,
        form_class=DeliverableForm,
        form_kwargs={"roadmap_items": roadmap_items_of(access.project)},
        initial=deliverable_initial(obj),
        update=lambda version, data: services.deliverable_update(
            deliverable_id=obj.pk, expected_version=version, by=request.user, changes=data
        ),
    )


@require_POST
def deliverable_done(request: HttpRequest, slug: str, pk: int):
    """Quick action on the scope table: mark a deliverable done (or open it again)."""
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.deliverables, pk=pk)
    form = ConfirmForm(request.POST)
    status = DeliverableStatus.PLANNED if obj.is_done else DeliverableStatus.DONE
    try:
        if not form.is_valid():
            raise StaleEdit(obj)
        services.deliverable_update(
            deliverable_id=obj.pk,
            expected_version=form.cleaned_data["version"],
            by=request.user,
            changes={"status": status},
        )
    except StaleEdit as exc:
        notice = (
            f"“{obj}” was changed by {display(exc.current.updated_by)} since you loaded the page: "
            "nothing was saved; here it is as saved now."
        )
        if request.htmx:
            return render_region(request, access, "scope", status=409, scope_notice=notice)
        messages.error(request, notice)
        return redirect(region_url(access, "scope", ScopeFilters.of(request.GET).query))
    label = "done" if status == DeliverableStatus.DONE else "open again"
    return region_or_redirect(request, access, "scope", f"“{obj}” is {label}.")


@require_POST
def deliverable_delete(request: HttpRequest, slug: str, pk: int):
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.deliverables, pk=pk)
    return delete_item(
        request,
        access=access,
        kind="deliverable",
        obj=obj,
        delete=lambda version: services.deliverable_delete(
            deliverable_id=obj.pk, expected_version=version
        ),
    )


@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, slug: str, pk: int):
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(
        access.project.milestones.select_related("updated_by").prefetch_related("depends_on"), pk=pk
    )
    others = [m for m in access.project.milestones.order_by("due_date", "id") if m.pk != obj.pk]

    def update(version, data):
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
        extra=lambda current: {"depends_on": list(current.depends_on.all())},
    )


@require_POST
def milestone_delete(request: HttpRequest, slug: str, pk: int):
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


@require_http_methods(["GET", "POST"])
def cost_edit(request: HttpRequest, slug: str, pk: int):
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
def cost_delete(request: HttpRequest, slug: str, pk: int):
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


# Timeline ------------------------------------------------------------------------------------


def timeline_context(access: ProjectAccess, **forms) -> dict:
    project = access.project
    on = today()
    data = load_plan(project, with_costs=False, with_risks=False)
    current = next((b for b in data.baselines if b.is_current), None)
    chart = timelines.build(
        project=project,
        deliverables=data.deliverables,
        milestones=data.milestones,
        baseline_deadline=current.deadline if current else None,
        today=on,
    )
    for m in data.milestones:
        m.flags = health.milestone_flags(m, project.deadline)
        m.overdue = m.is_overdue(on)
    return {
        "project": project,
        "urls": project_urls(project),
        "access": access,
        "chart": chart,
        "today": on,
        "baseline": current,
        "milestones": data.milestones,
        "milestone_form": forms.get("milestone_form")
        or MilestoneForm(milestones=data.milestones, creating=True),
    }


@require_GET
def timeline(request: HttpRequest, slug: str):
    """The plan on a time axis, and every milestone with its dependencies."""
    access = get_project(request.user, slug)
    context = timeline_context(access)
    if request.htmx and request.htmx.target in ("timeline-chart", "milestones"):
        return render(request, f"projects/timeline.html#{request.htmx.target}", context)
    return render(request, "projects/timeline.html", context)


# Risks ---------------------------------------------------------------------------------------

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
def risks(request: HttpRequest, slug: str):
    access = get_project(request.user, slug)
    return render_risks(request, access, form=None)


def render_risks(request, access: ProjectAccess, *, form, status: int = 200):
    project = access.project
    on = today()
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
        "urls": project_urls(project),
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
def risk_add(request: HttpRequest, slug: str):
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
def risk_edit(request: HttpRequest, slug: str, pk: int):
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
def risk_delete(request: HttpRequest, slug: str, pk: int):
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.risks, pk=pk)
    return delete_item(
        request,
        access=access,
        kind="risk",
        obj=obj,
        delete=lambda version: services.risk_delete(risk_id=obj.pk, expected_version=version),
    )


# Change requests -----------------------------------------------------------------------------


def product_choices(project: Project) -> dict:
    kpis = (
        list(Kpi.objects.filter(product_id=project.product_id).order_by("name"))
        if project.product_id
        else []
    )
    return {"roadmap_items": roadmap_items_of(project), "kpis": kpis}


@require_http_methods(["GET", "POST"])
def change_new(request: HttpRequest, slug: str):
    access = get_project(request.user, slug)
    access.require(
        access.can_request_change,
        "Only the owner of the project's product asks for changes, once the project is approved.",
    )
    kwargs = product_choices(access.project)
    context = {"project": access.project, "access": access}
    if request.method == "GET":
        initial = {"roadmap_item": request.GET.get("roadmap_item")}
        return render(
            request,
            "projects/change_form.html",
            {**context, "form": ChangeRequestForm(initial=initial, **kwargs)},
        )
    form = ChangeRequestForm(request.POST, **kwargs)
    if form.is_valid():
        try:
            change = services.change_request_create(
                project_id=access.project.pk, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{change.code} sent to the project manager for options.")
            return redirect(reverse("projects:change", args=[slug, change.number]))
    return render(request, "projects/change_form.html", {**context, "form": form}, status=422)


def change_context(access: ProjectAccess, change, *, option_form=None, decision_form=None) -> dict:
    project = access.project
    options = list(
        change.options.select_related("created_by").prefetch_related("descopes").order_by("label")
    )
    in_scope = list(project.deliverables.filter(in_scope=True).order_by("due_date", "id"))
    for option in options:
        option.new_deadline = project.deadline + timedelta(days=option.deadline_days)
        option.new_budget = project.budget + option.budget_amount
    decided_option = change.decision.option if hasattr(change, "decision") else None
    return {
        "project": project,
        "urls": project_urls(project),
        "access": access,
        "change": change,
        "options": options,
        "decided_option": decided_option,
        "decision": getattr(change, "decision", None),
        "can_add_options": access.can_edit and change.is_open,
        "can_decide": access.can_decide and change.is_open and bool(options),
        "can_withdraw": access.can_decide and change.is_open,
        "option_form": option_form or ChangeOptionForm(deliverables=in_scope, creating=True),
        # No option is chosen for the product manager: a decision is final.
        "decision_form": decision_form or DecisionForm(options=options),
    }


@require_GET
def change_detail(request: HttpRequest, slug: str, number: int):
    access, change = get_change_request(request.user, slug, number)
    return render(request, "projects/change.html", change_context(access, change))


@require_http_methods(["GET", "POST"])
def option_add(request: HttpRequest, slug: str, number: int):
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors add options."
    )
    url = reverse("projects:change", args=[slug, number])
    if request.method == "GET":
        return redirect(url + "#add-option")
    in_scope = list(access.project.deliverables.filter(in_scope=True).order_by("due_date", "id"))
    form = ChangeOptionForm(request.POST, deliverables=in_scope, creating=True)
    if form.is_valid():
        try:
            option = services.change_option_create(
                request_id=change.pk, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Option {option.label} added.")
            return redirect(url + "#options")
    context = change_context(access, change, option_form=form)
    return render(request, "projects/change.html", context, status=422)


@require_http_methods(["GET", "POST"])
def option_edit(request: HttpRequest, slug: str, number: int, pk: int):
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors edit options."
    )
    option = get_object_or_404(change.options.prefetch_related("descopes"), pk=pk)
    in_scope = list(access.project.deliverables.filter(in_scope=True).order_by("due_date", "id"))
    kwargs = {"deliverables": in_scope}
    url = reverse("projects:change", args=[slug, number])
    context = {
        "project": access.project,
        "access": access,
        "change": change,
        "option": option,
        "back_url": url,
        "delete_form": ConfirmForm(initial={"version": option.version}),
    }
    initial = {
        "version": option.version,
        "title": option.title,
        "description": option.description,
        "scope_impact": option.scope_impact,
        "adds": option.adds,
        "descopes": [d.pk for d in option.descopes.all()],
        "deadline_days": option.deadline_days,
        "budget_amount": option.budget_amount,
    }
    if request.method == "GET":
        return render(
            request,
            "projects/option_form.html",
            {**context, "form": ChangeOptionForm(initial=initial, **kwargs)},
        )
    form = ChangeOptionForm(request.POST, initial=initial, **kwargs)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        descopes = data.pop("descopes")
        try:
            services.change_option_update(
                option_id=option.pk,
                expected_version=version,
                by=request.user,
                changes=data,
                descopes=descopes,
            )
        except StaleEdit as exc:
            return conflict_response(
                request,
                "projects/option_form.html",
                context,
                form_class=ChangeOptionForm,
                form_kwargs=kwargs,
                current=exc.current,
                extra={"descopes": list(exc.current.descopes.all())},
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect(url)
        else:
            messages.success(request, f"Option {option.label} saved.")
            return redirect(url + "#options")
    return render(request, "projects/option_form.html", {**context, "form": form}, status=422)


@require_POST
def option_delete(request: HttpRequest, slug: str, number: int, pk: int):
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors remove options."
    )
    option = get_object_or_404(change.options, pk=pk)
    url = reverse("projects:change", args=[slug, number])
    form = ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise StaleEdit(option)
        services.change_option_delete(
            option_id=option.pk, expected_version=form.cleaned_data["version"]
        )
    except StaleEdit:
        messages.error(
            request, f"Option {option.label} changed since you opened it: look again first."
        )
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Option {option.label} removed.")
    return redirect(url)


@require_POST
def change_decide(request: HttpRequest, slug: str, number: int):
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_decide, "Only the owner of the project's product decides change requests."
    )
    url = reverse("projects:change", args=[slug, number])
    options = list(change.options.order_by("label"))
    form = DecisionForm(request.POST, options=options)
    if form.is_valid():
        option = form.chosen_option
        if form.cleaned_data["choice"] != REJECT and option is None:
            form.add_error("choice", "Choose one of the options, or reject the request.")
        else:
            try:
                services.change_request_decide(
                    request_id=change.pk,
                    by=request.user,
                    rationale=form.cleaned_data["rationale"],
                    option_id=option.pk if option else None,
                    option_version=form.chosen_version,
                )
            except Refused as exc:
                messages.error(request, f"Not decided: {exc}")
                return redirect(url)
            except StaleEdit as exc:
                current = exc.current
                context = change_context(access, change, decision_form=form)
                context["stale_option"] = current
                return render(request, "projects/change.html", context, status=409)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                if option:
                    messages.success(
                        request,
                        f"Option {option.label} accepted: the project and its baseline moved.",
                    )
                    return redirect(access.project)
                messages.success(request, f"{change.code} rejected; it stays visible here.")
                return redirect(url)
    context = change_context(access, change, decision_form=form)
    return render(request, "projects/change.html", context, status=422)


@require_POST
def change_withdraw(request: HttpRequest, slug: str, number: int):
    access, change = get_change_request(request.user, slug, number)
    access.require(access.can_decide, "Only the owner of the project's product withdraws requests.")
    try:
        services.change_request_withdraw(request_id=change.pk, by=request.user)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{change.code} withdrawn; it stays visible on the project.")
    return redirect(reverse("projects:change", args=[slug, number]))


# Exports -------------------------------------------------------------------------------------


def attachment(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def export_mspdi(request: HttpRequest, slug: str, filename: str):
    access = get_project(request.user, slug)
    if filename != access.project.slug:
        raise Http404("No such export.")
    data = load_plan(access.project, with_costs=False, with_risks=False)
    body = mspdi.build(access.project, data.deliverables, data.milestones)
    return attachment(body, "application/xml; charset=utf-8", f"{slug}.xml")


@require_GET
def export_ics(request: HttpRequest, slug: str, filename: str):
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
def export_deliverables_csv(request: HttpRequest, slug: str):
    access = get_project(request.user, slug)
    rows = list(
        access.project.deliverables.select_related("roadmap_item__kpi").order_by("due_date", "id")
    )
    return attachment(
        exports.deliverables_csv(rows), "text/csv; charset=utf-8", f"{slug}-deliverables.csv"
    )


@require_GET
def export_risks_csv(request: HttpRequest, slug: str):
    access = get_project(request.user, slug)
    rows = list(access.project.risks.select_related("owner").order_by("-score", "number"))
    return attachment(
        exports.risks_csv(rows, today()), "text/csv; charset=utf-8", f"{slug}-risks.csv"
    )
