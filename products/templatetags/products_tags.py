"""Markdown of the product side's long texts, in templates (numbers: roleplan/numbers.py)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from products.rendering import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text)
