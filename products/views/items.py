"""A roadmap item: added on the roadmap, edited in place (the card's or row's editor, loaded
when asked for) or on its own page, moved (Move… menu or drag), deleted.

A change on the roadmap answers with what it changed, for the view and filters of the page it
came from (the query string the controls carry): on the board the item's card, or the columns
it left and joined (and those a filter now hides it from); in the table the table's page again,
in its order. Without htmx every action redirects to the roadmap page.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from products import access, services
from products.extensions import attach_deliveries
from products.forms import MOVE_CHOICES, CardForm, MoveForm, RoadmapItemCreateForm, RoadmapItemForm
from products.models import Horizon, Kpi, Product, RoadmapItem
from products.roadmap import in_view, neighbours
from products.views.roadmap import (
    back_to_roadmap,
    card_answer,
    columns_answer,
    page_context,
    render_roadmap,
    row_answer,
    state_for,
    table_answer,
)
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

LAST = 10**9  # a position past the end of any column


@require_POST
def item_create(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_edit(request.user, slug)
    prefix = request.POST.get("prefix", "")
    if prefix not in {f"add-{h}" for h in Horizon.values} | {"add-table"}:
        prefix = "add-table"
    form = RoadmapItemCreateForm(request.POST, prefix=prefix)
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, "A new item needs a title.")
            return back_to_roadmap(request, product)
        key = prefix.removeprefix("add-")
        return render_roadmap(request, product, status=422, add_forms={key: form})
    item = services.roadmap_item_create(product=product, by=request.user, **form.cleaned_data)
    if not request.htmx:
        messages.success(request, f"Added “{item.title}”.")
        return back_to_roadmap(request, product)
    response = render_roadmap(request, product, announce=f"Added “{item.title}”.")
    return trigger_client_event(response, "roadmapItemAdded", {"id": item.pk})


def shown_answer(
    request: HttpRequest,
    product: Product,
    state: dict,
    item: RoadmapItem,
    *,
    was_in: str,
    was_shown: bool,
) -> HttpResponse:
    """What the roadmap shows of an item after a change: see the module's docstring.
    `was_in` and `was_shown` are its horizon and whether the filters showed it before."""
    shown = in_view(state, item.status, item.kpi_id)
    hidden = "" if shown else f"“{item.title}” no longer matches the filters: it is hidden."
    if state["view"] == "table":
        return table_answer(request, product, state, hidden)
    moved = item.horizon != was_in
    if moved or not (shown and was_shown):
        horizons = [item.horizon, was_in] if moved else [item.horizon]
        said = f"“{item.title}” moved to {item.get_horizon_display()}." if moved else ""
        return columns_answer(request, product, state, horizons, hidden or said)
    return card_answer(request, product, state, item)


def with_kpi(item: RoadmapItem, kpis: list[Kpi]) -> RoadmapItem:
    """The item with its KPI from the product's KPIs, already loaded: no query for its name."""
    item.kpi = next((kpi for kpi in kpis if kpi.pk == item.kpi_id), None)
    return item


@require_GET
def item_card(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    """The item as the roadmap shows it now (its card, or its row in the table): what an
    editor's Cancel or Keep theirs puts back. Without htmx, the roadmap page."""
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    if not request.htmx:
        return back_to_roadmap(request, product)
    state, _ = state_for(request, product)
    if state["view"] == "table":
        return row_answer(request, product, state, item)
    if not in_view(state, item.status, item.kpi_id):  # changed by someone else meanwhile
        return columns_answer(request, product, state, [item.horizon])
    return card_answer(request, product, state, item)


@require_http_methods(["GET", "POST"])
def item_edit(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    """The editor of what a card or a row shows, loaded when asked for: GET gives the form in
    place of the card or row (htmx) or on a page of its own; POST saves it and answers with
    what changed on the roadmap (see `shown_answer`)."""
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    state, kpis = state_for(request, product)
    data = request.POST if request.method == "POST" else None
    form = CardForm(data, item=item, kpis=kpis, product=product)
    context = page_context(product, state, item=item, form=form)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                saved = services.roadmap_item_update(
                    item_id=item.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except StaleEdit as exc:
                current = exc.current
                context["item"] = current
                context["form"] = CardForm(
                    {**request.POST.dict(), f"item{item.pk}-version": current.version},
                    item=current,
                    kpis=kpis,
                    product=product,
                )
                context["conflict"] = exc
                status = 409
            else:
                if not request.htmx:
                    messages.success(request, f"Saved “{saved.title}”.")
                    return back_to_roadmap(request, product)
                response = shown_answer(
                    request,
                    product,
                    state,
                    with_kpi(saved, kpis),
                    was_in=item.horizon,
                    was_shown=in_view(state, item.status, item.kpi_id),
                )
                return trigger_client_event(response, "roadmapItemChanged", {"id": item.pk})
    if not request.htmx:
        return render(request, "products/item_edit.html", context, status=status)
    response = render(request, "products/roadmap.html#item-editor", context, status=status)
    return reswap(retarget(response, f"#item-{item.pk}"), "outerHTML")


def move_target(
    product: Product, state: dict, item: RoadmapItem, to: str
) -> dict[str, object] | None:
    """Where a step of the Move… menu puts the item, as roadmap_item_move's arguments; None
    when it is already there (the top going up, the bottom going down, its own horizon)."""
    if to in {"up", "down"}:
        above, below = neighbours(product, state, item)
        if to == "up":
            return (
                None
                if above is None
                else {"horizon": item.horizon, "position": 0, "before_id": above}
            )
        return (
            None
            if below is None
            else {"horizon": item.horizon, "position": LAST, "after_id": below}
        )
    if to == item.horizon:
        return None
    order = Horizon.values
    # An item lands next to where it came from: at the top of a later horizon, at the bottom
    # of an earlier one.
    position = 0 if order.index(to) > order.index(item.horizon) else LAST
    return {"horizon": to, "position": position}


@require_http_methods(["GET", "POST"])
def item_move(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    """A step of the Move… menu or a drag. GET (the menu without JavaScript) asks to confirm
    on a page of its own; POST moves, and answers with the columns the item left and joined,
    or the table's page."""
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    if request.method == "GET":
        to = request.GET.get("to", "")
        context = {
            "product": product,
            "item": item,
            "choices": MOVE_CHOICES,
            "to": to,
            "query": "",
        }
        return render(request, "products/move.html", context)
    form = MoveForm(request.POST)
    if not form.is_valid():
        if not request.htmx:
            messages.error(request, "That move was not understood; nothing changed.")
            return back_to_roadmap(request, product)
        return render_roadmap(request, product, status=422)
    state, _ = state_for(request, product)
    data = form.cleaned_data
    if data["to"]:
        target = move_target(product, state, item, data["to"])
    else:
        target = {
            "horizon": data["horizon"],
            "position": data["position"],
            "before_id": data["before"],
            "after_id": data["after"],
        }
    moved = item
    if target is not None:
        moved = services.roadmap_item_move(item_id=item.pk, by=request.user, **target)
    if not request.htmx:
        if target is not None:
            messages.success(request, f"Moved “{item.title}”.")
        return back_to_roadmap(request, product)
    if state["view"] == "table":
        response = table_answer(request, product, state)
    else:
        horizons = (
            [moved.horizon, item.horizon] if moved.horizon != item.horizon else [item.horizon]
        )
        said = f"“{item.title}” moved to {moved.get_horizon_display()}." if target else ""
        response = columns_answer(request, product, state, horizons, said)
    return trigger_client_event(response, "roadmapItemMoved", {"id": item.pk})


@require_http_methods(["GET", "POST"])
def item_page(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    """One roadmap item: its PRD, scores, hypotheses, who delivers it, the full edit form and
    its history. The heading always shows the item as saved: the form works on a copy."""
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
                except StaleEdit as exc:
                    item = exc.current
                    item.product = product
                    item.kpi = next((k for k in kpis if k.pk == item.kpi_id), None)
                    context["item"] = item
                    context["conflict"] = exc
                    form = RoadmapItemForm(
                        {**request.POST.dict(), "version": item.version},
                        instance=item,
                        product=product,
                        kpis=kpis,
                    )
                    status = 409
                else:
                    messages.success(request, "Saved.")
                    return redirect(reverse("products:item", args=[slug, item.pk]))
    attach_deliveries([item])
    context["form"] = form
    context["hypotheses"] = list(item.hypotheses.select_related("kpi"))
    context["history"] = list(item.changes.select_related("by"))
    return render(request, "products/item.html", context, status=status)


@require_POST
def item_delete(request: HttpRequest, slug: str, item_id: int) -> HttpResponse:
    product, item = access.get_item_for_edit(request.user, slug, item_id)
    services.roadmap_item_delete(item=item)
    messages.success(request, f"Deleted “{item.title}”.")
    return redirect(reverse("products:roadmap", args=[slug]))
