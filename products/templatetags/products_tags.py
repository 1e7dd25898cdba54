"""How the product side shows its numbers and texts in templates."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from products.rendering import render_markdown

register = template.Library()


@register.filter
def compact(number: int) -> str:
    """1,200,000 -> 1.2M and 45,000 -> 45k, so large reaches fit a card; small ones stay exact."""
    if number >= 1_000_000:
        return f"{number / 1_000_000:.1f}".removesuffix(".0") + "M"
    if number >= 10_000:
        return f"{number / 1_000:.1f}".removesuffix(".0") + "k"
    return f"{number:,}"


@register.filter
def plain(number: Decimal) -> str:
    """A decimal without trailing zeros: 1.50 -> 1.5, 4.00 -> 4."""
    return f"{Decimal(number).normalize():f}"


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)
