"""The scope page: every deliverable of the project, filtered and sorted from the URL, 50 rows
at a time ("Show more" loads the next rows in place with htmx, or opens them as the next page),
with the quick action that marks one done; and the deliverable's own pages."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from projects import overview, services
from projects.access import ProjectAccess, get_project, get_project_for_edit
from projects.forms import ConfirmForm, DeliverableForm, DependencyForm, ScopeRemovalForm
from projects.models import (
    BaselineItem,
    Deliverable,
    DeliverableDependency,
    DeliverableStatus,
    Moscow,
)
from projects.services import Refused
from projects.templatetags.projects_tags import person
from projects.views.editing import (
    asked_for,
    attach_errors,
    delete_item,
    edit_item,
    invalid,
    item_page,
    people,
    roadmap_items_of,
    saved,
)
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

PAGE_SIZE = 50
PROGRESS_SHOWN = 10  # roadmap items with their delivery; the product's roadmap shows them all
SCOPE_CHOICES = [("in", "In scope"), ("out", "Out of scope · backlog"), ("all", "All")]
SORT_CHOICES = [
    ("due", "Due date"),
    ("title", "Title"),
    ("priority", "MoSCoW priority"),
    ("group", "Group"),
]
PRIORITY = Case(
    *(When(moscow=value, then=Value(rank)) for rank, value in enumerate(Moscow.values)),
    output_field=IntegerField(),
)
ORDERS = {
    "due": ("due_date", "start_date", "id"),
    "title": ("title", "id"),
    "priority": (PRIORITY, "due_date", "id"),
    "group": ("group", "due_date", "id"),
}


@dataclass(frozen=True)
class ScopeFilters:
    scope: str = "in"
    status: str = ""
    moscow: str = ""
    overdue: bool = False
    sort: str = "due"

    @classmethod
    def of(cls, params: QueryDict | dict) -> ScopeFilters:
        """From the query string; unknown values fall back to showing everything."""
        scope = params.get("scope", "in")
        status = params.get("status", "")
        moscow = params.get("moscow", "")
        sort = params.get("sort", "due")
        return cls(
            scope=scope if scope in dict(SCOPE_CHOICES) else "in",
            status=status if status in DeliverableStatus.values else "",
            moscow=moscow if moscow in Moscow.values else "",
            overdue=params.get("overdue") == "1",
            sort=sort if sort in ORDERS else "due",
        )

    def params(self) -> dict[str, str]:
        params = {
            "scope": self.scope if self.scope != "in" else "",
            "status": self.status,
            "moscow": self.moscow,
            "overdue": "1" if self.overdue else "",
            "sort": self.sort if self.sort != "due" else "",
        }
        return {k: v for k, v in params.items() if v}

    @property
    def query(self) -> str:
        """The filters as a query string ("" for the default view), for the forms' URLs."""
        text = urlencode(self.params())
        return f"?{text}" if text else ""

    def page_query(self, number: int) -> str:
        return "?" + urlencode({**self.params(), "page": number})

    @property
    def is_default(self) -> bool:
        """No filter narrows the list (the order is not a filter)."""
        return replace(self, sort="due") == ScopeFilters()

    def condition(self, on: date) -> Q:
        condition = Q()
        if self.scope != "all":
            condition &= Q(in_scope=self.scope == "in")
        if self.status:
            condition &= Q(status=self.status)
        if self.moscow:
            condition &= Q(moscow=self.moscow)
        if self.overdue:
            condition &= Q(in_scope=True, due_date__lt=on) & ~Q(status=DeliverableStatus.DONE)
        return condition

    def apply(self, qs: QuerySet, on: date) -> QuerySet:
        return qs.filter(self.condition(on)).order_by(*ORDERS[self.sort])


def page_number(params: QueryDict | dict) -> int:
    raw = str(params.get("page", "1"))
    return max(int(raw), 1) if raw.isdigit() else 1


def scope_context(access: ProjectAccess, params: QueryDict | dict, **forms) -> dict:
    project = access.project
    on = timezone.localdate()
    filters = ScopeFilters.of(params)
    condition = filters.condition(on)
    # Named apart from the field: a filter on in_scope would otherwise read the aggregate.
    counts = project.deliverables.aggregate(
        n_in=Count("id", filter=Q(in_scope=True)),
        n_out=Count("id", filter=Q(in_scope=False)),
        shown=Count("id", filter=condition) if condition else Count("id"),
    )
    counts["in_scope"], counts["out_of_scope"] = counts.pop("n_in"), counts.pop("n_out")
    pages = max((counts["shown"] + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    number = min(page_number(params), pages)
    start = (number - 1) * PAGE_SIZE
    rows = filters.apply(project.deliverables.all(), on)
    if access.can_remove_scope:
        # The product's owner may take baselined scope out, saying why: mark those rows.
        in_baseline = BaselineItem.objects.filter(
            baseline__project=project, baseline__is_current=True, deliverable_ref=OuterRef("pk")
        )
        rows = rows.annotate(in_baseline=Exists(in_baseline))
    after = DeliverableDependency.objects.select_related("predecessor").only(
        "id", "successor_id", "lag_days", "predecessor__id", "predecessor__title"
    )
    rows = list(
        rows.select_related("roadmap_item__kpi", "owner")
        .prefetch_related(Prefetch("predecessor_links", queryset=after))
        .only(
            "id",
            "project_id",  # the related manager sets d.project from it
            "title",
            "description",
            "status",
            "estimate_days",
            "due_date",
            "moscow",
            "in_scope",
            "group",
            "version",
            "roadmap_item__title",
            "roadmap_item__kpi__name",
            *(f"owner__{name}" for name in ("first_name", "last_name", "username", "is_active")),
        )[start : start + PAGE_SIZE]
    )
    for d in rows:
        d.overdue = d.is_overdue(on)
    progress = [
        {**row, "percent": round(100 * row["done"] / row["total"])}
        for row in project.deliverables.filter(in_scope=True, roadmap_item__isnull=False)
        .values("roadmap_item_id", "roadmap_item__title")
        .annotate(total=Count("id"), done=Count("id", filter=Q(status=DeliverableStatus.DONE)))
        .order_by("roadmap_item__title", "roadmap_item_id")
    ]
    end = start + len(rows)
    return {
        "project": project,
        "access": access,
        # Every row's addresses start with it: one reverse() a page instead of four a row.
        "deliverables_url": reverse(
            "projects:deliverable_edit", args=[project.slug, 0]
        ).removesuffix("0/"),
        "today": on,
        "filters": filters,
        "scope_choices": SCOPE_CHOICES,
        "sort_choices": SORT_CHOICES,
        "statuses": DeliverableStatus.choices,
        "moscows": Moscow.choices,
        "rows": rows,
        "page": {
            "number": number,
            "first": start + 1,
            "last": end,
            "next": filters.page_query(number + 1) if end < counts["shown"] else "",
            "next_size": min(PAGE_SIZE, counts["shown"] - end),
        },
        "counts": counts,
        "against": overview.scope_against_baseline(project, counts["in_scope"]),
        "progress": progress[:PROGRESS_SHOWN],
        "more_progress": len(progress) - min(len(progress), PROGRESS_SHOWN),
        # The add form (a select of the roadmap's items) loads when it is opened; it is drawn
        # here only to show a post's errors.
        "deliverable_form": forms.get("deliverable_form"),
        "scope_notice": forms.get("scope_notice"),
    }


@require_GET
def scope(request: HttpRequest, slug: str) -> HttpResponse:
    """Every deliverable of the project, filtered, with its quick actions. With htmx: the
    region (#scope) for the filters, or the next rows for "Show more" (#scope-more)."""
    access = get_project(request.user, slug)
    context = scope_context(access, request.GET)
    if request.htmx and request.htmx.target == "scope":
        return render(request, "projects/scope.html#scope", context)
    if request.htmx and request.htmx.target == "scope-more":
        return render(request, "projects/scope.html#scope-rows", context)
    return render(request, "projects/scope.html", context)


def scope_region(request: HttpRequest, access: ProjectAccess, *, status: int = 200, **forms):
    """The #scope region again, fresh from the database, with the filters of the URL."""
    context = scope_context(access, request.GET, **forms)
    return render(request, "projects/scope.html#scope", context, status=status)


def scope_url(access: ProjectAccess, request: HttpRequest) -> str:
    query = ScopeFilters.of(request.GET).query
    return reverse("projects:scope", args=[access.project.slug]) + query + "#scope"


@require_http_methods(["GET", "POST"])
def deliverable_add(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    kwargs = {"roadmap_items": roadmap_items_of(access.project), "creating": True}
    page = item_page(access, "deliverable", None)
    if request.method == "GET":
        form = DeliverableForm(**kwargs)
        if request.htmx:  # opened on the scope page: the form in place, with the filters
            post_url = reverse("projects:deliverable_add", args=[slug])
            post_url += ScopeFilters.of(request.GET).query
            context = {"form": asked_for(form), "post_url": post_url}
            return render(request, "projects/_deliverable_add_form.html", context)
        return render(request, "projects/item_form.html", {**page, "form": form})
    form = DeliverableForm(request.POST, **kwargs)
    if form.is_valid():
        try:
            services.deliverable_create(
                project=access.project, by=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return saved(
                request,
                region=lambda: scope_region(request, access),
                url=scope_url(access, request),
                message="Deliverable added.",
            )
    return invalid(
        request,
        region=lambda: scope_region(request, access, status=422, deliverable_form=form),
        page=page,
        form=form,
    )


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
        "owner": d.owner_id,
        "group": d.group,
    }


@require_http_methods(["GET", "POST"])
def deliverable_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    obj = get_object_or_404(access.project.deliverables.select_related("updated_by"), pk=pk)
    return edit_item(
        request,
        access=access,
        kind="deliverable",
        obj=obj,
        form_class=DeliverableForm,
        form_kwargs={"roadmap_items": roadmap_items_of(access.project), "people": people()},
        initial=deliverable_initial(obj),
        update=lambda version, data: services.deliverable_update(
            deliverable_id=obj.pk, expected_version=version, by=request.user, changes=data
        ),
    )


@require_POST
def deliverable_done(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
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
            f"“{obj}” was changed by {person(exc.changed_by)} since you loaded the page: "
            "nothing was saved; here it is as saved now."
        )
        if request.htmx:
            return scope_region(request, access, status=409, scope_notice=notice)
        messages.error(request, notice)
        return redirect(scope_url(access, request))
    label = "done" if status == DeliverableStatus.DONE else "open again"
    return saved(
        request,
        region=lambda: scope_region(request, access),
        url=scope_url(access, request),
        message=f"“{obj}” is {label}.",
    )


@require_POST
def deliverable_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
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
def deliverable_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """The product's owner takes a baselined deliverable out of scope (or deletes it) without a
    change request: the reason is asked for and kept."""
    access = get_project(request.user, slug)
    access.require(
        access.can_remove_scope,
        "Only the owner of the project's product takes baselined scope out without a change "
        "request.",
    )
    obj = get_object_or_404(access.project.deliverables, pk=pk)
    url = reverse("projects:scope", args=[slug]) + "#scope"
    context = {"project": access.project, "access": access, "deliverable": obj, "back_url": url}
    if request.method == "GET":
        initial = {"version": obj.version, "delete": "1" if request.GET.get("delete") else "0"}
        return render(
            request,
            "projects/scope_removal.html",
            {**context, "form": ScopeRemovalForm(initial=initial)},
        )
    form = ScopeRemovalForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.deliverable_remove(
                deliverable_id=obj.pk,
                expected_version=data["version"],
                by=request.user,
                reason=data["reason"],
                delete=data["delete"],
            )
        except StaleEdit as exc:
            # Shown again with the version saved now: confirming again is on purpose.
            again = request.POST.copy()
            again["version"] = str(exc.current.version)
            form = ScopeRemovalForm(again)
            form.is_valid()
            form.add_error(
                None,
                f"“{obj}” was changed by {person(exc.changed_by)} since you opened this page: "
                "look at it again, then confirm.",
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        except Refused as exc:
            messages.error(request, str(exc))
            return redirect(url)
        else:
            done = "deleted" if data["delete"] else "taken out of scope"
            messages.success(request, f"“{obj}” {done}; your reason is kept with the project.")
            return redirect(url)
    return render(request, "projects/scope_removal.html", {**context, "form": form}, status=422)


# Dependencies ----------------------------------------------------------------------------------


def dependencies_context(access: ProjectAccess, deliverable: Deliverable, **forms) -> dict:
    """One deliverable's finish-to-start links, both ways, and the form adding one: loaded
    when asked for (the project's other deliverables are the form's choices)."""
    project = access.project
    links = list(
        deliverable.predecessor_links.select_related("predecessor")
        .only("id", "successor_id", "lag_days", "predecessor__id", "predecessor__title")
        .order_by("predecessor__title", "id")
    )
    dependents = list(
        deliverable.successor_links.select_related("successor")
        .only("id", "predecessor_id", "successor__id", "successor__title")
        .order_by("successor__title", "id")
    )
    linked = {link.predecessor_id for link in links}
    others = [
        d
        for d in project.deliverables.only("id", "title").order_by("title", "id")
        if d.pk != deliverable.pk and d.pk not in linked
    ]
    return {
        "project": project,
        "access": access,
        "deliverable": deliverable,
        "links": links,
        "dependents": dependents,
        "form": forms.get("form") or DependencyForm(deliverables=others),
        "scope_url": reverse("projects:scope", args=[project.slug]),
    }


def dependencies_answer(
    request: HttpRequest, access: ProjectAccess, deliverable: Deliverable, *, status=200, **forms
) -> HttpResponse:
    context = dependencies_context(access, deliverable, **forms)
    if request.htmx:
        return render(
            request, "projects/dependencies.html#dependency-editor", context, status=status
        )
    return render(request, "projects/dependencies.html", context, status=status)


@require_http_methods(["GET", "POST"])
def deliverable_dependencies(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """What a deliverable depends on: its own page, or (htmx) an editor opened in its row of
    the scope page. POST adds a link; a loop, itself or another project's deliverable is
    refused next to the field, with the loop named."""
    access = get_project_for_edit(request.user, slug)
    deliverable = get_object_or_404(
        access.project.deliverables.only("id", "title", "project_id"), pk=pk
    )
    if request.method == "GET":
        return dependencies_answer(request, access, deliverable)
    others = list(access.project.deliverables.only("id", "title").exclude(pk=pk))
    form = DependencyForm(request.POST, deliverables=others)
    if form.is_valid():
        try:
            services.deliverable_dependency_add(
                successor_id=deliverable.pk,
                predecessor_id=form.cleaned_data["predecessor"].pk,
                lag_days=form.cleaned_data["lag_days"],
                by=request.user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            url = reverse("projects:deliverable_dependencies", args=[slug, pk])
            return saved(
                request,
                region=lambda: dependencies_answer(request, access, deliverable),
                url=url,
                message=f"“{deliverable}” now waits for “{form.cleaned_data['predecessor']}”.",
            )
    return dependencies_answer(request, access, deliverable, status=422, form=form)


@require_POST
def dependency_remove(request: HttpRequest, slug: str, pk: int, link: int) -> HttpResponse:
    access = get_project_for_edit(request.user, slug)
    deliverable = get_object_or_404(
        access.project.deliverables.only("id", "title", "project_id"), pk=pk
    )
    dependency = get_object_or_404(
        DeliverableDependency.objects.select_related("predecessor").only(
            "id", "successor_id", "predecessor__title"
        ),
        pk=link,
        successor=deliverable,
    )
    services.deliverable_dependency_remove(dependency_id=dependency.pk, by=request.user)
    return saved(
        request,
        region=lambda: dependencies_answer(request, access, deliverable),
        url=reverse("projects:deliverable_dependencies", args=[slug, pk]),
        message=f"“{deliverable}” no longer waits for “{dependency.predecessor.title}”.",
    )
