"""Spend against plan over time, month by month, from a project's cost lines; the totals are
projects.health's (Costs), the same the overview and the dashboard show.

The chart is drawn on the server as SVG coordinates: the template only places them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from projects.health import Costs
from projects.models import CostLine
from roleplan.numbers import num


@dataclass
class Month:
    start: date
    planned: Decimal
    actual: Decimal
    planned_total: Decimal  # cumulative
    actual_total: Decimal | None  # cumulative, None for months still to come


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def months(lines: list[CostLine], start: date, end: date, today: date) -> list[Month]:
    first = month_start(min([start, *[c.date for c in lines]]))
    last = month_start(max([end, *[c.date for c in lines]]))
    planned: dict[date, Decimal] = {}
    actual: dict[date, Decimal] = {}
    for line in lines:
        key = month_start(line.date)
        planned[key] = planned.get(key, Decimal(0)) + line.planned
        if line.actual is not None:
            actual[key] = actual.get(key, Decimal(0)) + line.actual
    result, plan_total, spent_total = [], Decimal(0), Decimal(0)
    current = first
    this_month = month_start(today)
    while current <= last:
        plan_total += planned.get(current, Decimal(0))
        spent_total += actual.get(current, Decimal(0))
        # Spending recorded in a future month (paid in advance) still shows in that month.
        show_actual = current <= this_month or current in actual
        result.append(
            Month(
                start=current,
                planned=planned.get(current, Decimal(0)),
                actual=actual.get(current, Decimal(0)),
                planned_total=plan_total,
                actual_total=spent_total if show_actual else None,
            )
        )
        current = next_month(current)
    return result


CHART_W, CHART_H = 640, 240
PAD_L, PAD_R, PAD_T, PAD_B = 64, 30, 14, 30


def nice_ceiling(value: Decimal) -> Decimal:
    if value <= 0:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        ceiling = magnitude * Decimal(str(step))
        if ceiling >= value:
            return ceiling
    return magnitude * 10


def chart(points: list[Month], summary: Costs) -> dict:
    """SVG geometry: cumulative plan and spend per month, the budget line, the forecast. The
    spend is also drawn as a dot per month, so a single month of spending shows."""
    top = nice_ceiling(
        max(summary.budget, summary.planned, summary.forecast, Decimal(1)) * Decimal("1.05")
    )
    inner_w = CHART_W - PAD_L - PAD_R
    inner_h = CHART_H - PAD_T - PAD_B
    n = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return round(PAD_L + inner_w * i / n, 1)

    def y(value: Decimal) -> float:
        return round(PAD_T + inner_h * (1 - float(value / top)), 1)

    planned = " ".join(f"{x(i)},{y(p.planned_total)}" for i, p in enumerate(points))
    actual_points = [(i, p) for i, p in enumerate(points) if p.actual_total is not None]
    actual = " ".join(f"{x(i)},{y(p.actual_total)}" for i, p in actual_points)
    spent_dots = [
        {"x": x(i), "y": y(p.actual_total), "month": p.start, "total": p.actual_total}
        for i, p in actual_points
    ]
    label_every = max(1, len(points) // 8)
    return {
        "width": CHART_W,
        "height": CHART_H,
        "left": PAD_L,
        "right": CHART_W - PAD_R,
        "bottom": CHART_H - PAD_B,
        "planned": planned,
        "actual": actual,
        "spent_dots": spent_dots,
        "budget_y": y(summary.budget),
        "forecast": {"x": x(len(points) - 1), "y": y(summary.forecast)},
        "grid": [{"y": y(top * k / 4), "label": num(top * k / 4, 0)} for k in range(5)],
        "months": [
            {"x": x(i), "label": p.start.strftime("%b %y")}
            for i, p in enumerate(points)
            if i % label_every == 0
        ],
    }
