"""The board's cards and the table's rows, rendered from templates/products/_card.html and
the table-row partial of roadmap.html, and remembered in the configured cache (Redis with
REDIS_URL, local memory otherwise).

A profile of the 200-item board showed the cards are most of its time: ~45 template variables
each, 150 cards a page; the table's 200 rows were ~2,500 variables a page. A card or a row is a
pure function of what it shows, so its cache key is a hash of exactly that (the item's fields,
its KPI's name, the project delivering it, whether it is first or last in its column as
filtered, the viewer's right to edit, the product's scoring method, whether deliveries are
shown, the page's filters, the product's address and the template's own source): a change to
any of them is another key, so nothing is ever stale, and a page fetches all its fragments in
one round trip (get_many).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache as once

from django.core.cache import cache
from django.template.loader import get_template

from products.extensions import attach_deliveries
from products.models import RoadmapItem

CARD = "products/_card.html"
ROW = "products/roadmap.html#table-row"
TIMEOUT = 24 * 3600  # unused cards leave the cache within a day; a used one is never stale

# The item's fields the card shows (besides its KPI's name and its place in the column).
SHOWN = (
    "pk",
    "title",
    "status",
    "horizon",
    "kpi_id",
    "reach",
    "impact",
    "confidence",
    "effort",
    "rice_score",
    "ice_score",
    "ice_impact",
    "ice_confidence",
    "ice_ease",
)


@once
def template_hash(name: str) -> str:
    """The template's source, hashed: a deployment that changes it starts afresh."""
    source = get_template(name).template.source
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def fragment_key(context: dict, item: RoadmapItem, name: str) -> str:
    shown = (
        template_hash(name),
        context["items_url"],
        context["product"].can_edit,
        context["product"].scoring,
        context["state"]["query"],
        context.get("delivery_known"),
        *(getattr(item, field) for field in SHOWN),
        item.kpi.name if item.kpi_id else None,
        getattr(item, "is_first", None),
        getattr(item, "is_last", None),
        item.delivery,
    )
    return f"{name}:" + hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()


def render_fragments(context: dict, items: list[RoadmapItem], name: str, attr: str) -> None:
    """Give each item its fragment of template `name` as `item.<attr>`: from the cache, or
    rendered and remembered. `context` is the page's (product, state, items_url, horizons)."""
    keys = {item.pk: fragment_key(context, item, name) for item in items}
    found = cache.get_many(keys.values())
    template = get_template(name)
    rendered = {}
    for item in items:
        key = keys[item.pk]
        html = found.get(key)
        if html is None:
            html = rendered[key] = template.render({**context, "item": item})
        setattr(item, attr, html)
    if rendered:
        cache.set_many(rendered, TIMEOUT)


def render_cards(context: dict, items: Iterable[RoadmapItem]) -> None:
    """Each item's card as `item.card`. The items' deliveries are looked up here, once for all
    of them (products/extensions.py)."""
    items = list(items)
    attach_deliveries(items)
    render_fragments(context, items, CARD, "card")


def render_rows(context: dict, items: Iterable[RoadmapItem]) -> None:
    """Each item's table row as `item.row` (the table's page has its deliveries already)."""
    render_fragments(context, list(items), ROW, "row")
