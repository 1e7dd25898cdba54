"""How roleplan writes numbers: one set of rules, as template filters (a builtin of every
template, settings.TEMPLATES) and as the functions behind them for text written in Python.

- `{{ value|num }}`: thousands separated by commas, at most two decimals, no trailing zeros
  (8000 -> "8,000", 1.50 -> "1.5", 0.25 -> "0.25"); `|num:0` rounds to a whole number.
- `{{ value|pct }}`: a percentage, the value in percent units, always one decimal and a
  no-break space before the sign (21 -> "21.0 %", 22.14 -> "22.1 %").
- `{{ value|money:"EUR" }}`: the currency code first, then the amount: whole amounts with no
  decimals, others with two ("EUR 8,000", "EUR 1,234.50", "EUR -500").
- `{{ value|quantity:unit }}`: a measured value with its unit: "%" reads as `pct`, any other
  unit follows `num` after a no-break space ("26 h", "1,200 EUR").
- `{{ value|signed }}`: `num` with its sign always written ("+6", "-2.5", "0").
- `{{ value|short }}`: "12k" and "1.2M" from 10,000 up, `num:0` below; only where space is
  tight (a roadmap card's inputs), and then for every number of that place.

Every filter writes "—" for a missing value (None or ""). Halves round away from zero.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()

NBSP = "\u00a0"
MISSING = "—"

Number = int | float | Decimal | str | None


def as_decimal(value: Number) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)  # the float as written, not its binary expansion
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


def grouped(value: Decimal, places: int, *, keep_zeros: bool = False) -> str:
    """`value` rounded to `places` decimals with thousands separators; trailing zeros dropped
    unless `keep_zeros`."""
    step = Decimal(1).scaleb(-places)
    rounded = value.quantize(step, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0"
    text = f"{rounded:,.{places}f}"
    if not keep_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


@register.filter
def num(value: Number, places: int | str = 2) -> str:
    number = as_decimal(value)
    if number is None:
        return MISSING
    return grouped(number, int(places))


@register.filter
def pct(value: Number) -> str:
    number = as_decimal(value)
    if number is None:
        return MISSING
    return f"{grouped(number, 1, keep_zeros=True)}{NBSP}%"


@register.filter
def money(value: Number, currency: str = "EUR") -> str:
    number = as_decimal(value)
    if number is None:
        return MISSING
    whole = number == number.to_integral_value()
    amount = grouped(number, 0) if whole else grouped(number, 2, keep_zeros=True)
    return f"{currency}{NBSP}{amount}" if currency else amount


@register.filter
def quantity(value: Number, unit: str = "") -> str:
    number = as_decimal(value)
    if number is None:
        return MISSING
    unit = (unit or "").strip()
    if unit == "%":
        return pct(number)
    return f"{grouped(number, 2)}{NBSP}{unit}" if unit else grouped(number, 2)


@register.filter
def signed(value: Number, places: int | str = 2) -> str:
    number = as_decimal(value)
    if number is None:
        return MISSING
    text = grouped(number, int(places))
    return text if text.startswith("-") or text == "0" else f"+{text}"


@register.filter
def short(value: Number) -> str:
    number = as_decimal(value)
    if number is None:
        return MISSING
    size = abs(number)
    if size >= 1_000_000:
        return f"{grouped(number / 1_000_000, 1)}M"
    if size >= 10_000:
        return f"{grouped(number / 1_000, 1)}k"
    return grouped(number, 0)
