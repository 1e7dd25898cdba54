"""Small server-rendered SVG charts of a KPI: measurements over time against baseline and target.

The view computes coordinates here; the template only draws them (no JavaScript, no queries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from roleplan.numbers import quantity

WIDTH = 280
HEIGHT = 90
PAD_X = 6
PAD_Y = 10


@dataclass
class Point:
    x: float
    y: float
    label: str


@dataclass
class KpiChart:
    width: int
    height: int
    baseline_y: float | None
    target_y: float
    points: list[Point]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def last(self) -> Point | None:
        return self.points[-1] if self.points else None


def kpi_chart(
    *,
    baseline: Decimal | None,
    target: Decimal,
    unit: str,
    due_date: date | None,
    measurements: list[tuple[date, Decimal]],
) -> KpiChart:
    has_baseline = baseline is not None
    values = [v for _, v in measurements] + [target] + ([baseline] if has_baseline else [])
    low, high = min(values), max(values)
    span = (high - low) or Decimal(1)
    # The time axis spans the measurements; the due date is written next to the chart.
    dates = [d for d, _ in measurements]
    first, last = (min(dates), max(dates)) if dates else (None, None)
    days = max(((last - first).days if first else 0), 1)

    def y(value: Decimal) -> float:
        return PAD_Y + float((high - value) / span) * (HEIGHT - 2 * PAD_Y)

    def x(when: date) -> float:
        return PAD_X + (when - first).days / days * (WIDTH - 2 * PAD_X)

    points = [Point(x(d), y(v), f"{d:%d %b %Y}: {quantity(v, unit)}") for d, v in measurements]
    return KpiChart(WIDTH, HEIGHT, y(baseline) if has_baseline else None, y(target), points)
