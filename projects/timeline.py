"""The timeline as SVG geometry: milestones and in-scope deliverables over the project's span,
with today's line, the deadline (and the baselined one when it differs), overdue work marked,
flagged milestones and finish-to-start dependency arrows: between milestones, and between the
deliverables of one chunk (a link that starts before its predecessor is due, lag included, is
drawn as late and listed).

Every number the SVG shows is computed here, once per row (x, width, y, the text's position,
the diamond's points, the tooltip); the template writes them in one loop and computes nothing.
A long project is drawn in chunks of rows (the milestones and the first deliverables, then the
next deliverables, ...), each chunk an SVG on the same time axis: the span comes from an
aggregate over every in-scope deliverable, so a chunk needs only its own rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from projects.health import milestone_flags
from projects.models import Deliverable, Milestone, Project

WIDTH = 1100
LABEL_W = 300
RIGHT_PAD = 24
HEADER_H = 60
ROW_H = 28
GROUP_H = 26
MAX_LABEL = 40
LABEL_ROOM = 60  # the width of a marker's label ("Deadline", "Baseline") at the chart's size


def short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def day_month_year(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass
class Row:
    """One line of the chart, placed: a group's band, a milestone's diamond or a deliverable's
    bar, with its label, its note ("overdue", "unscheduled") and its tooltip."""

    kind: str  # "group", "deliverable", "milestone"
    y: float
    label: str
    tooltip: str = ""
    classes: str = ""
    shape: str = ""  # "diamond", "bar" or "" (a group, or a deliverable without a due date)
    x: float = 0
    w: float = 0
    points: str = ""  # the diamond's
    note: str = ""
    note_x: float = 0
    note_anchor: str = "start"
    text_y: float = 0
    bar_y: float = 0
    pk: int | None = None


@dataclass
class Span:
    """The chart's time axis: from `start` to `end`, `WIDTH` wide with the labels' column."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)

    def x(self, day: date) -> float:
        chart_w = WIDTH - LABEL_W - RIGHT_PAD
        return round(LABEL_W + chart_w * (day - self.start).days / self.days, 1)


@dataclass
class Chunk:
    """One SVG of the timeline: its rows, the axis and the markers, all placed."""

    number: int
    width: int
    height: int
    rows: list[Row]
    months: list[dict]
    lines: list[dict]
    arrows: list[dict] = field(default_factory=list)
    late_links: list[dict] = field(default_factory=list)


def span_of(
    *,
    project: Project,
    dates: list[date | None],
    baseline_deadline: date | None,
    today: date,
) -> Span:
    """The span of the project's dates (start, deadline, the deliverables' and milestones'),
    with today when it is near."""
    days = [project.start_date, project.deadline, *filter(None, dates)]
    if baseline_deadline:
        days.append(baseline_deadline)
    start = min(days) - timedelta(days=3)
    end = max(days) + timedelta(days=7)
    if start - timedelta(days=60) <= today <= end + timedelta(days=60):
        start, end = min(start, today - timedelta(days=3)), max(end, today + timedelta(days=3))
    return Span(start, end)


def place(row: Row) -> Row:
    """The positions derived from the row's own: text, bar, diamond, and where its note goes
    (right of the shape, or left of it near the chart's right edge)."""
    row.text_y = row.y + 18
    row.bar_y = row.y + 7
    if row.kind == "milestone":
        cy = row.y + ROW_H / 2
        x = row.x
        row.points = f"{x},{cy - 7} {x + 7},{cy} {x},{cy + 7} {x - 7},{cy}"
    if row.note:
        right = row.x + (row.w if row.kind == "deliverable" else 8) + 6
        if right > WIDTH - 70:
            row.note_x = row.x - (6 if row.kind == "deliverable" else 12)
            row.note_anchor = "end"
        else:
            row.note_x = right
    return row


def milestone_row(m: Milestone, *, y: float, span: Span, deadline: date, today: date) -> Row:
    """m.flags must be set (health.milestone_flags)."""
    overdue = m.is_overdue(today)
    classes = "done" if m.is_done else "overdue" if overdue else "open"
    tooltip = f"{m.title} — due {day_month_year(m.due_date)}"
    if m.done_on:
        tooltip += f", done {day_month_year(m.done_on)}"
    tooltip += "".join(f" — flagged: {flag}" for flag in m.flags)
    return place(
        Row(
            kind="milestone",
            y=y,
            label=("⚑ " if m.flags else "") + short(m.title),
            tooltip=tooltip,
            classes=classes + (" flagged" if m.flags else ""),
            shape="diamond",
            x=span.x(m.due_date),
            note="overdue" if overdue else "",
            pk=m.pk,
        )
    )


def deliverable_row(d: Deliverable, *, y: float, span: Span, today: date) -> Row:
    overdue = d.is_overdue(today)
    if d.due_date:
        first = d.start_date or d.due_date - timedelta(days=2)
        left, right = span.x(first), span.x(d.due_date + timedelta(days=1))
        x, w = left, max(right - left, 4)
    else:
        x, w = LABEL_W, 0
    due = f", due {day_month_year(d.due_date)}" if d.due_date else ", no due date"
    return place(
        Row(
            kind="deliverable",
            y=y,
            label=short(d.title),
            tooltip=f"{d.title} — {d.get_status_display()}{due}",
            classes="overdue" if overdue else d.status,
            shape="bar" if w else "",
            x=x,
            w=w,
            note="overdue" if overdue else ("unscheduled" if not d.due_date else ""),
            pk=d.pk,
        )
    )


def months(span: Span) -> list[dict]:
    out = []
    cursor = date(span.start.year, span.start.month, 1)
    while cursor <= span.end:
        if cursor >= span.start:
            label = (
                cursor.strftime("%b %Y") if cursor.month == 1 or not out else cursor.strftime("%b")
            )
            out.append({"x": span.x(cursor), "label": label})
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return out


def lines(span: Span, *, deadline: date, baseline_deadline: date | None, today: date) -> list[dict]:
    """The deadline, the baselined one when it differs, and today. Labels sit right of their
    line, except today's (and one near the right edge), which sit left; the baseline's goes one
    line lower."""
    out = [
        {
            "x": span.x(deadline + timedelta(days=1)),
            "label": "Deadline",
            "cls": "deadline",
            "anchor": "start",
            "dx": 3,
            "y": 40,
        },
    ]
    if baseline_deadline and baseline_deadline != deadline:
        out.append(
            {
                "x": span.x(baseline_deadline + timedelta(days=1)),
                "label": "Baseline",
                "cls": "baseline",
                "anchor": "start",
                "dx": 3,
                "y": 52,
            }
        )
    if span.start <= today <= span.end:
        out.append(
            {
                "x": span.x(today),
                "label": "Today",
                "cls": "today",
                "anchor": "end",
                "dx": -3,
                "y": 40,
            }
        )
    for line in out:  # a label that would run off the chart's right edge goes left of its line
        if line["anchor"] == "start" and line["x"] + LABEL_ROOM > WIDTH:
            line["anchor"], line["dx"] = "end", -3
    return out


def chunk(
    *,
    number: int,
    project: Project,
    span: Span,
    milestones: list[Milestone],
    deliverables: list[Deliverable],
    deliverables_total: int,
    baseline_deadline: date | None,
    today: date,
    links: list | tuple = (),
) -> Chunk:
    """One SVG: on the first, the milestones (through with_flags) and their dependencies, then
    the deliverables given, with the links (DeliverableDependency) between them; on the next
    ones, deliverables only."""
    rows: list[Row] = []
    y = HEADER_H
    positions: dict[int, tuple[float, float]] = {}
    if number == 1:
        rows.append(place(Row(kind="group", y=y, label=f"Milestones ({len(milestones)})")))
        y += GROUP_H
        for m in milestones:
            rows.append(milestone_row(m, y=y, span=span, deadline=project.deadline, today=today))
            positions[m.pk] = (rows[-1].x, y + ROW_H / 2)
            y += ROW_H
    label = f"Deliverables in scope ({deliverables_total})"
    rows.append(
        place(Row(kind="group", y=y, label=label if number == 1 else f"{label}, continued"))
    )
    y += GROUP_H
    bars: dict[int, tuple[Row, Deliverable]] = {}
    for d in deliverables:
        rows.append(deliverable_row(d, y=y, span=span, today=today))
        if rows[-1].shape == "bar":
            bars[d.pk] = (rows[-1], d)
        y += ROW_H
    arrows = []
    for m in milestones if number == 1 else []:
        for p in m.predecessors:
            if p.pk in positions and m.pk in positions:
                (x1, y1), (x2, y2) = positions[p.pk], positions[m.pk]
                arrows.append(
                    {
                        "d": f"M{x1 + 7},{y1} H{x1 + 12} V{y2} H{x2 - 9}",
                        "cls": "",
                        "title": f"{p.title} before {m.title}",
                    }
                )
    late_links = []
    for link in links:
        if link.predecessor_id not in bars or link.successor_id not in bars:
            continue
        (before, pred), (after, succ) = bars[link.predecessor_id], bars[link.successor_id]
        late = (succ.start_date or succ.due_date) <= pred.due_date + timedelta(days=link.lag_days)
        arrows.append(
            {
                "d": connector(before, after),
                "cls": "late" if late else "",
                "title": f"{pred.title} before {succ.title}"
                + (f", {link.lag_days:+d} days" if link.lag_days else "")
                + (": it starts before that" if late else ""),
            }
        )
        if late:
            late_links.append(
                {
                    "what": succ.title,
                    "kind": "Deliverable",
                    "problem": f"starts before “{pred.title}” is finished"
                    + (f" (+{link.lag_days} days)" if link.lag_days > 0 else ""),
                }
            )
    return Chunk(
        number=number,
        width=WIDTH,
        height=int(y + 12),
        rows=rows,
        months=months(span),
        lines=lines(
            span, deadline=project.deadline, baseline_deadline=baseline_deadline, today=today
        ),
        arrows=arrows,
        late_links=late_links,
    )


def connector(before: Row, after: Row) -> str:
    """A finish-to-start connector: from the end of the predecessor's bar, a step right, down
    (or up) to the successor's row and into the start of its bar; when the successor starts
    left of that step, the line runs along the gap between the rows and comes back."""
    x1, y1 = round(before.x + before.w, 1), before.y + ROW_H / 2
    x2, y2 = after.x, after.y + ROW_H / 2
    if x2 - 10 >= x1 + 6:
        return f"M{x1},{y1} H{x1 + 6} V{y2} H{x2 - 2}"
    gap = after.y if after.y > before.y else after.y + ROW_H
    return f"M{x1},{y1} H{x1 + 6} V{gap} H{round(x2 - 10, 1)} V{y2} H{x2 - 2}"


def milestone_issues(milestones: list[Milestone], today: date) -> list[dict]:
    """What the table under the chart lists of the milestones: overdue, then flagged."""
    issues = []
    for m in milestones:
        if m.is_overdue(today):
            issues.append(
                {
                    "what": m.title,
                    "kind": "Milestone",
                    "problem": f"overdue since {m.due_date.day} {m.due_date:%b}",
                }
            )
        for flag in m.flags:
            issues.append({"what": m.title, "kind": "Milestone", "problem": flag})
    return issues


def deliverable_issues(deliverables: list[Deliverable]) -> list[dict]:
    return [
        {
            "what": d.title,
            "kind": "Deliverable",
            "problem": f"overdue since {d.due_date.day} {d.due_date:%b}",
        }
        for d in deliverables
    ]


def with_flags(milestones: list[Milestone], deadline: date) -> list[Milestone]:
    """Each milestone (depends_on prefetched) with its predecessors as a list and why it is
    flagged (`flags`): what the chart, the issues and the milestones' table read."""
    for m in milestones:
        m.predecessors = list(m.depends_on.all())
        m.flags = milestone_flags(m, deadline, m.predecessors)
    return milestones
