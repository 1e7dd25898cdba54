"""The timeline as SVG geometry: milestones and in-scope deliverables over the project's span,
with today's line, the deadline (and the baselined one when it differs), overdue work marked,
flagged milestones and finish-to-start dependency arrows. Computed here; the template places it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from projects.health import milestone_flags
from projects.models import Deliverable, Milestone

WIDTH = 1100
LABEL_W = 300
RIGHT_PAD = 24
HEADER_H = 60
ROW_H = 28
GROUP_H = 26
MAX_LABEL = 40


def short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Row:
    kind: str  # "group", "deliverable", "milestone"
    y: float
    label: str
    title: str = ""
    classes: str = ""
    x: float = 0
    w: float = 0
    note: str = ""
    flags: list[str] = field(default_factory=list)
    pk: int | None = None

    @property
    def text_y(self) -> float:
        return self.y + 18

    @property
    def bar_y(self) -> float:
        return self.y + 7

    @property
    def note_at(self) -> tuple[float, str]:
        right = self.x + (self.w if self.kind == "deliverable" else 8) + 6
        if right > WIDTH - 70:
            return (self.x - (6 if self.kind == "deliverable" else 12), "end")
        return (right, "start")

    @property
    def note_x(self) -> float:
        return self.note_at[0]

    @property
    def note_anchor(self) -> str:
        return self.note_at[1]

    @property
    def diamond(self) -> str:
        cy = self.y + ROW_H / 2
        return f"{self.x},{cy - 7} {self.x + 7},{cy} {self.x},{cy + 7} {self.x - 7},{cy}"


@dataclass
class Timeline:
    width: int
    height: int
    label_w: int
    rows: list[Row]
    months: list[dict]
    lines: list[dict]
    arrows: list[str]
    issues: list[dict]
    span_start: date
    span_end: date


def build(
    *,
    project,
    deliverables: list[Deliverable],
    milestones: list[Milestone],
    baseline_deadline: date | None,
    today: date,
) -> Timeline:
    scoped = sorted(
        (d for d in deliverables if d.in_scope),
        key=lambda d: (d.start_date or d.due_date or date.max, d.due_date or date.max, d.pk),
    )
    dated = [d for d in scoped if d.due_date]
    days = [project.start_date, project.deadline]
    days += [d.due_date for d in dated] + [d.start_date for d in dated if d.start_date]
    days += [m.due_date for m in milestones]
    if baseline_deadline:
        days.append(baseline_deadline)
    start = min(days) - timedelta(days=3)
    end = max(days) + timedelta(days=7)
    if start - timedelta(days=60) <= today <= end + timedelta(days=60):
        start, end = min(start, today - timedelta(days=3)), max(end, today + timedelta(days=3))
    span = max((end - start).days, 1)
    chart_w = WIDTH - LABEL_W - RIGHT_PAD

    def x(day: date) -> float:
        return round(LABEL_W + chart_w * (day - start).days / span, 1)

    rows: list[Row] = []
    issues: list[dict] = []
    y = HEADER_H
    positions: dict[int, tuple[float, float]] = {}

    rows.append(Row(kind="group", y=y, label=f"Milestones ({len(milestones)})"))
    y += GROUP_H
    for m in milestones:
        flags = milestone_flags(m, project.deadline)
        overdue = m.is_overdue(today)
        classes = "done" if m.is_done else "overdue" if overdue else "open"
        note = "overdue" if overdue else ""
        cx = x(m.due_date)
        positions[m.pk] = (cx, y + ROW_H / 2)
        rows.append(
            Row(
                kind="milestone",
                y=y,
                label=short(m.title),
                title=f"{m.title} — due {m.due_date.day} {m.due_date:%b %Y}"
                + (f", done {m.done_on.day} {m.done_on:%b %Y}" if m.done_on else ""),
                classes=classes + (" flagged" if flags else ""),
                x=cx,
                note=note,
                flags=flags,
                pk=m.pk,
            )
        )
        if overdue:
            issues.append(
                {
                    "what": m.title,
                    "kind": "Milestone",
                    "problem": f"overdue since {m.due_date.day} {m.due_date:%b}",
                }
            )
        for flag in flags:
            issues.append({"what": m.title, "kind": "Milestone", "problem": flag})
        y += ROW_H

    rows.append(Row(kind="group", y=y, label=f"Deliverables in scope ({len(scoped)})"))
    y += GROUP_H
    for d in scoped:
        overdue = d.is_overdue(today)
        classes = "overdue" if overdue else d.status
        if d.due_date:
            first = d.start_date or d.due_date - timedelta(days=2)
            left, right = x(first), x(d.due_date + timedelta(days=1))
            bar_x, bar_w = left, max(right - left, 4)
        else:
            bar_x, bar_w = LABEL_W, 0
        note = "overdue" if overdue else ("unscheduled" if not d.due_date else "")
        rows.append(
            Row(
                kind="deliverable",
                y=y,
                label=short(d.title),
                title=f"{d.title} — {d.get_status_display()}"
                + (f", due {d.due_date.day} {d.due_date:%b %Y}" if d.due_date else ", no due date"),
                classes=classes,
                x=bar_x,
                w=bar_w,
                note=note,
                pk=d.pk,
            )
        )
        if overdue:
            issues.append(
                {
                    "what": d.title,
                    "kind": "Deliverable",
                    "problem": f"overdue since {d.due_date.day} {d.due_date:%b}",
                }
            )
        y += ROW_H

    height = int(y + 12)
    arrows = []
    for m in milestones:
        for p in m.depends_on.all():
            if p.pk in positions and m.pk in positions:
                (x1, y1), (x2, y2) = positions[p.pk], positions[m.pk]
                arrows.append(f"M{x1 + 7},{y1} H{x1 + 12} V{y2} H{x2 - 9}")

    months = []
    cursor = date(start.year, start.month, 1)
    while cursor <= end:
        if cursor >= start:
            label = (
                cursor.strftime("%b %Y")
                if cursor.month == 1 or not months
                else cursor.strftime("%b")
            )
            months.append({"x": x(cursor), "label": label})
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)

    # Labels sit right of their line, except today's, which sits left; a baseline label that
    # would collide goes one line lower.
    lines = [
        {
            "x": x(project.deadline + timedelta(days=1)),
            "label": "Deadline",
            "cls": "deadline",
            "anchor": "start",
            "dx": 3,
            "y": 40,
        },
    ]
    if baseline_deadline and baseline_deadline != project.deadline:
        lines.append(
            {
                "x": x(baseline_deadline + timedelta(days=1)),
                "label": "Baseline",
                "cls": "baseline",
                "anchor": "start",
                "dx": 3,
                "y": 52,
            }
        )
    if start <= today <= end:
        lines.append(
            {"x": x(today), "label": "Today", "cls": "today", "anchor": "end", "dx": -3, "y": 40}
        )

    return Timeline(
        width=WIDTH,
        height=height,
        label_w=LABEL_W,
        rows=rows,
        months=months,
        lines=lines,
        arrows=arrows,
        issues=issues,
        span_start=start,
        span_end=end,
    )
