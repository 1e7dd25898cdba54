"""Products' one extension point: what the apps above products add to its pages.

The product side imports no app above it (projects, alignment) and knows none of their tables,
so what they know about a product or a roadmap item is told to it, once, at start-up, from the
other app's AppConfig.ready():

- `register_item_delivery(lookup)`: who delivers roadmap items. `lookup(item_ids)` takes the
  ids of the items a page shows and returns `{item_id: ItemDelivery}` for those a project
  delivers (the others are simply absent), in one query. It is called ONCE per page or answer
  (a board page with all its columns, "Show more", a card or a table page after an edit, an
  item's page) with the ids shown. Roadmap cards, table rows and the item page then name the
  project (a link to `url`) and its forecast, "late" in the warning colour. The card's cache
  key includes the delivery, so a changed forecast is never shown stale.
- `register_product_panel(panel, name=...)`: a section of the product page. `panel(product,
  user)` returns a `ProductPanel` (the template to include, its context and the section's
  title) or None to show nothing for this product and person; the product page renders each
  registered panel as a section of its own, in the order registered. The projects app
  registers "Projects" (status, health, deadline, next milestone). `product` comes with its
  asset, owner and `can_edit` loaded; the panel's own queries are its own (one, ideally).

With nothing registered products work alone: no card, row or item page names a project, and
the product page has no such section. Registering again replaces the earlier registration
(ready() may run more than once in tests): the delivery lookup is one, panels are keyed by
`name` (by default the callable's module and qualified name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class ItemDelivery:
    """The project that delivers a roadmap item, as the roadmap shows it."""

    project_name: str
    url: str
    status_label: str
    forecast: date | None
    late: bool


@dataclass(frozen=True)
class ProductPanel:
    """A section of the product page: `template` included with `context`, under `title`."""

    template: str
    context: dict[str, Any]
    title: str


DeliveryLookup = Callable[[list[int]], dict[int, ItemDelivery]]
PanelFactory = Callable[[Any, Any], ProductPanel | None]


@dataclass
class Extensions:
    """What has been registered; `EXTENSIONS` is the one instance."""

    item_delivery: DeliveryLookup | None = None
    panels: dict[str, PanelFactory] = field(default_factory=dict)


EXTENSIONS = Extensions()


def register_item_delivery(lookup: DeliveryLookup) -> None:
    """Tell the roadmap who delivers its items (see the module docstring)."""
    EXTENSIONS.item_delivery = lookup


def register_product_panel(panel: PanelFactory, *, name: str | None = None) -> None:
    """Add a section to the product page (see the module docstring)."""
    EXTENSIONS.panels[name or f"{panel.__module__}.{panel.__qualname__}"] = panel


def knows_deliveries() -> bool:
    """Whether an app tells who delivers items (the table then has a "Delivered by" column)."""
    return EXTENSIONS.item_delivery is not None


def item_deliveries(item_ids: Iterable[int]) -> dict[int, ItemDelivery]:
    """The deliveries of these items: {} without a registered lookup or without ids (no query
    then)."""
    lookup = EXTENSIONS.item_delivery
    ids = list(dict.fromkeys(item_ids))
    if lookup is None or not ids:
        return {}
    return lookup(ids)


def attach_deliveries(items: Iterable[Any]) -> None:
    """Give each item its `delivery` (an ItemDelivery or None), in one call of the lookup."""
    items = list(items)
    found = item_deliveries(item.pk for item in items)
    for item in items:
        item.delivery = found.get(item.pk)


def product_panels(product: Any, user: Any) -> list[ProductPanel]:
    """The sections the registered panels give this product page, in the order registered."""
    panels = (panel(product, user) for panel in EXTENSIONS.panels.values())
    return [panel for panel in panels if panel is not None]
