"""The roadmap page (board and table), a column's "Show more", and the answers that put the
board's columns, a card, a row or the table back after a change (used by items.py).

Small pages by design: the board shows each column's first cards with a control to load more,
the table a page of rows; a card or row carries no editor, only the control that asks for one
(products/views/items.py). So the page and every answer stay small whatever the roadmap's size.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Page
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import reswap, retarget

from products import access
from products.cards import render_cards, render_rows
from products.extensions import attach_deliveries, knows_deliveries
from products.forms import RoadmapFilterForm, RoadmapItemCreateForm
from products.models import Horizon, Kpi, Product, RoadmapItem
from products.roadmap import (
    COLUMN_SIZE,
    Column,
    board_columns,
    column_slice,
    default_sort,
    items_url,
    neighbours,
    page_query,
    roadmap_state,
    sort_links,
    table_page,
)
from roleplan.http import HttpRequest


def state_for(request: HttpRequest, product: Product) -> tuple[dict, list[Kpi]]:
    """The roadmap's state from the request's query string, and the product's KPIs (which name
    the KPI filter's choices)."""
    kpis = list(product.kpis.all())
    return roadmap_state(request.GET, kpis, sort=default_sort(product)), kpis


def page_context(product: Product, state: dict, **more: object) -> dict:
    """What every roadmap template reads: the product, the state, the address the items'
    URLs start with, and the horizons (a card's Move… menu)."""
    delivery_known = knows_deliveries()
    return {
        "product": product,
        "state": state,
        "items_url": items_url(product),
        "horizons": list(Horizon),
        "delivery_known": delivery_known,
        # The table's columns: item, score(s), status, horizon, KPI, delivery, inputs.
        "table_width": 4
        + delivery_known
        + (5 if product.uses_rice else 0)
        + (4 if product.uses_ice else 0),
        **more,
    }


def add_form(key: str, form: RoadmapItemCreateForm | None = None) -> RoadmapItemCreateForm:
    """A column's (or the table's) add form: blank, or the one submitted with its errors."""
    if form is not None:
        return form
    horizon = Horizon.NEXT if key == "table" else key
    return RoadmapItemCreateForm(initial={"horizon": horizon}, prefix=f"add-{key}")


def more_links(product: Product, state: dict, column: Column) -> dict:
    """The "Show more" control of a column: the board with more of it (no JavaScript), and the
    column's next cards (htmx)."""
    horizon = column.horizon.value
    kept = {k: state[k] for k in ("status", "kpi") if state[k]}
    # Other columns keep the cards they show; this one shows COLUMN_SIZE more.
    shown = {f"show_{h}": state[f"show_{h}"] for h in Horizon.values if state[f"show_{h}"]}
    shown[f"show_{horizon}"] = column.end + COLUMN_SIZE
    url = reverse("products:roadmap_column", args=[product.slug, horizon])
    return {
        "href": "?" + urlencode({**kept, **shown}),
        "hx": f"{url}?{urlencode({**kept, 'offset': column.end})}",
    }


def roadmap_context(
    request: HttpRequest,
    product: Product,
    *,
    state: dict | None = None,
    kpis: list[Kpi] | None = None,
    add_forms: dict | None = None,
    **extra: object,
) -> dict:
    """Everything the roadmap page draws: four queries after the product's own (its KPIs, and
    the counts and cards of the board, or the count and rows of the table's page)."""
    if state is None:
        state, kpis = state_for(request, product)
    add_forms = add_forms or {}
    filters = RoadmapFilterForm(
        {"status": state["status"], "kpi": state["kpi"] or ""}, kpis=kpis or []
    )
    context = page_context(product, state, filters=filters, **extra)
    if state["view"] == "table":
        context.update(
            table_context(state, table_page(product, state)),
            table_add_form=add_form("table", add_forms.get("table")),
        )
        render_rows(context, context["items"])
    else:
        columns = board_columns(product, state)
        for column in columns:
            column.add_form = add_form(column.horizon.value, add_forms.get(column.horizon.value))
            column.more_links = more_links(product, state, column)
        render_cards(context, (item for column in columns for item in column.items))
        context["columns"] = columns
    return context


def table_context(state: dict, page: Page) -> dict:
    """The table's rows, sort links and pager."""
    return {
        "page": page,
        "items": page.object_list,
        "sorts": sort_links(state),
        "previous_query": page_query(state, page.number - 1) if page.has_previous() else "",
        "next_query": page_query(state, page.number + 1) if page.has_next() else "",
    }


def render_roadmap(
    request: HttpRequest, product: Product, status: int = 200, **extra: object
) -> HttpResponse:
    """The roadmap page, or (htmx) its #roadmap region in place of the one on the page."""
    template = "products/roadmap.html#roadmap" if request.htmx else "products/roadmap.html"
    response = render(request, template, roadmap_context(request, product, **extra), status=status)
    if request.htmx:
        # An item's own controls target its card or row; this answer is the whole region.
        response = reswap(retarget(response, "#roadmap"), "outerHTML")
    return response


@require_GET
def roadmap(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_view(request.user, slug)
    return render_roadmap(request, product)


@require_GET
def roadmap_column(request: HttpRequest, slug: str, horizon: str) -> HttpResponse:
    """A column's next cards after `offset` ("Show more"), appended to the column, with the
    control for the ones after them. Without htmx, the board showing that many more."""
    if horizon not in Horizon.values:
        raise Http404("No such horizon.")
    product = access.get_product_for_view(request.user, slug)
    state, _ = state_for(request, product)
    offset = request.GET.get("offset", "")
    # Nine digits at most: past every column, and within PostgreSQL's bigint OFFSET.
    offset = int(offset) if offset.isdigit() and len(offset) < 10 else 0
    if not request.htmx:
        kept = {k: state[k] for k in ("status", "kpi") if state[k]}
        shown = {f"show_{horizon}": offset + COLUMN_SIZE}
        url = reverse("products:roadmap", args=[slug])
        return redirect(f"{url}?{urlencode({**kept, **shown})}#column-{horizon}")
    column = column_slice(product, state, horizon, offset)
    column.more_links = more_links(product, state, column)
    context = page_context(product, state, column=column)
    render_cards(context, column.items)
    return render(request, "products/roadmap.html#column-more", context)


def back_to_roadmap(request: HttpRequest, product: Product) -> HttpResponseRedirect:
    query = request.GET.urlencode()
    return redirect(
        reverse("products:roadmap", args=[product.slug]) + (f"?{query}" if query else "")
    )


def announcement(request: HttpRequest, text: str) -> str:
    """The region's status line, replaced out of band: read out by screen readers."""
    if not text:
        return ""
    return render_to_string(
        "products/roadmap.html#announce", {"announce": text, "oob": True}, request
    )


def columns_answer(
    request: HttpRequest,
    product: Product,
    state: dict,
    horizons: list[str],
    announce: str = "",
) -> HttpResponse:
    """The board's columns `horizons`, each with its first cards: the first replaces its column
    as the swap's target, the others replace theirs out of band."""
    context = page_context(product, state)
    parts = [announcement(request, announce)]
    columns = board_columns(product, state, horizons)
    render_cards(context, (item for column in columns for item in column.items))
    for column in columns:
        column.add_form = add_form(column.horizon.value)
        column.more_links = more_links(product, state, column)
        oob = column.horizon.value != horizons[0]
        parts.append(
            render_to_string(
                "products/roadmap.html#board-column",
                {**context, "column": column, "oob": oob},
                request,
            )
        )
    response = HttpResponse("".join(parts))
    return reswap(retarget(response, f"#column-{horizons[0]}"), "outerHTML")


def card_answer(
    request: HttpRequest, product: Product, state: dict, item: RoadmapItem, announce: str = ""
) -> HttpResponse:
    """The item's card in place of the one (or the editor) on the board. Its Move… menu
    offers Up and Down where the column as filtered has an item above and below: one query."""
    above, below = neighbours(product, state, item)
    item.is_first, item.is_last = above is None, below is None
    context = page_context(product, state)
    render_cards(context, [item])
    html = announcement(request, announce) + item.card
    return reswap(retarget(HttpResponse(html), f"#item-{item.pk}"), "outerHTML")


def row_answer(
    request: HttpRequest, product: Product, state: dict, item: RoadmapItem
) -> HttpResponse:
    """The item's row of the table in place of its editor."""
    attach_deliveries([item])
    context = page_context(product, state, item=item)
    response = render(request, "products/roadmap.html#table-row", context)
    return reswap(retarget(response, f"#item-{item.pk}"), "outerHTML")


def table_answer(
    request: HttpRequest, product: Product, state: dict, announce: str = ""
) -> HttpResponse:
    """The table's page again, after a change that may have moved rows: the item is where the
    order now puts it (or on another page, or gone from a filtered table)."""
    page = table_page(product, state)
    context = page_context(product, state, **table_context(state, page))
    render_rows(context, context["items"])
    html = announcement(request, announce) + render_to_string(
        "products/roadmap.html#roadmap-table", context, request
    )
    return reswap(retarget(HttpResponse(html), "#roadmap-table"), "outerHTML")
