"""What the roadmap pages show: the view, order, filters and page from the query string, the
board's columns and the table's page, each read in a fixed number of queries.

The board shows the first COLUMN_SIZE cards of each column ("Show more" adds as many), with
each column's count from the database; the table shows PAGE_SIZE rows a page, sorted in SQL
by one of the whitelisted keys. So neither page grows with the roadmap: 200 items or 5,000,
the same queries and about the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, OrderBy, Q, QuerySet, Subquery, Window
from django.db.models.functions import Lower, RowNumber
from django.http import QueryDict
from django.urls import reverse

from products.extensions import attach_deliveries
from products.forms import SORT_KEYS, RoadmapFilterForm
from products.models import Horizon, Kpi, Product, RoadmapItem, Status, in_order

COLUMN_SIZE = 50  # cards a board column shows first, and how many "Show more" adds
PAGE_SIZE = 100  # rows of the table a page

# What the board and the table show of an item (and its KPI's name): the rest (its PRD and
# hypothesis texts, who saved it when) stays in the table.
LISTED = [
    *["product", "title", "status", "horizon", "rank", "version", "kpi__name"],
    *["reach", "impact", "confidence", "effort", "rice_score"],
    *["ice_impact", "ice_confidence", "ice_ease", "ice_score"],
]

# What the query string says when it says nothing.
DEFAULTS = {"view": "board", "sort": "rice", "dir": "desc", "status": "", "kpi": None, "page": 1}
# The part of the state an item's controls carry, so their answers fit the page they came from.
KEPT = ["view", "sort", "dir", "status", "kpi", "page"]


def default_sort(product: Product) -> str:
    """The table's order when the query string names none: the score the product uses."""
    return "rice" if product.uses_rice else "ice"


def roadmap_state(query: QueryDict, kpis: list[Kpi], *, sort: str = "rice") -> dict:
    """View, order, filters, page and cards shown per column, from the query string; `query`
    is the query string that keeps them (without the cards shown: an answer to a control
    shows a column's first cards again). `sort` is the product's default order."""
    defaults = {**DEFAULTS, "sort": sort}
    if not query:
        state = {**defaults, **{f"show_{h.value}": None for h in Horizon}}
    else:
        state = RoadmapFilterForm(query, kpis=kpis, default_sort=sort).values()
    kept = {key: state[key] for key in KEPT if state[key] != defaults[key]}
    if state["view"] != "table":  # the board has no order or pages
        kept = {key: value for key, value in kept.items() if key in {"status", "kpi"}}
    state["query"] = f"?{urlencode(kept)}" if kept else ""
    state["filtered"] = bool(state["status"] or state["kpi"])
    return state


def items_url(product: Product) -> str:
    """The address every item's URLs start with (/products/<slug>/roadmap/items/): a card adds
    its id and action to it, one reverse() a page instead of several a card."""
    return reverse("products:item", args=[product.slug, 0]).removesuffix("0/")


def shown_items(product_id: int, state: dict) -> QuerySet[RoadmapItem]:
    """The items of a product the roadmap's filters show, with what the roadmap shows of them
    and their KPI's name."""
    items = RoadmapItem.objects.filter(product_id=product_id)
    if state["status"]:
        items = items.filter(status=state["status"])
    if state["kpi"]:
        items = items.filter(kpi_id=state["kpi"])
    return items.select_related("kpi").only(*LISTED)


def in_view(state: dict, status: str, kpi_id: int | None) -> bool:
    """Whether the roadmap's filters show an item with this status and KPI."""
    return (not state["status"] or status == state["status"]) and (
        not state["kpi"] or kpi_id == state["kpi"]
    )


# The board ---------------------------------------------------------------------------------


@dataclass
class Column:
    """Cards of one horizon of the board: `items` follow the first `start` cards of the column,
    which has `count` items as filtered."""

    horizon: Horizon
    items: list[RoadmapItem]
    count: int
    start: int = 0

    def __post_init__(self) -> None:
        mark_ends(self.items, first=self.start == 0, last=self.end >= self.count)

    @property
    def end(self) -> int:
        """How many cards of the column are on the page down to these ones."""
        return self.start + len(self.items)

    @property
    def more(self) -> int:
        """How many cards "Show more" adds."""
        return max(0, min(COLUMN_SIZE, self.count - self.end))


def mark_ends(items: list[RoadmapItem], *, first: bool, last: bool) -> None:
    """Tell each card whether it is the top or the bottom of its column as filtered (its Move…
    menu offers no Up or no Down): `first`/`last` say whether the list starts or ends one."""
    for item in items:
        item.is_first = item.is_last = False
    if items:
        items[0].is_first = first
        items[-1].is_last = last


def column_counts(product: Product, state: dict) -> dict[str, int]:
    """The number of items in each horizon as filtered, in one query."""
    counts = shown_items(product.pk, state).aggregate(
        **{h.value: Count("pk", filter=Q(horizon=h)) for h in Horizon}
    )
    return {h.value: counts[h.value] for h in Horizon}


def board_columns(product: Product, state: dict, horizons: list[str] | None = None) -> list[Column]:
    """The board's columns (all, or those of `horizons`), each with its first cards, in two
    queries: the counts, and the first cards of every column at once (a window function numbers
    the cards within their column)."""
    horizons = horizons or Horizon.values
    limits = {h: state.get(f"show_{h}") or COLUMN_SIZE for h in horizons}
    items = (
        shown_items(product.pk, state)
        .filter(horizon__in=horizons)
        .annotate(
            position=Window(RowNumber(), partition_by=[F("horizon")], order_by=[F("rank"), F("id")])
        )
        .filter(position__lte=max(limits.values()))
        .order_by("horizon", "rank", "id")
    )
    by_horizon: dict[str, list[RoadmapItem]] = {h: [] for h in horizons}
    for item in items:
        by_horizon[item.horizon].append(item)
    counts = column_counts(product, state)
    return [
        Column(h, by_horizon[h.value][: limits[h.value]], counts[h.value])
        for h in Horizon
        if h.value in horizons
    ]


def column_slice(product: Product, state: dict, horizon: str, offset: int) -> Column:
    """The cards of one column after its first `offset` ("Show more"), in two queries."""
    items = list(
        shown_items(product.pk, state)
        .filter(horizon=horizon)
        .order_by("rank", "id")[offset : offset + COLUMN_SIZE]
    )
    return Column(Horizon(horizon), items, column_counts(product, state)[horizon], start=offset)


def neighbours(product: Product, state: dict, item: RoadmapItem) -> tuple[int | None, int | None]:
    """The ids of the items just above and below `item` in its column as filtered, in one
    query: where the Move… menu's Up and Down put it, and whether its card offers them."""
    column = shown_items(product.pk, state).filter(horizon=item.horizon).values("pk")
    above = column.filter(rank__lt=item.rank).order_by("-rank", "-id")[:1]
    below = column.filter(rank__gt=item.rank).order_by("rank", "id")[:1]
    row = (
        RoadmapItem.objects.filter(pk=item.pk).values_list(Subquery(above), Subquery(below)).first()
    )
    return row or (None, None)


# The table ---------------------------------------------------------------------------------


# The expression each sort key orders by; ties go by horizon and rank, as on the board.
SORTS = {
    "rice": F("rice_score"),
    "ice": F("ice_score"),
    "title": Lower("title"),
    "status": in_order(Status.values, "status"),
    "horizon": in_order(Horizon.values, "horizon"),
    "kpi": Lower("kpi__name"),
    "reach": F("reach"),
    "impact": F("impact"),
    "confidence": F("confidence"),
    "effort": F("effort"),
    "ice_impact": F("ice_impact"),
    "ice_confidence": F("ice_confidence"),
    "ice_ease": F("ice_ease"),
}
assert set(SORTS) == set(SORT_KEYS)


def ordering(sort: str, direction: str) -> list[OrderBy]:
    primary = SORTS[sort]
    first = primary.desc(nulls_last=True) if direction == "desc" else primary.asc(nulls_last=True)
    return [first, in_order(Horizon.values, "horizon").asc(), F("rank").asc(), F("id").asc()]


def table_page(product: Product, state: dict) -> Page:
    """The table's page of rows in the chosen order, in two queries (the count and the rows),
    each row with its `delivery` (extensions: one more call for the page); a page past the end
    shows the last one."""
    items = shown_items(product.pk, state).order_by(*ordering(state["sort"], state["dir"]))
    page = Paginator(items, PAGE_SIZE).get_page(state["page"])
    page.object_list = list(page.object_list)
    attach_deliveries(page.object_list)
    return page


def sort_links(state: dict) -> dict[str, dict]:
    """Each sortable column's link (its key first in its own direction, or the other way when it
    is the current key) and the aria-sort it carries now."""
    links = {}
    for key, first in SORT_KEYS.items():
        current = key == state["sort"]
        direction = ("asc" if state["dir"] == "desc" else "desc") if current else first
        query = {"view": "table", "sort": key, "dir": direction}
        query.update({k: state[k] for k in ("status", "kpi") if state[k]})
        links[key] = {
            "query": f"?{urlencode(query)}",
            "aria_sort": ("descending" if state["dir"] == "desc" else "ascending")
            if current
            else "",
        }
    return links


def page_query(state: dict, page: int) -> str:
    """The query string of another page of the table, with the same order and filters."""
    query = {"view": "table", "sort": state["sort"], "dir": state["dir"], "page": page}
    query.update({k: state[k] for k in ("status", "kpi") if state[k]})
    return f"?{urlencode(query)}"
