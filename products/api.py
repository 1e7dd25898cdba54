"""The product side of the JSON API (/api/v1/, mounted by roleplan.integrations): products, KPIs
and measurements, roadmap items (create, update, move, scores), hypotheses, product risks.

Another door to the same rules as the pages: every operation goes through products.access,
validates with products.forms and writes with products.services; roleplan/rest.py says the
conventions (ETags, If-Match, pages, problems).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from django.db import transaction
from django.db.models.functions import Lower
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from products import access, services
from products.forms import (
    HypothesisForm,
    HypothesisStatusForm,
    KpiForm,
    MeasurementForm,
    MoveForm,
    ProductCreateForm,
    ProductForm,
    RiskForm,
    RoadmapItemForm,
)
from products.models import (
    Hypothesis,
    Kpi,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapItem,
)
from roleplan.http import HttpRequest
from roleplan.rest import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    expected_version,
    form_data,
    ordered,
    page_of,
    patched,
    since,
    validated,
    with_etag,
)
from roleplan.versioning import lock_for_edit

# A field named `date` would hide the type in its class: the type under another name.
Day = date

router = Router(tags=["Products"])

Stage = Literal["ideation", "development", "launch", "growth", "maturity", "sunset"]
ItemStatus = Literal["idea", "planned", "in_progress", "shipped", "dropped"]
Horizon = Literal["now", "next", "later"]
Impact = Literal["3.00", "2.00", "1.00", "0.50", "0.25"]


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{Decimal(value).normalize():f}"


class Person(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.get_full_name() or obj.username


# Products -----------------------------------------------------------------------------------------


class ProductOut(Schema):
    slug: str
    name: str
    kind: str
    stage: str
    scoring: str
    launch_date: date | None
    positioning: str
    vision: str
    strategy: str
    target_audience: str
    needs: str
    owner: Person
    version: int
    created_at: datetime
    updated_at: datetime


class ProductFilters(Schema):
    stage: Stage | None = None
    updated_since: datetime | None = None
    ordering: Literal["name", "-name", "updated_at", "-updated_at"] | None = None
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


class ProductCreate(Schema):
    name: str
    slug: str = ""
    owner: int = Field(description="The product manager: a person's id.")
    kind: Literal["solution", "customer_app", "component", "category"] = "customer_app"
    stage: Stage = "ideation"
    positioning: str = ""
    vision: str = ""
    strategy: str = ""
    target_audience: str = ""
    needs: str = ""


class ProductPatch(Schema):
    kind: Literal["solution", "customer_app", "component", "category"] | None = None
    stage: Stage | None = None
    scoring: Literal["rice", "ice", "both"] | None = None
    launch_date: date | None = None
    positioning: str | None = None
    vision: str | None = None
    strategy: str | None = None
    target_audience: str | None = None
    needs: str | None = None
    version: int | None = None


def body_of(payload: Schema) -> dict:
    data = payload.model_dump(exclude_unset=True)
    data.pop("version", None)
    return data


@router.get("/products", response={200: list[ProductOut], **LIST_ERRORS})
def product_list(request: HttpRequest, response: HttpResponse, q: Query[ProductFilters]):
    """Every product (products are visible to everyone signed in)."""
    products = Product.objects.for_page(request.user).order_by(Lower("asset__name"), "pk")
    if q.stage:
        products = products.filter(stage=q.stage)
    products = ordered(
        since(products, q.updated_since),
        q.ordering,
        {"name": "asset__name", "updated_at": "updated_at"},
    )
    return page_of(request, response, products, page=q.page, per_page=q.per_page)


@router.post("/products", response={201: ProductOut, **WRITE_ERRORS})
def product_create(request: HttpRequest, response: HttpResponse, payload: ProductCreate):
    """Register a product (the planner permission, as on the page)."""
    access.check_can_plan(request.user)
    form = validated(ProductCreateForm(form_data([], None, payload.model_dump())))
    product = services.product_create(by=request.user, **form.service_kwargs())
    return 201, with_etag(response, access.get_product_for_view(request.user, product.slug))


@router.get("/products/{slug}", response={200: ProductOut, **READ_ERRORS})
def product_detail(request: HttpRequest, response: HttpResponse, slug: str):
    return with_etag(response, access.get_product_for_view(request.user, slug))


@router.patch("/products/{slug}", response={200: ProductOut, **WRITE_ERRORS})
def product_update(request: HttpRequest, response: HttpResponse, slug: str, payload: ProductPatch):
    product = access.get_product_for_edit(request.user, slug)
    version = expected_version(request, payload.version)
    form = patched(ProductForm, product, body_of(payload), version, instance=product)
    services.product_update(
        product_id=product.pk, version=version, by=request.user, data=form.changes()
    )
    return with_etag(response, access.get_product_for_view(request.user, slug))


# KPIs and measurements ----------------------------------------------------------------------------


class KpiOut(Schema):
    id: int
    name: str
    unit: str
    direction: str
    baseline: str | None
    target_kind: str
    target_value: str
    target: str | None
    due_date: date | None
    due_months: int | None
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_baseline(obj: Kpi) -> str | None:
        return decimal_text(obj.baseline)

    @staticmethod
    def resolve_target_value(obj: Kpi) -> str:
        return decimal_text(obj.target_value)

    @staticmethod
    def resolve_target(obj: Kpi) -> str | None:
        return decimal_text(obj.target)


class KpiIn(Schema):
    name: str | None = None
    unit: str | None = None
    direction: Literal["up", "down"] | None = None
    baseline: Decimal | None = None
    target_kind: Literal["absolute", "points", "percent"] | None = None
    target_value: Decimal | None = None
    due_date: date | None = None
    due_months: int | None = None
    version: int | None = None


class MeasurementOut(Schema):
    id: int
    date: Day
    value: str
    note: str

    @staticmethod
    def resolve_value(obj: KpiMeasurement) -> str:
        return decimal_text(obj.value)


class MeasurementIn(Schema):
    date: Day
    value: Decimal
    note: str = ""


class Paging(Schema):
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


def kpi_for_view(request: HttpRequest, slug: str, kpi_id: int) -> tuple[Product, Kpi]:
    product = access.get_product_for_view(request.user, slug)
    return product, get_object_or_404(Kpi, pk=kpi_id, product=product)


@router.get("/products/{slug}/kpis", response={200: list[KpiOut], **LIST_ERRORS})
def kpi_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[Paging]):
    product = access.get_product_for_view(request.user, slug)
    kpis = Kpi.objects.filter(product=product).order_by("name", "pk")
    return page_of(request, response, kpis, page=q.page, per_page=q.per_page)


@router.post("/products/{slug}/kpis", response={201: KpiOut, **WRITE_ERRORS})
def kpi_create(request: HttpRequest, response: HttpResponse, slug: str, payload: KpiIn):
    product = access.get_product_for_edit(request.user, slug)
    form = validated(KpiForm(form_data([], None, body_of(payload)), product=product))
    kpi = services.kpi_create(product=product, by=request.user, **form.changes())
    kpi.refresh_from_db()
    return 201, with_etag(response, kpi)


@router.get("/products/{slug}/kpis/{kpi_id}", response={200: KpiOut, **READ_ERRORS})
def kpi_detail(request: HttpRequest, response: HttpResponse, slug: str, kpi_id: int):
    return with_etag(response, kpi_for_view(request, slug, kpi_id)[1])


@router.patch("/products/{slug}/kpis/{kpi_id}", response={200: KpiOut, **WRITE_ERRORS})
def kpi_update(
    request: HttpRequest, response: HttpResponse, slug: str, kpi_id: int, payload: KpiIn
):
    product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    version = expected_version(request, payload.version)
    form = patched(KpiForm, kpi, body_of(payload), version, instance=kpi, product=product)
    kpi = services.kpi_update(kpi_id=kpi.pk, version=version, by=request.user, data=form.changes())
    return with_etag(response, kpi)


@router.delete("/products/{slug}/kpis/{kpi_id}", response={204: None, **WRITE_ERRORS})
def kpi_delete(request: HttpRequest, slug: str, kpi_id: int):
    """Delete a KPI with its measurements."""
    _product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    version = expected_version(request)
    with transaction.atomic():
        services.kpi_delete(kpi=lock_for_edit(Kpi, kpi.pk, version))
    return 204, None


@router.get(
    "/products/{slug}/kpis/{kpi_id}/measurements",
    response={200: list[MeasurementOut], **LIST_ERRORS},
)
def measurement_list(
    request: HttpRequest, response: HttpResponse, slug: str, kpi_id: int, q: Query[Paging]
):
    _product, kpi = kpi_for_view(request, slug, kpi_id)
    rows = KpiMeasurement.objects.filter(kpi=kpi).order_by("date", "pk")
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.post(
    "/products/{slug}/kpis/{kpi_id}/measurements",
    response={201: MeasurementOut, **WRITE_ERRORS},
)
def measurement_record(request: HttpRequest, slug: str, kpi_id: int, payload: MeasurementIn):
    """Record the KPI's value on a day (a day recorded again is replaced)."""
    _product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    form = validated(MeasurementForm(form_data([], None, payload.model_dump())))
    return 201, services.measurement_record(kpi=kpi, by=request.user, **form.cleaned_data)


@router.delete(
    "/products/{slug}/measurements/{measurement_id}", response={204: None, **WRITE_ERRORS}
)
def measurement_delete(request: HttpRequest, slug: str, measurement_id: int):
    _product, measurement = access.get_measurement_for_edit(request.user, slug, measurement_id)
    services.measurement_delete(measurement=measurement)
    return 204, None


# Roadmap items ------------------------------------------------------------------------------------


class ItemOut(Schema):
    id: int
    product: str
    title: str
    status: str
    horizon: str
    rank: int
    kpi: int | None
    problem: str
    audience: str
    requirements: str
    success_metric: str
    reach: int | None
    impact: str
    confidence: int
    effort: str
    ice_impact: int | None
    ice_confidence: int | None
    ice_ease: int | None
    rice_score: float | None
    ice_score: int | None
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_product(obj: RoadmapItem) -> str:
        return obj.product.asset.slug

    @staticmethod
    def resolve_kpi(obj: RoadmapItem) -> int | None:
        return obj.kpi_id

    @staticmethod
    def resolve_impact(obj: RoadmapItem) -> str:
        return f"{Decimal(obj.impact):.2f}"

    @staticmethod
    def resolve_effort(obj: RoadmapItem) -> str:
        return decimal_text(obj.effort)


class ItemFilters(Schema):
    status: ItemStatus | None = None
    horizon: Horizon | None = None
    updated_since: datetime | None = None
    ordering: (
        Literal[
            "rank",
            "-rank",
            "rice_score",
            "-rice_score",
            "ice_score",
            "-ice_score",
            "updated_at",
            "-updated_at",
            "title",
            "-title",
        ]
        | None
    ) = None
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


class ItemIn(Schema):
    title: str | None = None
    status: ItemStatus | None = None
    horizon: Horizon | None = None
    kpi: int | None = None
    problem: str | None = None
    audience: str | None = None
    requirements: str | None = None
    success_metric: str | None = None
    reach: int | None = None
    impact: Impact | None = None
    confidence: Literal[100, 80, 50] | None = None
    effort: Decimal | None = None
    ice_impact: int | None = None
    ice_confidence: int | None = None
    ice_ease: int | None = None
    version: int | None = None


class ItemMove(Schema):
    horizon: Horizon
    position: int = Field(0, ge=0, description="0 is the top; past the end is the end.")
    before_id: int | None = Field(None, description="Put it just above this item.")
    after_id: int | None = Field(None, description="Put it just below this item.")
    version: int | None = None


ITEM_ORDER = {
    "rank": "rank",
    "rice_score": "rice_score",
    "ice_score": "ice_score",
    "updated_at": "updated_at",
    "title": "title",
}


def items_of(product: Product):
    return RoadmapItem.objects.filter(product=product).select_related("product__asset")


def item_for_view(request: HttpRequest, slug: str, item_id: int) -> RoadmapItem:
    product, item = access.get_item_for_view(request.user, slug, item_id)
    item.product = product
    return item


@router.get("/products/{slug}/roadmap-items", response={200: list[ItemOut], **LIST_ERRORS})
def item_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[ItemFilters]):
    """The roadmap, in horizon and rank order unless `ordering` says otherwise; scores as the
    database computes them (RICE, ICE: null until their inputs are given)."""
    product = access.get_product_for_view(request.user, slug)
    items = items_of(product).order_by("horizon", "rank", "pk")
    if q.status:
        items = items.filter(status=q.status)
    if q.horizon:
        items = items.filter(horizon=q.horizon)
    items = ordered(since(items, q.updated_since), q.ordering, ITEM_ORDER)
    return page_of(request, response, items, page=q.page, per_page=q.per_page)


@router.post("/products/{slug}/roadmap-items", response={201: ItemOut, **WRITE_ERRORS})
def item_create(request: HttpRequest, response: HttpResponse, slug: str, payload: ItemIn):
    """A new item, at the end of its horizon."""
    product = access.get_product_for_edit(request.user, slug)
    new = RoadmapItem(product=product)
    form = patched(RoadmapItemForm, new, body_of(payload), 1, instance=new, product=product)
    data = {name: form.cleaned_data[name] for name in form._meta.fields if name in form.fields}
    item = services.roadmap_item_create(product=product, by=request.user, **data)
    return 201, with_etag(response, item_for_view(request, slug, item.pk))


@router.get("/products/{slug}/roadmap-items/{item_id}", response={200: ItemOut, **READ_ERRORS})
def item_detail(request: HttpRequest, response: HttpResponse, slug: str, item_id: int):
    return with_etag(response, item_for_view(request, slug, item_id))


@router.patch("/products/{slug}/roadmap-items/{item_id}", response={200: ItemOut, **WRITE_ERRORS})
def item_update(
    request: HttpRequest, response: HttpResponse, slug: str, item_id: int, payload: ItemIn
):
    """Change fields and score inputs; an item whose horizon changes goes to its end."""
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    version = expected_version(request, payload.version)
    form = patched(RoadmapItemForm, item, body_of(payload), version, instance=item, product=product)
    services.roadmap_item_update(
        item_id=item.pk, version=version, by=request.user, data=form.changes()
    )
    return with_etag(response, item_for_view(request, slug, item_id))


@router.post(
    "/products/{slug}/roadmap-items/{item_id}/move", response={200: ItemOut, **WRITE_ERRORS}
)
def item_move(
    request: HttpRequest, response: HttpResponse, slug: str, item_id: int, payload: ItemMove
):
    """Put the item in a horizon: above `before_id`, below `after_id`, or at `position`."""
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    version = expected_version(request, payload.version)
    fields = {
        "horizon": payload.horizon,
        "position": payload.position,
        "before": payload.before_id,
        "after": payload.after_id,
    }
    validated(MoveForm(form_data([], None, fields)))
    services.roadmap_item_move(
        item_id=item.pk,
        by=request.user,
        horizon=payload.horizon,
        position=payload.position,
        before_id=payload.before_id,
        after_id=payload.after_id,
        version=version,
    )
    return with_etag(response, item_for_view(request, slug, item_id))


@router.delete("/products/{slug}/roadmap-items/{item_id}", response={204: None, **WRITE_ERRORS})
def item_delete(request: HttpRequest, slug: str, item_id: int):
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    version = expected_version(request)
    services.roadmap_item_delete(item=item, version=version)
    return 204, None


# Hypotheses ---------------------------------------------------------------------------------------


class HypothesisOut(Schema):
    id: int
    hypothesis: str
    action: str
    kpi: int | None
    metric: str
    insight: str
    status: str
    items: list[int]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_kpi(obj: Hypothesis) -> int | None:
        return obj.kpi_id

    @staticmethod
    def resolve_items(obj: Hypothesis) -> list[int]:
        return sorted(item.pk for item in obj.items.all())


class HypothesisIn(Schema):
    hypothesis: str | None = None
    action: str | None = None
    kpi: int | None = None
    metric: str | None = None
    insight: str | None = None
    items: list[int] | None = None
    version: int | None = None


class HypothesisStatusIn(Schema):
    status: Literal["proposed", "running", "validated", "invalidated"]
    insight: str = ""
    version: int | None = None


class HypothesisFilters(Schema):
    status: Literal["proposed", "running", "validated", "invalidated"] | None = None
    updated_since: datetime | None = None
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


def hypothesis_fresh(pk: int) -> Hypothesis:
    return Hypothesis.objects.prefetch_related("items").get(pk=pk)


@router.get("/products/{slug}/hypotheses", response={200: list[HypothesisOut], **LIST_ERRORS})
def hypothesis_list(
    request: HttpRequest, response: HttpResponse, slug: str, q: Query[HypothesisFilters]
):
    product = access.get_product_for_view(request.user, slug)
    rows = Hypothesis.objects.filter(product=product).prefetch_related("items")
    if q.status:
        rows = rows.filter(status=q.status)
    rows = since(rows, q.updated_since).order_by("-created_at", "-pk")
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.post("/products/{slug}/hypotheses", response={201: HypothesisOut, **WRITE_ERRORS})
def hypothesis_create(
    request: HttpRequest, response: HttpResponse, slug: str, payload: HypothesisIn
):
    """A new hypothesis, proposed; its status changes through …/status."""
    product = access.get_product_for_edit(request.user, slug)
    kpis = list(product.kpis.all())
    form = validated(
        HypothesisForm(form_data([], None, body_of(payload)), product=product, kpis=kpis)
    )
    hypothesis = services.hypothesis_create(
        product=product, by=request.user, **form.changes_for_create()
    )
    return 201, with_etag(response, hypothesis_fresh(hypothesis.pk))


@router.get(
    "/products/{slug}/hypotheses/{hypothesis_id}", response={200: HypothesisOut, **READ_ERRORS}
)
def hypothesis_detail(request: HttpRequest, response: HttpResponse, slug: str, hypothesis_id: int):
    _product, hypothesis = access.get_hypothesis_for_view(request.user, slug, hypothesis_id)
    return with_etag(response, hypothesis_fresh(hypothesis.pk))


@router.patch(
    "/products/{slug}/hypotheses/{hypothesis_id}", response={200: HypothesisOut, **WRITE_ERRORS}
)
def hypothesis_update(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    hypothesis_id: int,
    payload: HypothesisIn,
):
    product, hypothesis = access.get_hypothesis_for_edit(request.user, slug, hypothesis_id)
    version = expected_version(request, payload.version)
    form = patched(
        HypothesisForm,
        hypothesis,
        body_of(payload),
        version,
        instance=hypothesis,
        product=product,
        kpis=list(product.kpis.all()),
    )
    services.hypothesis_update(
        hypothesis_id=hypothesis.pk, version=version, by=request.user, data=form.changes()
    )
    return with_etag(response, hypothesis_fresh(hypothesis.pk))


@router.post(
    "/products/{slug}/hypotheses/{hypothesis_id}/status",
    response={200: HypothesisOut, **WRITE_ERRORS},
)
def hypothesis_status(
    request: HttpRequest,
    response: HttpResponse,
    slug: str,
    hypothesis_id: int,
    payload: HypothesisStatusIn,
):
    """Change the status; concluding it (validated, invalidated) needs the insight and changes
    the confidence of its roadmap items, as on the page."""
    _product, hypothesis = access.get_hypothesis_for_edit(request.user, slug, hypothesis_id)
    version = expected_version(request, payload.version)
    fields = {"status": payload.status, "insight": payload.insight, "version": version}
    form = validated(HypothesisStatusForm(fields))
    services.hypothesis_set_status(
        hypothesis_id=hypothesis.pk,
        version=version,
        by=request.user,
        status=form.cleaned_data["status"],
        insight=form.cleaned_data["insight"] or None,
    )
    return with_etag(response, hypothesis_fresh(hypothesis.pk))


@router.delete("/products/{slug}/hypotheses/{hypothesis_id}", response={204: None, **WRITE_ERRORS})
def hypothesis_delete(request: HttpRequest, slug: str, hypothesis_id: int):
    _product, hypothesis = access.get_hypothesis_for_edit(request.user, slug, hypothesis_id)
    version = expected_version(request)
    with transaction.atomic():
        services.hypothesis_delete(hypothesis=lock_for_edit(Hypothesis, hypothesis.pk, version))
    return 204, None


# Product risks ------------------------------------------------------------------------------------


class ProductRiskOut(Schema):
    id: int
    title: str
    category: str
    probability: int
    impact: int
    score: int
    mitigation: str
    owner: int | None
    status: str
    review_date: date | None
    version: int
    updated_at: datetime

    @staticmethod
    def resolve_owner(obj: ProductRisk) -> int | None:
        return obj.owner_id


class ProductRiskIn(Schema):
    title: str | None = None
    category: Literal["business", "legal", "reputational"] | None = None
    probability: int | None = None
    impact: int | None = None
    mitigation: str | None = None
    owner: int | None = None
    status: Literal["open", "mitigating", "accepted", "closed"] | None = None
    review_date: date | None = None
    version: int | None = None


@router.get("/products/{slug}/risks", response={200: list[ProductRiskOut], **LIST_ERRORS})
def risk_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[Paging]):
    product = access.get_product_for_view(request.user, slug)
    risks = ProductRisk.objects.filter(product=product).order_by("-score", "title", "pk")
    return page_of(request, response, risks, page=q.page, per_page=q.per_page)


@router.post("/products/{slug}/risks", response={201: ProductRiskOut, **WRITE_ERRORS})
def risk_create(request: HttpRequest, response: HttpResponse, slug: str, payload: ProductRiskIn):
    product = access.get_product_for_edit(request.user, slug)
    form = validated(RiskForm(form_data([], None, body_of(payload))))
    risk = services.risk_create(product=product, by=request.user, **form.changes())
    risk.refresh_from_db()
    return 201, with_etag(response, risk)


@router.get("/products/{slug}/risks/{risk_id}", response={200: ProductRiskOut, **READ_ERRORS})
def risk_detail(request: HttpRequest, response: HttpResponse, slug: str, risk_id: int):
    product = access.get_product_for_view(request.user, slug)
    return with_etag(response, get_object_or_404(ProductRisk, pk=risk_id, product=product))


@router.patch("/products/{slug}/risks/{risk_id}", response={200: ProductRiskOut, **WRITE_ERRORS})
def risk_update(
    request: HttpRequest, response: HttpResponse, slug: str, risk_id: int, payload: ProductRiskIn
):
    _product, risk = access.get_risk_for_edit(request.user, slug, risk_id)
    version = expected_version(request, payload.version)
    form = patched(RiskForm, risk, body_of(payload), version, instance=risk)
    risk = services.risk_update(
        risk_id=risk.pk, version=version, by=request.user, data=form.changes()
    )
    risk.refresh_from_db()
    return with_etag(response, risk)


@router.delete("/products/{slug}/risks/{risk_id}", response={204: None, **WRITE_ERRORS})
def risk_delete(request: HttpRequest, slug: str, risk_id: int):
    _product, risk = access.get_risk_for_edit(request.user, slug, risk_id)
    version = expected_version(request)
    with transaction.atomic():
        services.risk_delete(risk=lock_for_edit(ProductRisk, risk.pk, version))
    return 204, None
