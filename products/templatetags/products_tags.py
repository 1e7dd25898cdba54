from __future__ import annotations

from decimal import Decimal

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from products.models import RoadmapItem
from products.rendering import render_markdown

register = template.Library()


def compact(number: int) -> str:
    """1,200,000 -> 1.2M and 45,000 -> 45k, so large reaches fit a card; small ones stay exact."""
    if number >= 1_000_000:
        return f"{number / 1_000_000:.1f}".removesuffix(".0") + "M"
    if number >= 10_000:
        return f"{number / 1_000:.1f}".removesuffix(".0") + "k"
    return f"{number:,}"


SHORT = {
    "impact": lambda item: f"{Decimal(item.impact).normalize():f}",
    "confidence": lambda item: f"{item.confidence}%",
    # Effort in person-months: "p-m", as "4 pm" reads as a time of day.
    "effort": lambda item: f"{Decimal(item.effort).normalize():f} p-m",
    "reach": lambda item: compact(item.reach),
}


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)


@register.inclusion_tag("products/_inplace.html", takes_context=True)
def inplace(context, item: RoadmapItem, field: str, extra_class: str = "") -> dict:
    """One field of a roadmap item, shown as a link that swaps in its editor (htmx) or opens
    the item's page (no JavaScript). Uses only loaded attributes: no queries."""
    model_field = RoadmapItem._meta.get_field(field)
    if field in SHORT:
        display = SHORT[field](item)
    elif model_field.choices and field != "kpi":
        display = getattr(item, f"get_{field}_display")()
    elif field == "kpi":
        display = item.kpi.name if item.kpi else "no KPI"
    else:
        display = getattr(item, field) or "—"
    slug = item.product.asset.slug
    query = context["state"]["query"]
    return {
        "can_edit": context["product"].can_edit,
        "item": item,
        "field": field,
        "label": str(model_field.verbose_name),
        "display": display,
        "extra_class": extra_class,
        "page_url": reverse("products:item", args=[slug, item.pk]),
        "field_url": reverse("products:item_field", args=[slug, item.pk, field]) + query,
    }
