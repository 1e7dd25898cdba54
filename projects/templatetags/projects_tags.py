"""Dates, people and variance colours of the projects pages. Numbers are written by the
builtin filters of roleplan.numbers (|money, |signed, |num, |pct), as everywhere in the app."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from roleplan.people import display_name

register = template.Library()


@register.filter(expects_localtime=True)
def day(value) -> str:
    """`value|date:"j M"`, with the year when it is not this year: "5 Aug", "5 Aug 2027"."""
    if not value:
        return ""
    return date_filter(value, "j M" if value.year == timezone.localdate().year else "j M Y")


@register.filter
def person(user) -> str:
    if user is None:
        return "—"
    return display_name(user)


@register.filter
def variance_class(value) -> str:
    """Late or over budget is bad, early or under is good, zero is neutral."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    if number > 0:
        return "var-bad"
    if number < 0:
        return "var-good"
    return "var-zero"
