"""Pages of the product side: the list, a product, its KPIs and risks, and the roadmap editor.

Every view checks access with products/access.py, validates with products/forms.py and writes
through one function of products/services.py. htmx requests get the region they swap
("page.html#region"), and a change on the roadmap only what it changed (see the roadmap editor
below); the same URLs work as plain links and form posts, which redirect.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from products import access, services
from products.board import ROW_FIELDS, CardSlots, CardWriter, Face
from products.charts import kpi_chart
from products.forms import (
    INLINE_FIELDS,
    EditorForm,
    KpiForm,
    MeasurementForm,
    MoveForm,
    ProductCreateForm,
    ProductForm,
    RiskForm,
    RoadmapFilterForm,
    RoadmapItemCreateForm,
    RoadmapItemForm,
    item_field_form,
)
from products.models import (
    Horizon,
    Kpi,
    KpiMeasurement,
    Product,
    RoadmapItem,
)
from roleplan.compiled import CompiledQuery
from roleplan.http import HttpRequest

# Products ---------------------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest):
    products = list(Product.objects.for_list(request.user))
    can_create = request.user.is_active
    return render(request, "products/index.html", {"products": products, "can_create": can_create})


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest):
    form = ProductCreateForm(request.POST or None, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        product = services.product_create(by=request.user, **form.service_kwargs())
        messages.success(request, f"{product.name} is registered, owned by {product.owner}.")
        return redirect(product)
    status = 422 if form.is_bound else 200
    return render(request, "products/create.html", {"form": form}, status=status)


def kpi_cards(product: Product) -> list[dict]:
    """Each KPI with its measurements, progress and chart: two queries for all of them."""
    kpis = product.kpis.prefetch_related(
        Prefetch("measurements", queryset=KpiMeasurement.objects.order_by("date", "id"))
    )
    cards = []
    for kpi in kpis:
        measurements = list(kpi.measurements.all())
        latest = measurements[-1] if measurements else None
        cards.append(
            {
                "kpi": kpi,
                "measurements": measurements,
                "latest": latest,
                "progress": kpi.progress(latest.value if latest else None),
                "chart": kpi_chart(
                    baseline=kpi.baseline,
                    target=kpi.target,
                    unit=kpi.unit,
                    due_date=kpi.due_date,
                    measurements=[(m.date, m.value) for m in measurements],
                ),
            }
        )
    return cards


@require_GET
def detail(request: HttpRequest, slug: str):
    product = access.get_product_for_view(request.user, slug)
    return render(request, "products/detail.html", detail_context(request, product))


def detail_context(request: HttpRequest, product: Product, **forms) -> dict:
    """The product page; `forms` are the page's forms that came back with errors."""
    items = list(
        RoadmapItem.objects.filter(product=product, horizon=Horizon.NOW)
        .select_related("kpi")
        .order_by("rank")
    )
    counts = dict.fromkeys(Horizon.values, 0)
    for horizon in RoadmapItem.objects.filter(product=product).values_list("horizon", flat=True):
        counts[horizon] += 1
    context = {
        "product": product,
        "kpi_cards": kpi_cards(product),
        "now_items": items,
        "horizon_counts": [(h, counts[h.value]) for h in Horizon],
        "risks": list(product.risks.select_related("owner")),
        "editors": list(product.editors.order_by("first_name", "username")),
        "can_manage_editors": access.can_manage_editors(request.user, product),
        "editor_form": EditorForm(product=product),
        "measurement_form": MeasurementForm(),
        **forms,
    }
    return context


def conflict_context(exc: services.StaleEdit) -> dict:
    return {"conflict": exc, "changed_by": exc.changed_by}


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str):
    product = access.get_product_for_edit(request.user, slug)
    form = ProductForm(request.POST or None, instance=product, initial={"version": product.version})
    context: dict = {"product": product, "form": form}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.product_update(
                    product_id=product.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except services.StaleEdit as exc:
                context.update(conflict_context(exc))
                form = ProductForm(
                    {**request.POST.dict(), "version": exc.current.version}, instance=product
                )
                context["form"] = form
                status = 409
            else:
                messages.success(request, "Saved.")
                return redirect(product)
    return render(request, "products/edit.html", context, status=status)


@require_POST
def editor_add(request: HttpRequest, slug: str):
    product = access.get_product_for_editors(request.user, slug)
    form = EditorForm(request.POST, product=product)
    if not form.is_valid():
        # The page again, the message next to the select (422: nothing was added).
        context = detail_context(request, product, editor_form=form)
        return render(request, "products/detail.html", context, status=422)
    services.product_add_editor(product=product, user=form.cleaned_data["user"])
    messages.success(request, f"{form.cleaned_data['user']} may now edit {product.name}.")
    return redirect(reverse("products:detail", args=[slug]) + "#editors")


@require_POST
def editor_remove(request: HttpRequest, slug: str, user_id: int):
    product = access.get_product_for_editors(request.user, slug)
    user = get_object_or_404(User, pk=user_id, editable_products=product)
    services.product_remove_editor(product=product, user=user)
    messages.success(request, f"{user} no longer edits {product.name}.")
    return redirect(reverse("products:detail", args=[slug]) + "#editors")


# KPIs -------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest, slug: str):
    product = access.get_product_for_edit(request.user, slug)
    form = KpiForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        services.kpi_create(product=product, by=request.user, **form.changes())
        messages.success(request, f"KPI “{form.cleaned_data['name']}” added.")
        return redirect(reverse("products:detail", args=[slug]) + "#kpis")
    status = 422 if form.is_bound else 200
    return render(
        request, "products/kpi_form.html", {"product": product, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, slug: str, kpi_id: int):
    product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    form = KpiForm(
        request.POST or None, instance=kpi, product=product, initial={"version": kpi.version}
    )
    context: dict = {"product": product, "form": form, "kpi": kpi}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.kpi_update(
                    kpi_id=kpi.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except services.StaleEdit as exc:
                context.update(conflict_context(exc))
                context["form"] = KpiForm(
                    {**request.POST.dict(), "version": exc.current.version},
                    instance=exc.current,
                    product=product,
                )
                status = 409
            else:
                messages.success(request, "KPI saved.")
                return redirect(reverse("products:detail", args=[slug]) + "#kpis")
    return render(request, "products/kpi_form.html", context, status=status)


@require_POST
def kpi_delete(request: HttpRequest, slug: str, kpi_id: int):
    product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    services.kpi_delete(kpi=kpi)
    messages.success(request, f"KPI “{kpi.name}” deleted with its measurements.")
    return redirect(reverse("products:detail", args=[slug]) + "#kpis")


@require_POST
def measurement_add(request: HttpRequest, slug: str, kpi_id: int):
    product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        services.measurement_record(kpi=kpi, by=request.user, **form.cleaned_data)
        messages.success(request, f"Recorded {kpi.name} for {form.cleaned_data['date']:%d %b %Y}.")
        return redirect(reverse("products:detail", args=[slug]) + f"#kpi-{kpi.pk}")
    return render(
        request,
        "products/measurement_form.html",
        {"product": product, "kpi": kpi, "form": form},
        status=422,
    )


@require_POST
def measurement_delete(request: HttpRequest, slug: str, measurement_id: int):
    product, measurement = access.get_measurement_for_edit(request.user, slug, measurement_id)
    services.measurement_delete(measurement=measurement)
    messages.success(request, "Measurement deleted.")
    return redirect(reverse("products:detail", args=[slug]) + f"#kpi-{measurement.kpi_id}")


# Risks ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def risk_create(request: HttpRequest, slug: str):
    product = access.get_product_for_edit(request.user, slug)
    form = RiskForm(request.POST or None, initial={"owner": product.asset.owner_id})
    if request.method == "POST" and form.is_valid():
        services.risk_create(product=product, by=request.user, **form.changes())
        messages.success(request, "Risk added.")
        return redirect(reverse("products:detail", args=[slug]) + "#risks")
    status = 422 if form.is_bound else 200
    return render(
        request, "products/risk_form.html", {"product": product, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
def risk_edit(request: HttpRequest, slug: str, risk_id: int):
    product, risk = access.get_risk_for_edit(request.user, slug, risk_id)
    form = RiskForm(request.POST or None, instance=risk, initial={"version": risk.version})
    context: dict = {"product": product, "form": form, "risk": risk}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.risk_update(
                    risk_id=risk.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except services.StaleEdit as exc:
                context.update(conflict_context(exc))
                context["form"] = RiskForm(
                    {**request.POST.dict(), "version": exc.current.version}, instance=exc.current
                )
                status = 409
            else:
                messages.success(request, "Risk saved.")
                return redirect(reverse("products:detail", args=[slug]) + "#risks")
    return render(request, "products/risk_form.html", context, status=status)


@require_POST
def risk_delete(request: HttpRequest, slug: str, risk_id: int):
    product, risk = access.get_risk_for_edit(request.user, slug, risk_id)
    services.risk_delete(risk=risk)
    messages.success(request, f"Risk “{risk.title}” deleted.")
    return redirect(reverse("products:detail", args=[slug]) + "#risks")


# The roadmap editor -----------------------------------------------------------------------------
#
# The whole roadmap region is ~1.2 MB with 200 items, so a change answers with what it changed
# (issue 7, point 3), chosen by `shown_answer` from the view and filters of the page it came
# from (the query string the page's controls carry):
#
# - board, nothing moved: the item's card (HX-Retarget "#item-<id>", outerHTML);
# - board, the item changed column or left or joined the filtered view: those columns, the
#   first as the swap's target, the others out of band (hx-swap-oob), so every card's neighbours
#   and each column's count are right;
# - table: the item's row where the order now puts it (the old row deleted out of band, the new
#   one inserted after the row that now precedes it), or the row deleted when the filters no
#   longer show it; an emptied table answers with the whole region, which then says so.
#
# Without htmx every action redirects to the roadmap page, as before.


UNSHOWN = [
    "problem",
    "audience",
    "requirements",
    "success_metric",
    "hypothesis",
    "action",
    "data",
    "insight",
    "created_at",
    "updated_at",
]


ROADMAP_DEFAULTS = {"view": "board", "sort": "rice", "status": "", "kpi": None}


def roadmap_state(request: HttpRequest, kpis: list[Kpi]) -> dict:
    """View, order and filters from the query string, and the query string to keep them."""
    if not request.GET:
        return {**ROADMAP_DEFAULTS, "query": ""}  # what the filter form says of no query
    state = RoadmapFilterForm(request.GET, kpis=kpis).values()
    query = urlencode({k: v for k, v in state.items() if v != ROADMAP_DEFAULTS[k]})
    return {**state, "query": f"?{query}" if query else ""}


def shown_items(product_id: int, state: dict, **more) -> QuerySet[RoadmapItem]:
    """The items of a product the roadmap's filters show (and `more` conditions), in one
    filter()."""
    conditions = {"product_id": product_id, **more}
    if state["status"]:
        conditions["status"] = state["status"]
    if state["kpi"]:
        conditions["kpi_id"] = state["kpi"]
    return RoadmapItem.objects.filter(**conditions)


def filtered_items(product: Product, state: dict) -> QuerySet[RoadmapItem]:
    """The items the roadmap shows with these filters. The board and the table show no PRD or
    hypothesis text: leave those columns in the table."""
    return shown_items(product.pk, state).defer(*UNSHOWN)


def in_view(state: dict, status: str, kpi_id: int | None) -> bool:
    """Whether the roadmap's filters show an item with this status and KPI."""
    return (not state["status"] or status == state["status"]) and (
        not state["kpi"] or kpi_id == state["kpi"]
    )


# Form widgets render through the template engine (~1 ms each). These few are the same for
# every request with the same inputs, so their HTML is remembered: a pure function of its key.


@lru_cache(maxsize=16)
def blank_title_input(prefix: str) -> SafeString:
    """The title input of an unbound add form."""
    return SafeString(str(RoadmapItemCreateForm(prefix=prefix)["title"]))


@lru_cache(maxsize=256)
def filter_inputs(kpis: tuple, status: str | None, kpi: str | None) -> dict[str, SafeString]:
    """The status and KPI selects of the filter form, bound to those query values."""
    data = {name: value for name, value in (("status", status), ("kpi", kpi)) if value is not None}
    form = RoadmapFilterForm(data, kpis=[Kpi(pk=pk, name=name) for pk, name in kpis])
    return {"status": SafeString(str(form["status"])), "kpi": SafeString(str(form["kpi"]))}


def board_columns(
    request: HttpRequest,
    product: Product,
    state: dict,
    kpis: list[Kpi],
    horizons: list[str] | None = None,
) -> tuple[list[dict], dict]:
    """The board's columns (all, or those of `horizons`) in one query, and the page's CSRF
    token and card slots. The cards are written in Python (products/board.py) from plain rows,
    with the page's one CSRF token, and put into the page after rendering (CardSlots)."""
    items = filtered_items(product, state)
    if horizons is not None:
        items = items.filter(horizon__in=horizons)
    rows = list(items.for_board().values_list(*ROW_FIELDS))
    faces = Face.columns(rows, {kpi.pk: kpi.name for kpi in kpis})
    csrf_token = get_token(request)
    writer = CardWriter(
        slug=product.slug, query=state["query"], can_edit=product.can_edit, csrf_token=csrf_token
    )
    slots = CardSlots()
    columns = []
    for horizon in Horizon:
        if horizons is None or horizon.value in horizons:
            faces_here = faces[horizon.value]
            columns.append(
                {
                    "horizon": horizon,
                    "items": faces_here,
                    "cards": slots.add(writer.column(faces_here)),
                }
            )
    return columns, {"csrf_token": csrf_token, "card_slots": slots}


def give_add_form(column: dict, form: RoadmapItemCreateForm | None = None) -> None:
    """The column's add form: blank, or the one the user submitted with its errors."""
    if form is None:
        horizon = column["horizon"].value
        form = RoadmapItemCreateForm(initial={"horizon": horizon}, prefix=f"add-{horizon}")
        column["title_input"] = blank_title_input(form.prefix)
    else:
        column["title_input"] = form["title"]
    column["add_form"] = form


def roadmap_context(
    request: HttpRequest, product: Product, *, kpis: list[Kpi] | None = None, **extra
) -> dict:
    """Everything the roadmap page draws, in three queries after the product's own."""
    if kpis is None:
        kpis = list(product.kpis.all())
    state = roadmap_state(request, kpis)
    cards = {}
    if state["view"] != "table":
        columns, cards = board_columns(request, product, state, kpis)
        items = [face for column in columns for face in column["items"]]
    else:
        items = list(filtered_items(product, state).by_score(state["sort"]))
        for item in items:
            item.product = product  # the URLs need the slug; no query per item
        columns = [
            {"horizon": h, "items": [i for i in items if i.horizon == h.value]} for h in Horizon
        ]
    add_forms = extra.pop("add_forms", {})
    for column in columns:
        give_add_form(column, add_forms.get(column["horizon"].value))
    return {
        "product": product,
        "kpis": kpis,
        "state": state,
        "filters": filter_inputs(
            tuple((kpi.pk, kpi.name) for kpi in kpis),
            request.GET.get("status"),
            request.GET.get("kpi"),
        ),
        "items": items,
        "columns": columns,
        "horizons": list(Horizon),
        "filtered": bool(state["status"] or state["kpi"]),
        "table_add_form": add_forms.get("table")
        or RoadmapItemCreateForm(initial={"horizon": Horizon.NEXT}, prefix="add-table"),
        **cards,
        **extra,
    }


def render_roadmap(request: HttpRequest, product: Product, status: int = 200, **extra):
    template = "products/roadmap.html#roadmap" if request.htmx else "products/roadmap.html"
    context = roadmap_context(request, product, **extra)
    html = render_to_string(template, context, request)
    if "card_slots" in context:
        # The board's 1 MB of cards joins the page once, not at every level of the template.
        html = context["card_slots"].fill(html)
    response = HttpResponse(html, status=status)
    if request.htmx:
        # The item's own controls target its card or row; this answer is the whole region.
        response = reswap(retarget(response, "#roadmap"), "outerHTML")
    return response


def announcement(request: HttpRequest, text: str) -> str:
    """The region's status line, replaced out of band: read out by screen readers."""
    if not text:
        return ""
    return render_to_string(
        "products/roadmap.html#announce", {"announce": text, "oob": True}, request
    )


def face_answer(request: HttpRequest, product: Product, state: dict, face: Face):
    """The card of a face, in place of the one on the page: the same bytes as the board's."""
    writer = CardWriter(
        slug=product.slug,
        query=state["query"],
        can_edit=product.can_edit,
        csrf_token=get_token(request),
    )
    response = HttpResponse(writer.face_card(face))
    return reswap(retarget(response, f"#item-{face.pk}"), "outerHTML")


def card_answer(
    request: HttpRequest, product: Product, state: dict, row: tuple, kpi_name: str | None
):
    """The card of the item of a ROW_FIELDS `row`. Its up and down buttons name the items just
    above and below it in its column as shown: one query of ids."""
    pk, horizon = row[0], row[10]
    column = list(
        filtered_items(product, state)
        .filter(horizon=horizon)
        .order_by("rank", "id")
        .values_list("pk", flat=True)
    )
    face = Face.of_row(row, kpi_name, *neighbours(column, column.index(pk)))
    return face_answer(request, product, state, face)


def neighbours(column: list, at: int) -> tuple:
    """The entries just above and below position `at` of a column (None at its ends)."""
    return (column[at - 1] if at else None, column[at + 1] if at + 1 < len(column) else None)


def known_face(product: Product, state: dict, known: RoadmapItem) -> Face | None:
    """The face of an item the caller holds at `known.version`, if its column as shown still
    has it at that version, else None (someone changed it meanwhile). Its rank (moves of other
    items change it) and its scores (the database computes them) come with its neighbours'
    ids, so card_answer's two queries are one, of narrow rows (issue 7, point 3)."""
    column = column_rows(product, state, known.horizon)
    ids = [pk for pk, *_ in column]
    if known.pk not in ids:
        return None
    at = ids.index(known.pk)
    _, version, rank, rice_score, ice_score = column[at]
    if version != known.version:
        return None
    fresh = {"rice_score": rice_score, "ice_score": ice_score, "rank": rank}
    row = [fresh[name] if name in fresh else getattr(known, name) for name in ROW_FIELDS]
    return Face.of_row(row, known.kpi.name if known.kpi_id else None, *neighbours(ids, at))


def column_query(status: bool, kpi: bool) -> CompiledQuery:
    """A column as the filters show it, with or without a status and a KPI filter: shown_items,
    compiled once per connection (building this query took the ORM ~1 ms of CPU, more than
    running it)."""

    def build(product: int, horizon: str, status: str = "", kpi: int | None = None):
        items = shown_items(product, {"status": status, "kpi": kpi}, horizon=horizon)
        return items.order_by("rank", "id").values_list(
            "pk", "version", "rank", "rice_score", "ice_score"
        )

    return CompiledQuery(
        build,
        "product",
        *(["kpi"] if kpi else []),
        text=("horizon", *(["status"] if status else [])),
    )


COLUMN_QUERIES = {
    (status, kpi): column_query(status, kpi) for status in (False, True) for kpi in (False, True)
}


def column_rows(product: Product, state: dict, horizon: str) -> list[tuple]:
    """(pk, version, rank, rice_score, ice_score) of the items of a column as the filters show
    it, in board order."""
    status, kpi = state["status"], state["kpi"]
    params = {"product": product.pk, "horizon": horizon, "status": status, "kpi": kpi}
    query = COLUMN_QUERIES[bool(status), bool(kpi)]
    return query(**{name: params[name] for name in query.params})


def columns_answer(
    request: HttpRequest, product: Product, state: dict, horizons: list[str], announce: str = ""
):
    """The board's columns `horizons`: the first replaces its column as the swap's target, the
    others replace theirs out of band."""
    kpis = list(product.kpis.all())
    columns, cards = board_columns(request, product, state, kpis, horizons)
    parts = [announcement(request, announce)]
    for column in columns:
        give_add_form(column)
        context = {
            "product": product,
            "state": state,
            "column": column,
            "filtered": bool(state["status"] or state["kpi"]),
            "oob": column["horizon"].value != horizons[0],
            **cards,
        }
        parts.append(render_to_string("products/roadmap.html#board-column", context, request))
    response = HttpResponse(cards["card_slots"].fill("".join(parts)))
    return reswap(retarget(response, f"#column-{horizons[0]}"), "outerHTML")


def row_answer(
    request: HttpRequest, product: Product, state: dict, item_id: int, announce: str = ""
):
    """The table's row of the item where the order now puts it, or no row when the filters no
    longer show it: the item's place in the order costs one query of ids."""
    order = list(
        filtered_items(product, state).by_score(state["sort"]).values_list("pk", flat=True)
    )
    if not order:
        return render_roadmap(request, product)  # the empty table says why it is empty
    if item_id not in order:
        response = HttpResponse(announcement(request, announce))
        return reswap(retarget(response, f"#item-{item_id}"), "delete")
    item = RoadmapItem.objects.select_related("kpi").defer(*UNSHOWN).get(pk=item_id)
    item.product = product
    row = render_to_string(
        "products/roadmap.html#table-row",
        {"product": product, "state": state, "item": item},
        request,
    )
    # Out of band first, the old row goes; then the new one goes in after its new predecessor.
    html = f'<tr id="item-{item.pk}" hx-swap-oob="delete"></tr>{row}'
    position = order.index(item.pk)
    if position:
        response = retarget(HttpResponse(html), f"#item-{order[position - 1]}")
        return reswap(response, "afterend")
    return reswap(retarget(HttpResponse(html), "#roadmap-rows"), "afterbegin")


def shown_answer(
    request: HttpRequest,
    product: Product,
    state: dict,
    item_id: int,
    *,
    was_in: str,
    was_shown: bool,
    known: RoadmapItem | None = None,
):
    """What the roadmap shows of an item after a change (or a cancelled edit): see the top of
    this section. `was_in` and `was_shown` are its horizon and whether the filters showed it
    before the change; `known` is the item as the caller holds it after the change, if it
    does."""
    if (
        known is not None
        and was_shown
        and state["view"] != "table"
        and known.horizon == was_in
        and in_view(state, known.status, known.kpi_id)
    ):
        # The most frequent answer, a card that stays where it was, in one query.
        face = known_face(product, state, known)
        if face is not None:
            return face_answer(request, product, state, face)
    *row, kpi_name = RoadmapItem.objects.values_list(*ROW_FIELDS, "kpi__name").get(pk=item_id)
    pk, title, status, kpi_id, horizon = row[0], row[1], row[2], row[3], row[10]
    shown = in_view(state, status, kpi_id)
    hidden = "" if shown else f"“{title}” no longer matches the filters: it is hidden."
    if state["view"] == "table":
        return row_answer(request, product, state, pk, hidden)
    moved = horizon != was_in
    if moved or not (shown and was_shown):
        horizons = [horizon, was_in] if moved else [horizon]
        announce = hidden or (f"“{title}” moved to {Horizon(horizon).label}." if moved else "")
        return columns_answer(request, product, state, horizons, announce)
    return card_answer(request, product, state, tuple(row), kpi_name)


def back_to_roadmap(request: HttpRequest, product: Product) -> HttpResponseRedirect:
    query = request.GET.urlencode()
    return redirect(
        reverse("products:roadmap", args=[product.slug]) + (f"?{query}" if query else "")
    )


@require_GET
def roadmap(request: HttpRequest, slug: str):
    product = access.get_product_for_view(request.user, slug)
    return render_roadmap(request, product)


@require_POST
def item_create(request: HttpRequest, slug: str):
    product = access.get_product_for_edit(request.user, slug)
    prefix = request.POST.get("prefix", "")
    if prefix not in {f"add-{h}" for h in Horizon.values} | {"add-table"}:
        prefix = "add-table"
    form = RoadmapItemCreateForm(request.POST, prefix=prefix)
    if not form.is_valid():
        key = prefix.removeprefix("add-")
        if not request.htmx:
            messages.error(request, "A new item needs a title.")
            return back_to_roadmap(request, product)
        return render_roadmap(request, product, status=422, add_forms={key: form})
    item = services.roadmap_item_create(product=product, by=request.user, **form.cleaned_data)
    if not request.htmx:
        messages.success(request, f"Added “{item.title}”.")
        return back_to_roadmap(request, product)
    response = render_roadmap(request, product, focus=f"item-{item.pk}")
    return trigger_client_event(response, "roadmapItemAdded", {"id": item.pk})


@require_POST
def item_move(request: HttpRequest, slug: str, item_id: int):
    """A move button or a drag: answers with the columns the item left and joined."""
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, "That move was not understood; nothing changed.")
            return back_to_roadmap(request, product)
        return render_roadmap(request, product, status=422)

    def neighbour(name: str) -> int | None:
        value = request.POST.get(name, "")
        return int(value) if value.isdigit() else None

    moved = services.roadmap_item_move(
        item_id=item.pk,
        by=request.user,
        horizon=form.cleaned_data["horizon"],
        position=form.cleaned_data["position"],
        before_id=neighbour("before"),
        after_id=neighbour("after"),
    )
    if not request.htmx:
        return back_to_roadmap(request, product)
    state = roadmap_state(request, list(product.kpis.all()) if request.GET.get("kpi") else [])
    if state["view"] == "table":
        response = render_roadmap(request, product)
    else:
        horizons = (
            [moved.horizon, item.horizon] if moved.horizon != item.horizon else [item.horizon]
        )
        response = columns_answer(
            request,
            product,
            state,
            horizons,
            f"“{item.title}” moved to {moved.get_horizon_display()}.",
        )
    return trigger_client_event(response, "roadmapItemMoved", {"id": item.pk})


@require_GET
def item_card(request: HttpRequest, slug: str, item_id: int):
    """The item as the roadmap shows it now (its card, or its row in the table): what an
    in-place editor's Cancel or Keep theirs puts back. Without htmx, the roadmap page."""
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    if not request.htmx:
        return back_to_roadmap(request, product)
    state = roadmap_state(request, list(product.kpis.all()) if request.GET.get("kpi") else [])
    return shown_answer(
        request,
        product,
        state,
        item.pk,
        was_in=item.horizon,
        was_shown=in_view(state, item.status, item.kpi_id),
        known=item,
    )


@require_http_methods(["GET", "POST"])
def item_field(request: HttpRequest, slug: str, item_id: int, field: str):
    """Edit one field of one item in place: GET gives the small form, POST saves it and answers
    with what changed on the roadmap (`shown_answer`): the score and the order update."""
    if field not in INLINE_FIELDS:
        raise Http404("This field is not edited in place.")
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    if request.method == "GET" and not request.htmx:
        # Without JavaScript the item's own page edits every field.
        return redirect(reverse("products:item", args=[slug, item.pk]) + f"#id_{field}")
    # The KPIs name the choices of the KPI field and check a KPI filter; else no query for them.
    kpis = list(product.kpis.all()) if field == "kpi" or request.GET.get("kpi") else []
    item.product = product
    state = roadmap_state(request, kpis)
    data = request.POST if request.method == "POST" else None
    form = item_field_form(field, product=product, item=item, kpis=kpis, data=data)
    context = {"product": product, "item": item, "field": field, "form": form, "state": state}
    if request.method == "GET":
        return render(request, "products/roadmap.html#field-editor", context)
    status = 422
    if form.is_valid():
        try:
            saved = services.roadmap_item_update(
                item_id=item.pk,
                version=form.cleaned_data["version"],
                by=request.user,
                data=form.changes(),
                read=item,
            )
        except services.StaleEdit as exc:
            current = exc.current
            current.product = product
            context["item"] = current
            context["form"] = item_field_form(
                field,
                product=product,
                item=current,
                kpis=kpis,
                data={**request.POST.dict(), f"item{item.pk}-version": current.version},
            )
            context.update(conflict_context(exc))
            status = 409
        else:
            if not request.htmx:
                messages.success(request, "Saved.")
                return back_to_roadmap(request, product)
            response = shown_answer(
                request,
                product,
                state,
                item.pk,
                was_in=item.horizon,
                was_shown=in_view(state, item.status, item.kpi_id),
                known=saved,
            )
            return trigger_client_event(response, "roadmapItemChanged", {"id": item.pk})
    if not request.htmx:
        return render(request, "products/field.html", context, status=status)
    response = render(request, "products/roadmap.html#field-editor", context, status=status)
    return retarget(response, f"#edit-{item.pk}-{field}")


@require_http_methods(["GET", "POST"])
def item_page(request: HttpRequest, slug: str, item_id: int):
    """One roadmap item: its PRD, hypothesis, scores, the full edit form and its history."""
    product, item = access.get_item_for_view(request.user, slug, item_id)
    if request.method == "POST" and not product.can_edit:
        product, item = access.get_item_for_edit(request.user, slug, item_id)
    kpis = list(product.kpis.all())
    item.product = product
    form = None
    status = 200
    context: dict = {"product": product, "item": item}
    if product.can_edit:
        form = RoadmapItemForm(
            request.POST or None,
            instance=item,
            product=product,
            kpis=kpis,
            initial={"version": item.version},
        )
        if request.method == "POST":
            status = 422
            if form.is_valid():
                try:
                    services.roadmap_item_update(
                        item_id=item.pk,
                        version=form.cleaned_data["version"],
                        by=request.user,
                        data=form.changes(),
                    )
                except services.StaleEdit as exc:
                    exc.current.product = product
                    context.update(conflict_context(exc))
                    form = RoadmapItemForm(
                        {**request.POST.dict(), "version": exc.current.version},
                        instance=exc.current,
                        product=product,
                        kpis=kpis,
                    )
                    status = 409
                else:
                    messages.success(request, "Saved.")
                    return redirect(reverse("products:item", args=[slug, item.pk]))
    context["form"] = form
    context["history"] = list(item.changes.select_related("by"))
    return render(request, "products/item.html", context, status=status)


@require_POST
def item_delete(request: HttpRequest, slug: str, item_id: int):
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    services.roadmap_item_delete(item=item)
    messages.success(request, f"Deleted “{item.title}”.")
    return redirect(reverse("products:roadmap", args=[slug]))
