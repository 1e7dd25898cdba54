"""The project side of the JSON API (/api/v1/, mounted by roleplan.integrations): projects,
deliverables, milestones and their dependencies, cost lines, risks, change requests with their
options and decisions, baselines (read).

Another door to the same rules as the pages: projects.access says who may do what
(ProjectAccess), projects.forms validates, projects.services writes (its ValidationError,
Refused and StaleEdit become 422, 409 and 412 problems); roleplan/rest.py says the conventions.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from projects import services
from projects.access import get_change_request, get_project, get_project_for_edit, require_planner
from projects.forms import (
    REJECT,
    ChangeOptionForm,
    ChangeRequestForm,
    CostLineForm,
    DecisionForm,
    DeliverableForm,
    MilestoneForm,
    ProjectForm,
    RiskForm,
    option_item_formset,
)
from projects.models import (
    Baseline,
    ChangeOption,
    ChangeRequest,
    CostLine,
    Deliverable,
    Milestone,
    Project,
    ProjectRisk,
)
from projects.views.changes import in_scope, product_choices
from projects.views.editing import people, roadmap_items_of
from projects.views.project import project_form_kwargs
from roleplan.http import HttpRequest
from roleplan.rest import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    expected_version,
    form_data,
    invalid,
    ordered,
    page_of,
    patched,
    since,
    validated,
    with_etag,
)

# A field named `date` would hide the type in its class: the type under another name.
Day = date

router = Router(tags=["Projects"])

ProjectStatus = Literal["proposed", "active", "on_hold", "done", "cancelled"]


def money(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


class Paging(Schema):
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


def body_of(payload: Schema) -> dict:
    data = payload.model_dump(exclude_unset=True)
    data.pop("version", None)
    return data


def cleaned_changes(form) -> dict:
    data = dict(form.cleaned_data)
    data.pop("version", None)
    return data


# Projects -----------------------------------------------------------------------------------------


class ProjectOut(Schema):
    slug: str
    name: str
    product: str | None
    manager: int
    start_date: date
    deadline: date
    budget: str
    currency: str
    status: str
    methodology: str
    statement_of_work: str
    benefits: str
    outcomes: str
    editors: list[int]
    approved_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_product(obj: Project) -> str | None:
        return obj.product.asset.slug if obj.product_id else None

    @staticmethod
    def resolve_manager(obj: Project) -> int:
        return obj.manager_id

    @staticmethod
    def resolve_budget(obj: Project) -> str:
        return money(obj.budget)

    @staticmethod
    def resolve_editors(obj: Project) -> list[int]:
        return sorted(user.pk for user in obj.editors.all())


class ProjectFilters(Schema):
    status: ProjectStatus | None = None
    product: str | None = Field(None, description="A product's slug.")
    updated_since: datetime | None = None
    ordering: (
        Literal["deadline", "-deadline", "name", "-name", "updated_at", "-updated_at"] | None
    ) = None
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


class ProjectIn(Schema):
    name: str | None = None
    product: int | None = Field(None, description="The product's id (null: none).")
    manager: int | None = None
    start_date: date | None = None
    deadline: date | None = None
    budget: Decimal | None = None
    currency: str | None = None
    status: ProjectStatus | None = None
    methodology: Literal["scrum", "kanban", "waterfall", "hybrid"] | None = None
    statement_of_work: str | None = None
    benefits: str | None = None
    outcomes: str | None = None
    editors: list[int] | None = None
    version: int | None = None


def project_out(request: HttpRequest, slug: str) -> Project:
    return get_project(request.user, slug).project


@router.get("/projects", response={200: list[ProjectOut], **LIST_ERRORS})
def project_list(request: HttpRequest, response: HttpResponse, q: Query[ProjectFilters]):
    """Every project (projects are visible to everyone signed in)."""
    projects = (
        Project.objects.select_related("product__asset")
        .prefetch_related("editors")
        .order_by("deadline", "name", "pk")
    )
    if q.status:
        projects = projects.filter(status=q.status)
    if q.product:
        projects = projects.filter(product__asset__slug=q.product)
    projects = ordered(
        since(projects, q.updated_since),
        q.ordering,
        {"deadline": "deadline", "name": "name", "updated_at": "updated_at"},
    )
    return page_of(request, response, projects, page=q.page, per_page=q.per_page)


@router.post("/projects", response={201: ProjectOut, **WRITE_ERRORS})
def project_create(request: HttpRequest, response: HttpResponse, payload: ProjectIn):
    """Start a project (the planner permission, as on the page)."""
    require_planner(request.user)
    body = {"currency": "EUR", "methodology": "hybrid", "budget": 0, **body_of(payload)}
    form = validated(ProjectForm(form_data([], None, body), **project_form_kwargs(None)))
    project = services.project_create(by=request.user, **form.cleaned_data)
    return 201, with_etag(response, project_out(request, project.slug))


@router.get("/projects/{slug}", response={200: ProjectOut, **READ_ERRORS})
def project_detail(request: HttpRequest, response: HttpResponse, slug: str):
    return with_etag(response, project_out(request, slug))


@router.patch("/projects/{slug}", response={200: ProjectOut, **WRITE_ERRORS})
def project_update(request: HttpRequest, response: HttpResponse, slug: str, payload: ProjectIn):
    """Change the project; after approval, start, deadline, budget and currency move only
    through a decided change request."""
    project = get_project_for_edit(request.user, slug).project
    version = expected_version(request, payload.version)
    kwargs = project_form_kwargs(project)
    kwargs["locked"] = False  # a disabled field would drop the body's value: the service says
    form = patched(ProjectForm, project, body_of(payload), version, **kwargs)
    changes = cleaned_changes(form)
    editors = changes.pop("editors")
    services.project_update(
        project_id=project.pk,
        expected_version=version,
        by=request.user,
        changes=changes,
        editors=editors,
    )
    return with_etag(response, project_out(request, slug))


# Deliverables -------------------------------------------------------------------------------------


class DeliverableOut(Schema):
    id: int
    title: str
    description: str
    status: str
    estimate_days: str | None
    start_date: date | None
    due_date: date | None
    done_on: date | None
    moscow: str
    in_scope: bool
    roadmap_item: int | None
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_estimate_days(obj: Deliverable) -> str | None:
        return None if obj.estimate_days is None else f"{obj.estimate_days:.1f}"

    @staticmethod
    def resolve_roadmap_item(obj: Deliverable) -> int | None:
        return obj.roadmap_item_id


class DeliverableIn(Schema):
    title: str | None = None
    description: str | None = None
    status: Literal["planned", "in_progress", "blocked", "done"] | None = None
    estimate_days: Decimal | None = None
    start_date: date | None = None
    due_date: date | None = None
    moscow: Literal["must", "should", "could", "wont"] | None = None
    in_scope: bool | None = None
    roadmap_item: int | None = None
    version: int | None = None


class DeliverableFilters(Schema):
    status: Literal["planned", "in_progress", "blocked", "done"] | None = None
    in_scope: bool | None = None
    updated_since: datetime | None = None
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


@router.get("/projects/{slug}/deliverables", response={200: list[DeliverableOut], **LIST_ERRORS})
def deliverable_list(
    request: HttpRequest, response: HttpResponse, slug: str, q: Query[DeliverableFilters]
):
    project = project_out(request, slug)
    rows = Deliverable.objects.filter(project=project).order_by("due_date", "pk")
    if q.status:
        rows = rows.filter(status=q.status)
    if q.in_scope is not None:
        rows = rows.filter(in_scope=q.in_scope)
    return page_of(
        request, response, since(rows, q.updated_since), page=q.page, per_page=q.per_page
    )


@router.post("/projects/{slug}/deliverables", response={201: DeliverableOut, **WRITE_ERRORS})
def deliverable_create(
    request: HttpRequest, response: HttpResponse, slug: str, payload: DeliverableIn
):
    project = get_project_for_edit(request.user, slug).project
    body = {"status": "planned", "moscow": "must", "in_scope": True, **body_of(payload)}
    form = validated(
        DeliverableForm(
            form_data([], None, body), roadmap_items=roadmap_items_of(project), creating=True
        )
    )
    row = services.deliverable_create(project=project, by=request.user, **form.cleaned_data)
    return 201, with_etag(response, row)


@router.get("/projects/{slug}/deliverables/{pk}", response={200: DeliverableOut, **READ_ERRORS})
def deliverable_detail(request: HttpRequest, response: HttpResponse, slug: str, pk: int):
    project = project_out(request, slug)
    return with_etag(response, get_object_or_404(Deliverable, pk=pk, project=project))


@router.patch("/projects/{slug}/deliverables/{pk}", response={200: DeliverableOut, **WRITE_ERRORS})
def deliverable_update(
    request: HttpRequest, response: HttpResponse, slug: str, pk: int, payload: DeliverableIn
):
    """A deliverable the approved baseline holds leaves the scope only through a change
    request, or by the product's owner with a reason (409 otherwise)."""
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(Deliverable, pk=pk, project=project)
    version = expected_version(request, payload.version)
    items = roadmap_items_of(project)
    form = patched(DeliverableForm, row, body_of(payload), version, roadmap_items=items)
    row = services.deliverable_update(
        deliverable_id=row.pk,
        expected_version=version,
        by=request.user,
        changes=cleaned_changes(form),
    )
    return with_etag(response, row)


@router.delete("/projects/{slug}/deliverables/{pk}", response={204: None, **WRITE_ERRORS})
def deliverable_delete(request: HttpRequest, slug: str, pk: int):
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(Deliverable, pk=pk, project=project)
    services.deliverable_delete(deliverable_id=row.pk, expected_version=expected_version(request))
    return 204, None


# Milestones ---------------------------------------------------------------------------------------


class MilestoneOut(Schema):
    id: int
    title: str
    description: str
    due_date: date
    done_on: date | None
    depends_on: list[int] = Field(description="Finish-to-start: reached only after these.")
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_depends_on(obj: Milestone) -> list[int]:
        return sorted(m.pk for m in obj.depends_on.all())


class MilestoneIn(Schema):
    title: str | None = None
    description: str | None = None
    due_date: date | None = None
    done_on: date | None = None
    depends_on: list[int] | None = None
    version: int | None = None


def milestones_of(project: Project) -> list[Milestone]:
    return list(project.milestones.order_by("due_date", "pk"))


@router.get("/projects/{slug}/milestones", response={200: list[MilestoneOut], **LIST_ERRORS})
def milestone_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[Paging]):
    project = project_out(request, slug)
    rows = project.milestones.prefetch_related("depends_on").order_by("due_date", "pk")
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.post("/projects/{slug}/milestones", response={201: MilestoneOut, **WRITE_ERRORS})
def milestone_create(request: HttpRequest, response: HttpResponse, slug: str, payload: MilestoneIn):
    project = get_project_for_edit(request.user, slug).project
    form = validated(
        MilestoneForm(
            form_data([], None, body_of(payload)),
            milestones=milestones_of(project),
            creating=True,
        )
    )
    row = services.milestone_create(project=project, by=request.user, **form.cleaned_data)
    return 201, with_etag(response, row)


@router.get("/projects/{slug}/milestones/{pk}", response={200: MilestoneOut, **READ_ERRORS})
def milestone_detail(request: HttpRequest, response: HttpResponse, slug: str, pk: int):
    project = project_out(request, slug)
    return with_etag(response, get_object_or_404(Milestone, pk=pk, project=project))


@router.patch("/projects/{slug}/milestones/{pk}", response={200: MilestoneOut, **WRITE_ERRORS})
def milestone_update(
    request: HttpRequest, response: HttpResponse, slug: str, pk: int, payload: MilestoneIn
):
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(Milestone, pk=pk, project=project)
    version = expected_version(request, payload.version)
    others = [m for m in milestones_of(project) if m.pk != row.pk]
    form = patched(MilestoneForm, row, body_of(payload), version, milestones=others)
    changes = cleaned_changes(form)
    depends_on = changes.pop("depends_on")
    row = services.milestone_update(
        milestone_id=row.pk,
        expected_version=version,
        by=request.user,
        changes=changes,
        depends_on=depends_on,
    )
    return with_etag(response, row)


@router.delete("/projects/{slug}/milestones/{pk}", response={204: None, **WRITE_ERRORS})
def milestone_delete(request: HttpRequest, slug: str, pk: int):
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(Milestone, pk=pk, project=project)
    services.milestone_delete(milestone_id=row.pk, expected_version=expected_version(request))
    return 204, None


# Cost lines ---------------------------------------------------------------------------------------


class CostLineOut(Schema):
    id: int
    category: str
    description: str
    planned: str
    actual: str | None
    date: Day
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_planned(obj: CostLine) -> str:
        return money(obj.planned)

    @staticmethod
    def resolve_actual(obj: CostLine) -> str | None:
        return money(obj.actual)


class CostLineIn(Schema):
    category: Literal["labour", "vendor", "licences", "infrastructure", "other"] | None = None
    description: str | None = None
    planned: Decimal | None = None
    actual: Decimal | None = None
    date: Day | None = None
    version: int | None = None


@router.get("/projects/{slug}/cost-lines", response={200: list[CostLineOut], **LIST_ERRORS})
def cost_line_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[Paging]):
    project = project_out(request, slug)
    rows = CostLine.objects.filter(project=project).order_by("date", "pk")
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.post("/projects/{slug}/cost-lines", response={201: CostLineOut, **WRITE_ERRORS})
def cost_line_create(request: HttpRequest, response: HttpResponse, slug: str, payload: CostLineIn):
    """A planned cost; its actual amount once spent (dated today or earlier)."""
    project = get_project_for_edit(request.user, slug).project
    form = validated(CostLineForm(form_data([], None, body_of(payload)), creating=True))
    row = services.cost_line_create(project=project, by=request.user, **form.cleaned_data)
    return 201, with_etag(response, row)


@router.get("/projects/{slug}/cost-lines/{pk}", response={200: CostLineOut, **READ_ERRORS})
def cost_line_detail(request: HttpRequest, response: HttpResponse, slug: str, pk: int):
    project = project_out(request, slug)
    return with_etag(response, get_object_or_404(CostLine, pk=pk, project=project))


@router.patch("/projects/{slug}/cost-lines/{pk}", response={200: CostLineOut, **WRITE_ERRORS})
def cost_line_update(
    request: HttpRequest, response: HttpResponse, slug: str, pk: int, payload: CostLineIn
):
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(CostLine, pk=pk, project=project)
    version = expected_version(request, payload.version)
    form = patched(CostLineForm, row, body_of(payload), version)
    row = services.cost_line_update(
        cost_line_id=row.pk,
        expected_version=version,
        by=request.user,
        changes=cleaned_changes(form),
    )
    return with_etag(response, row)


@router.delete("/projects/{slug}/cost-lines/{pk}", response={204: None, **WRITE_ERRORS})
def cost_line_delete(request: HttpRequest, slug: str, pk: int):
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(CostLine, pk=pk, project=project)
    services.cost_line_delete(cost_line_id=row.pk, expected_version=expected_version(request))
    return 204, None


# Risks --------------------------------------------------------------------------------------------


class ProjectRiskOut(Schema):
    id: int
    code: str
    title: str
    category: str
    probability: int
    impact: int
    score: int
    owner: int
    mitigation: str
    status: str
    review_date: date
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_owner(obj: ProjectRisk) -> int:
        return obj.owner_id


class ProjectRiskIn(Schema):
    title: str | None = None
    category: Literal["technical", "schedule", "resource", "budget", "vendor"] | None = None
    probability: int | None = None
    impact: int | None = None
    owner: int | None = None
    mitigation: str | None = None
    status: Literal["open", "mitigating", "closed"] | None = None
    review_date: date | None = None
    version: int | None = None


def fresh_risk(pk: int) -> ProjectRisk:
    return ProjectRisk.objects.get(pk=pk)  # the score is computed by the database


@router.get("/projects/{slug}/risks", response={200: list[ProjectRiskOut], **LIST_ERRORS})
def risk_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[Paging]):
    project = project_out(request, slug)
    rows = ProjectRisk.objects.filter(project=project).order_by("-score", "number")
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.post("/projects/{slug}/risks", response={201: ProjectRiskOut, **WRITE_ERRORS})
def risk_create(request: HttpRequest, response: HttpResponse, slug: str, payload: ProjectRiskIn):
    project = get_project_for_edit(request.user, slug).project
    body = {"status": "open", **body_of(payload)}
    form = validated(RiskForm(form_data([], None, body), people=people(), creating=True))
    row = services.risk_create(project=project, by=request.user, **form.cleaned_data)
    return 201, with_etag(response, fresh_risk(row.pk))


@router.get("/projects/{slug}/risks/{pk}", response={200: ProjectRiskOut, **READ_ERRORS})
def risk_detail(request: HttpRequest, response: HttpResponse, slug: str, pk: int):
    project = project_out(request, slug)
    return with_etag(response, get_object_or_404(ProjectRisk, pk=pk, project=project))


@router.patch("/projects/{slug}/risks/{pk}", response={200: ProjectRiskOut, **WRITE_ERRORS})
def risk_update(
    request: HttpRequest, response: HttpResponse, slug: str, pk: int, payload: ProjectRiskIn
):
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(ProjectRisk, pk=pk, project=project)
    version = expected_version(request, payload.version)
    form = patched(RiskForm, row, body_of(payload), version, people=people())
    services.risk_update(
        risk_id=row.pk, expected_version=version, by=request.user, changes=cleaned_changes(form)
    )
    return with_etag(response, fresh_risk(row.pk))


@router.delete("/projects/{slug}/risks/{pk}", response={204: None, **WRITE_ERRORS})
def risk_delete(request: HttpRequest, slug: str, pk: int):
    project = get_project_for_edit(request.user, slug).project
    row = get_object_or_404(ProjectRisk, pk=pk, project=project)
    services.risk_delete(risk_id=row.pk, expected_version=expected_version(request))
    return 204, None


# Change requests, options, decisions ----------------------------------------------------------------


class OptionItemOut(Schema):
    item: int
    effect: str
    horizon: str
    adds: str

    @staticmethod
    def resolve_item(obj) -> int:
        return obj.item_id


class OptionOut(Schema):
    id: int
    label: str
    title: str
    description: str
    scope_impact: str
    adds: str
    descopes: list[int]
    items: list[OptionItemOut]
    deadline_days: int
    budget_amount: str
    version: int

    @staticmethod
    def resolve_descopes(obj: ChangeOption) -> list[int]:
        return sorted(d.pk for d in obj.descopes.all())

    @staticmethod
    def resolve_items(obj: ChangeOption) -> list:
        return list(obj.item_effects.all())

    @staticmethod
    def resolve_budget_amount(obj: ChangeOption) -> str:
        return money(obj.budget_amount)


class ChangeDecisionOut(Schema):
    outcome: str
    option: int | None
    rationale: str
    decided_by: int
    decided_at: datetime

    @staticmethod
    def resolve_option(obj) -> int | None:
        return obj.option_id

    @staticmethod
    def resolve_decided_by(obj) -> int:
        return obj.decided_by_id


class ChangeRequestOut(Schema):
    number: int
    code: str
    project: str
    title: str
    description: str
    why: str
    value: str
    roadmap_item: int | None
    kpi: int | None
    requested_by: int
    requested_at: datetime
    status: str
    options: list[OptionOut]
    decision: ChangeDecisionOut | None

    @staticmethod
    def resolve_project(obj: ChangeRequest) -> str:
        return obj.project.slug

    @staticmethod
    def resolve_roadmap_item(obj: ChangeRequest) -> int | None:
        return obj.roadmap_item_id

    @staticmethod
    def resolve_kpi(obj: ChangeRequest) -> int | None:
        return obj.kpi_id

    @staticmethod
    def resolve_requested_by(obj: ChangeRequest) -> int:
        return obj.requested_by_id

    @staticmethod
    def resolve_options(obj: ChangeRequest) -> list:
        return list(obj.options.all())

    @staticmethod
    def resolve_decision(obj: ChangeRequest):
        return getattr(obj, "decision", None)


class ChangeRequestIn(Schema):
    title: str
    description: str
    why: str
    value: str = ""
    roadmap_item: int | None = None
    kpi: int | None = None


class OptionItemIn(Schema):
    item: int
    effect: Literal["bring_in", "simplify", "descope", "defer"]
    horizon: Literal["", "next", "later"] = ""
    adds: str = ""


class OptionIn(Schema):
    title: str | None = None
    description: str | None = None
    scope_impact: str | None = None
    adds: str | None = None
    descopes: list[int] | None = None
    deadline_days: int | None = None
    budget_amount: Decimal | None = None
    items: list[OptionItemIn] | None = None
    version: int | None = None


class DecisionIn(Schema):
    option: int | None = Field(None, description="The option chosen; null rejects the request.")
    option_version: int | None = Field(None, description="The option's version you decided on.")
    rationale: str


class ChangeFilters(Schema):
    status: Literal["open", "accepted", "rejected", "withdrawn"] | None = None
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


def requests_of(project: Project):
    return (
        ChangeRequest.objects.filter(project=project)
        .prefetch_related("options__descopes", "options__item_effects")
        .select_related("project", "decision")
    )


def change_out(project: Project, number: int) -> ChangeRequest:
    return get_object_or_404(requests_of(project), number=number)


def option_items(project: Project, items: list[OptionItemIn] | None):
    """The roadmap items an option touches, checked by the option form's own rows."""
    if items is None:
        return None
    data = {
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(items):
        data.update({f"items-{n}-{name}": value for name, value in row.model_dump().items()})
    formset = option_item_formset(data, roadmap_items=roadmap_items_of(project))
    if not formset.is_valid():
        errors = [str(e) for e in formset.non_form_errors()]
        for n, form in enumerate(formset.forms):
            errors += [f"{n}.{name}: {m}" for name, msgs in form.errors.items() for m in msgs]
        raise invalid({"items": errors})
    return formset.option_items


@router.get(
    "/projects/{slug}/change-requests", response={200: list[ChangeRequestOut], **LIST_ERRORS}
)
def change_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[ChangeFilters]):
    project = project_out(request, slug)
    rows = requests_of(project).order_by("-number")
    if q.status:
        rows = rows.filter(status=q.status)
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.post("/projects/{slug}/change-requests", response={201: ChangeRequestOut, **WRITE_ERRORS})
def change_create(request: HttpRequest, slug: str, payload: ChangeRequestIn):
    """Raise a change request (the product's owner and the project's people, once the
    project is approved)."""
    access = get_project(request.user, slug)
    access.require(
        access.can_request_change,
        "The product's owner and the project's people raise change requests, once the project "
        "is approved.",
    )
    kwargs = product_choices(access.project)
    form = validated(ChangeRequestForm(form_data([], None, payload.model_dump()), **kwargs))
    change = services.change_request_create(
        project_id=access.project.pk, by=request.user, **form.cleaned_data
    )
    return 201, change_out(access.project, change.number)


@router.get(
    "/projects/{slug}/change-requests/{number}", response={200: ChangeRequestOut, **READ_ERRORS}
)
def change_detail(request: HttpRequest, slug: str, number: int):
    return change_out(project_out(request, slug), number)


@router.post(
    "/projects/{slug}/change-requests/{number}/withdraw",
    response={200: ChangeRequestOut, **WRITE_ERRORS},
)
def change_withdraw(request: HttpRequest, slug: str, number: int):
    access, change = get_change_request(request.user, slug, number)
    access.require(access.can_decide, "Only the owner of the project's product withdraws requests.")
    services.change_request_withdraw(request_id=change.pk, by=request.user)
    return change_out(access.project, number)


@router.post(
    "/projects/{slug}/change-requests/{number}/decision",
    response={200: ChangeRequestOut, **WRITE_ERRORS},
)
def change_decide(request: HttpRequest, slug: str, number: int, payload: DecisionIn):
    """Decide: accept an option (the project, its baseline and the roadmap move together) or
    reject the request. Only the owner of the project's product decides."""
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_decide, "Only the owner of the project's product decides change requests."
    )
    options = list(change.options.order_by("label"))
    choice = REJECT if payload.option is None else str(payload.option)
    form = validated(
        DecisionForm({"choice": choice, "rationale": payload.rationale}, options=options)
    )
    option = form.chosen_option
    services.change_request_decide(
        request_id=change.pk,
        by=request.user,
        rationale=form.cleaned_data["rationale"],
        option_id=option.pk if option else None,
        option_version=payload.option_version if option else None,
    )
    return change_out(access.project, number)


@router.post(
    "/projects/{slug}/change-requests/{number}/options",
    response={201: OptionOut, **WRITE_ERRORS},
)
def option_create(request: HttpRequest, slug: str, number: int, payload: OptionIn):
    """An option of the project manager (the project's people answer with options)."""
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors add options."
    )
    body = {"deadline_days": 0, "budget_amount": 0, **body_of(payload)}
    items = option_items(access.project, payload.items)
    body.pop("items", None)
    form = validated(
        ChangeOptionForm(
            form_data([], None, body), deliverables=in_scope(access.project), creating=True
        )
    )
    option = services.change_option_create(
        request_id=change.pk, by=request.user, items=items or (), **form.cleaned_data
    )
    return 201, ChangeOption.objects.get(pk=option.pk)


@router.patch(
    "/projects/{slug}/change-requests/{number}/options/{pk}",
    response={200: OptionOut, **WRITE_ERRORS},
)
def option_update(request: HttpRequest, slug: str, number: int, pk: int, payload: OptionIn):
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors change options."
    )
    option = get_object_or_404(ChangeOption, pk=pk, request=change)
    version = expected_version(request, payload.version)
    items = option_items(access.project, payload.items)
    body = body_of(payload)
    body.pop("items", None)
    form = patched(ChangeOptionForm, option, body, version, deliverables=in_scope(access.project))
    changes = cleaned_changes(form)
    descopes = changes.pop("descopes")
    services.change_option_update(
        option_id=option.pk,
        expected_version=version,
        by=request.user,
        changes=changes,
        descopes=descopes,
        items=items,
    )
    return ChangeOption.objects.get(pk=option.pk)


@router.delete(
    "/projects/{slug}/change-requests/{number}/options/{pk}",
    response={204: None, **WRITE_ERRORS},
)
def option_delete(request: HttpRequest, slug: str, number: int, pk: int):
    access, change = get_change_request(request.user, slug, number)
    access.require(
        access.can_edit, "Only the project manager and the project's editors change options."
    )
    option = get_object_or_404(ChangeOption, pk=pk, request=change)
    services.change_option_delete(option_id=option.pk, expected_version=expected_version(request))
    return 204, None


# Baselines (read) ---------------------------------------------------------------------------------


class BaselineItemOut(Schema):
    deliverable: int
    title: str
    moscow: str
    estimate_days: str | None
    due_date: date | None

    @staticmethod
    def resolve_deliverable(obj) -> int:
        return obj.deliverable_ref

    @staticmethod
    def resolve_estimate_days(obj) -> str | None:
        return None if obj.estimate_days is None else f"{obj.estimate_days:.1f}"


class BaselineOut(Schema):
    number: int
    kind: str
    is_current: bool
    change_request: int | None
    start_date: date
    deadline: date
    budget: str
    currency: str
    created_by: int
    created_at: datetime
    items: list[BaselineItemOut]

    @staticmethod
    def resolve_change_request(obj: Baseline) -> int | None:
        return obj.decision.request.number if obj.decision_id else None

    @staticmethod
    def resolve_budget(obj: Baseline) -> str:
        return money(obj.budget)

    @staticmethod
    def resolve_created_by(obj: Baseline) -> int:
        return obj.created_by_id

    @staticmethod
    def resolve_items(obj: Baseline) -> list:
        return list(obj.items.all())


def baselines_of(project: Project):
    return (
        Baseline.objects.filter(project=project)
        .select_related("decision__request")
        .prefetch_related("items")
        .order_by("number")
    )


@router.get("/projects/{slug}/baselines", response={200: list[BaselineOut], **LIST_ERRORS})
def baseline_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[Paging]):
    """What was committed: at approval, then after each accepted change request."""
    rows = baselines_of(project_out(request, slug))
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.get("/projects/{slug}/baselines/{number}", response={200: BaselineOut, **READ_ERRORS})
def baseline_detail(request: HttpRequest, slug: str, number: int):
    return get_object_or_404(baselines_of(project_out(request, slug)), number=number)
