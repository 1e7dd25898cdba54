"""The board's cards, rendered from templates/products/_card.html and remembered in the
configured cache (Redis with REDIS_URL, local memory otherwise).

A profile of the 200-item board showed the cards are most of its time: ~45 template variables
each, 150 cards a page. A card is a pure function of what it shows, so its cache key is a hash
of exactly that (the item's fields on the card, its KPI's name, the project delivering it,
whether it is first or last in its column as filtered, the viewer's right to edit, the
product's scoring method, the page's filters, the product's address and the template's own
source): a change to any of them is another key, so no card is ever
stale, and a page fetches all its cards in one round trip (get_many).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache as once

from django.core.cache import cache
from django.template.loader import get_template

from products.extensions import attach_deliveries
from products.models import RoadmapItem

TEMPLATE = "products/_card.html"
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
)


@once
def template_hash() -> str:
    """The card template's source, hashed: a deployment that changes it starts afresh."""
    source = get_template(TEMPLATE).template.source
    return hashlib.blake2b(source.encode(), digest_size=8).hexdigest()


def card_key(context: dict, item: RoadmapItem) -> str:
    shown = (
        template_hash(),
        context["items_url"],
        context["product"].can_edit,
        context["product"].scoring,
        context["state"]["query"],
        *(getattr(item, name) for name in SHOWN),
        item.kpi.name if item.kpi_id else None,
        item.is_first,
        item.is_last,
        item.delivery,
    )
    return "card:" + hashlib.blake2b(repr(shown).encode(), digest_size=16).hexdigest()


def render_cards(context: dict, items: Iterable[RoadmapItem]) -> None:
    """Give each item its card as `item.card`: from the cache, or rendered and remembered.
    `context` is the page's (product, state, items_url, horizons). The items' deliveries are
    looked up here, once for all of them (products/extensions.py)."""
    items = list(items)
    attach_deliveries(items)
    keys = {item.pk: card_key(context, item) for item in items}
    found = cache.get_many(keys.values())
    template = get_template(TEMPLATE)
    rendered = {}
    for item in items:
        key = keys[item.pk]
        html = found.get(key)
        if html is None:
            html = rendered[key] = template.render({**context, "item": item})
        item.card = html
    if rendered:
        cache.set_many(rendered, TIMEOUT)
