"""The list of projects and one project: its overview, creating and editing it (approving it:
projects.views.approval)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from products.access import can_plan
from products.models import Product
from projects import extensions, health, overview, services
from projects.access import (
    ProjectAccess,
    get_project,
    get_project_for_edit,
    require_planner,
)
from projects.forms import ApprovalRequestForm, ProjectForm
from projects.models import Project, ProjectStatus
from projects.views.editing import attach_errors, people, stale_form
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

PAGE_SIZE = 50
GROUPS = [("", "No grouping"), ("product", "Product"), ("status", "Status")]
NO_PRODUCT = "none"  # the product filter's value for projects that serve no product
STATUS_RANK = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(ProjectStatus.values)),
    output_field=IntegerField(),
)


@dataclass(frozen=True)
class ProjectFilters:
    """The list's filters and grouping, from and back to the URL."""

    product: str = ""  # a product's slug, NO_PRODUCT, or "" for any
    status: str = ""
    mine: bool = False
    group: str = ""

    @classmethod
    def of(cls, params: QueryDict | dict) -> ProjectFilters:
        status = params.get("status", "")
        group = params.get("group", "")
        return cls(
            product=str(params.get("product", ""))[:220],
            status=status if status in ProjectStatus.values else "",
            mine=params.get("mine") == "1",
            group=group if group in dict(GROUPS) else "",
        )

    def params(self, **changes: str | bool) -> dict[str, str]:
        values = {
            "product": self.product,
            "status": self.status,
            "mine": self.mine,
            "group": self.group,
            **changes,
        }
        values["mine"] = "1" if values["mine"] else ""
        return {key: value for key, value in values.items() if value}

    def query(self, **changes: str | bool) -> str:
        text = urlencode(self.params(**changes))
        return f"?{text}" if text else "?"

    def product_condition(self) -> Q:
        if self.product == NO_PRODUCT:
            return Q(product__isnull=True)
        return Q(product__asset__slug=self.product) if self.product else Q()

    def status_condition(self) -> Q:
        return Q(status=self.status) if self.status else Q()

    def ordering(self) -> tuple:
        order = ("deadline", "name", "pk")
        if self.group == "product":
            return (F("product__asset__name").asc(nulls_last=True), "product_id", *order)
        if self.group == "status":
            return (STATUS_RANK, *order)
        return order


def facet_counts(base: QuerySet, filters: ProjectFilters) -> dict:
    """How many projects each status and each product has, each count under the other filters
    (two aggregate queries): the numbers beside the list's filters."""
    by_status = base.filter(filters.product_condition()).aggregate(
        all=Count("pk"),
        **{value: Count("pk", filter=Q(status=value)) for value in ProjectStatus.values},
    )
    by_product = [
        {
            "slug": row["product__asset__slug"] or NO_PRODUCT,
            "name": row["product__asset__name"] or "No product",
            "count": row["n"],
        }
        for row in base.filter(filters.status_condition())
        .order_by()
        .values("product__asset__slug", "product__asset__name")
        .annotate(n=Count("pk"))
        .order_by(F("product__asset__name").asc(nulls_last=True))
    ]
    return {
        "all": by_status.pop("all"),
        "statuses": [
            {"value": value, "label": label, "count": by_status[value]}
            for value, label in ProjectStatus.choices
        ],
        "products": by_product,
    }


def group_of(project: Project, group: str) -> tuple[str, str]:
    """The key and heading of the group a row falls in."""
    if group == "product":
        if project.product_id is None:
            return NO_PRODUCT, "No product"
        return project.product.asset.slug, project.product.asset.name
    if group == "status":
        return project.status, project.get_status_display()
    return "", ""


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """Every project, filtered by product and status (and "mine"), grouped by product or status,
    50 at a time; each filter's values with their counts. The filters live in the URL."""
    filters = ProjectFilters.of(request.GET)
    base = Project.objects.all()
    if filters.mine:
        base = base.involving(request.user)
    qs = base.filter(filters.product_condition() & filters.status_condition())
    page = Paginator(qs.for_list().order_by(*filters.ordering()), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    projects = list(page.object_list)
    on = timezone.localdate()
    # Each project's figures from the cache kept under its revision (as on the dashboard).
    facts = {pk: f.facts for pk, f in health.figures_cached(projects, on).items()}
    counts = facet_counts(base, filters)
    # Each facet's link keeps the other filters (and the grouping), starting at page one.
    counts["all_url"] = filters.query(status="")
    counts["all_products_url"] = filters.query(product="")
    for row in counts["statuses"]:
        row["url"] = filters.query(status=row["value"])
    for row in counts["products"]:
        row["url"] = filters.query(product=row["slug"])
    if filters.group == "product":
        group_sizes = {row["slug"]: row["count"] for row in counts["products"]}
    else:
        group_sizes = {row["value"]: row["count"] for row in counts["statuses"]}
    rows, previous = [], None
    for p in projects:
        key, heading = group_of(p, filters.group)
        rows.append(
            {
                "project": p,
                "facts": facts[p.pk],
                "health": health.assess(facts[p.pk]),
                "days_left": (p.deadline - on).days,
                "heading": heading if filters.group and key != previous else "",
                "group_size": group_sizes.get(key, 0),
            }
        )
        previous = key
    context = {
        "rows": rows,
        "page": page,
        "filters": filters,
        "counts": counts,
        "groups": GROUPS,
        "statuses": ProjectStatus.choices,
        "any_projects": bool(rows) or filters != ProjectFilters(),
        "can_create": can_plan(request.user),
    }
    template = "projects/index.html#project-list" if request.htmx else "projects/index.html"
    return render(request, template, context)


def panels_of(request: HttpRequest, project: Project) -> list[dict]:
    """The panels other apps add to the page (projects/extensions.py), each rendered from its
    own template with the project."""
    return [
        {
            "title": panel.title,
            "html": render_to_string(
                panel.template, {**panel.context, "project": project}, request
            ),
        }
        for panel in extensions.project_panels(project, request.user)
    ]


def detail_context(access: ProjectAccess) -> dict:
    project = access.project
    on = timezone.localdate()
    return {
        "project": project,
        "access": access,
        "today": on,
        "ask_form": ApprovalRequestForm() if access.can_ask_approval else None,
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
    context["panels"] = panels_of(request, access.project)
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
    require_planner(request.user)
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
