"""The project page: an overview of the project read with a few hand-written SQL statements.

The page shows counts, sums and the few items that need attention, never every row: scope,
milestones, budget, risks and change requests each have their own page with the full lists.
Everything here is an aggregate or a short list (LIMIT), so the page costs the same whatever the
size of the project.

Why SQL by hand: through the ORM each statement costs 1-2 ms of CPU to build and compile (a
queryset with six conditional aggregates measured ~2 ms), and this page has a budget of a few
milliseconds in all (tests/benchmarks/RESULTS.md: 25% of a bare Django view's throughput). The
statements are plain SQL that PostgreSQL and SQLite (the development server) both run; values
SQLite returns untyped (dates and sums from aggregates) are converted here. On PostgreSQL they
are prepared statements sent in one round trip (fetch_many): planning them cost more than
running them. The scope's counts against the current and the original baseline come from one
pass over those baselines' items joined to the scope; the lists of titles added and removed are
NOT IN subqueries rather than NOT EXISTS: PostgreSQL hashes them whatever its statistics say (a
freshly loaded database planned NOT EXISTS as a 226 × 113 nested loop: 40 ms).

The health status is computed once, from the same rules as the project list's
(health.facts_for_projects, through the ORM): tests/projects/test_health.py holds the two to
the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from html import escape

from django.contrib.auth.models import User
from django.db import connection
from django.utils.dates import MONTHS_3
from django.utils.timezone import template_localtime

from projects import health
from projects.models import (
    Baseline,
    BaselineItem,
    ChangeDecision,
    ChangeOption,
    ChangeRequest,
    CostLine,
    Deliverable,
    DeliverableStatus,
    Milestone,
    MilestoneDependency,
    Project,
    ProjectRisk,
    RiskStatus,
    risk_level,
)
from roleplan import db
from roleplan.people import name_of

ATTENTION = 5  # overdue and next-due deliverables, flagged milestones, top risks shown
NEXT_MILESTONES = 4
CHANGES_SHOWN = 5
DIFF_TITLES = 10  # titles listed as added to or removed from the scope since the baseline

T = {
    "project": Project._meta.db_table,
    "editors": Project.editors.through._meta.db_table,
    "deliverable": Deliverable._meta.db_table,
    "milestone": Milestone._meta.db_table,
    "dependency": MilestoneDependency._meta.db_table,
    "cost": CostLine._meta.db_table,
    "risk": ProjectRisk._meta.db_table,
    "change": ChangeRequest._meta.db_table,
    "option": ChangeOption._meta.db_table,
    "decision": ChangeDecision._meta.db_table,
    "baseline": Baseline._meta.db_table,
    "item": BaselineItem._meta.db_table,
    "user": User._meta.db_table,
}
DONE = DeliverableStatus.DONE.value
CLOSED = RiskStatus.CLOSED.value

# The current baseline, and the original one (the approval's, always number 1).
CURRENT = "SELECT id FROM {baseline} WHERE project_id = %(project)s AND is_current".format(**T)
ORIGINAL = "SELECT id FROM {baseline} WHERE project_id = %(project)s AND number = 1".format(**T)

# One row: every count and sum of the page. Each derived table is an aggregate without GROUP BY,
# so it has exactly one row and the cross join has one row. The project's deliverables are read
# once (dl, materialized) for their counts and the scope's: the prepared statement's generic
# plan reads them through the project_id index, ~0.15 ms a pass over 300 rows, where a pass over
# the materialized rows costs a fraction of that. COUNT(*) FILTER costs less than SUM(CASE ...).
FACTS_SQL = """
WITH dl AS MATERIALIZED (SELECT id, in_scope, status, due_date, done_on, moscow
    FROM {deliverable} WHERE project_id = %(project)s)
SELECT d.*, m.*, c.*, r.*, cr.*, s.* FROM
(SELECT
    COUNT(*) AS d_total,
    COUNT(*) FILTER (WHERE in_scope) AS d_in_scope,
    COUNT(*) FILTER (WHERE in_scope AND status = '{done}') AS d_done,
    COUNT(*) FILTER (WHERE in_scope AND status = 'in_progress') AS d_in_progress,
    COUNT(*) FILTER (WHERE in_scope AND status = 'blocked') AS d_blocked,
    COUNT(*) FILTER (WHERE in_scope AND status <> '{done}' AND due_date < %(today)s)
        AS d_overdue,
    MAX(CASE WHEN in_scope AND status <> '{done}' THEN due_date END) AS d_open_due,
    COUNT(*) FILTER (WHERE in_scope AND status <> '{done}' AND due_date IS NOT NULL)
        AS d_has_open,
    MAX(CASE WHEN in_scope THEN done_on END) AS d_last_done,
    COUNT(*) FILTER (WHERE in_scope AND moscow = 'must') AS d_must,
    COUNT(*) FILTER (WHERE in_scope AND moscow = 'should') AS d_should,
    COUNT(*) FILTER (WHERE in_scope AND moscow = 'could') AS d_could
 FROM dl) AS d,
(SELECT
    COUNT(*) AS m_total,
    COUNT(*) FILTER (WHERE done_on IS NOT NULL) AS m_done,
    COUNT(*) FILTER (WHERE done_on IS NULL AND due_date < %(today)s) AS m_overdue,
    MAX(CASE WHEN done_on IS NULL THEN due_date END) AS m_open_due,
    COUNT(*) FILTER (WHERE done_on IS NULL) AS m_has_open,
    MAX(done_on) AS m_last_done,
    COUNT(*) FILTER (WHERE ms.due_date > %(deadline)s OR ms.id IN (
        SELECT dep.successor_id FROM {dependency} dep
        JOIN {milestone} succ ON succ.id = dep.successor_id
        JOIN {milestone} pre ON pre.id = dep.predecessor_id
        WHERE succ.project_id = %(project)s AND pre.due_date > succ.due_date
    )) AS m_flagged
 FROM {milestone} ms WHERE project_id = %(project)s) AS m,
(SELECT
    COUNT(*) AS c_lines,
    SUM(planned) AS c_planned,
    SUM(actual) AS c_spent,
    SUM(COALESCE(actual, planned)) AS c_forecast
 FROM {cost} WHERE project_id = %(project)s) AS c,
(SELECT
    COUNT(*) FILTER (WHERE status <> '{closed}') AS r_open,
    COUNT(*) FILTER (WHERE status <> '{closed}' AND review_date < %(today)s) AS r_late,
    COUNT(*) FILTER (WHERE status <> '{closed}' AND score >= 15) AS r_high,
    MAX(CASE WHEN status <> '{closed}' THEN score END) AS r_top
 FROM {risk} WHERE project_id = %(project)s) AS r,
(SELECT
    COUNT(*) AS cr_total,
    COUNT(*) FILTER (WHERE status = 'open') AS cr_open,
    COUNT(*) FILTER (WHERE status = 'open' AND EXISTS (
        SELECT 1 FROM {option} o WHERE o.request_id = ch.id
    )) AS cr_awaiting_decision
 FROM {change} ch WHERE project_id = %(project)s) AS cr,
(SELECT
    COUNT(*) FILTER (WHERE b.is_current) AS s_scope,
    COUNT(*) FILTER (WHERE b.is_current AND dl.id IS NULL) AS s_removed,
    COUNT(dl.id) FILTER (WHERE b.is_current) AS s_kept,
    COUNT(*) FILTER (WHERE b.number = 1) AS o_scope,
    COUNT(*) FILTER (WHERE b.number = 1 AND dl.id IS NULL) AS o_removed,
    COUNT(dl.id) FILTER (WHERE b.number = 1) AS o_kept
 FROM {baseline} b JOIN {item} i ON i.baseline_id = b.id
 LEFT JOIN dl ON dl.id = i.deliverable_ref AND dl.in_scope
 WHERE b.project_id = %(project)s AND (b.is_current OR b.number = 1)) AS s
""".format(done=DONE, closed=CLOSED, current=CURRENT, original=ORIGINAL, **T)

BASELINES_SQL = """
SELECT b.id, b.number, b.kind, b.is_current, b.deadline, b.budget, b.currency, b.created_at,
       u.first_name, u.last_name, u.username, ch.number, o.label
FROM {baseline} b
JOIN {user} u ON u.id = b.created_by_id
LEFT JOIN {decision} dc ON dc.id = b.decision_id
LEFT JOIN {change} ch ON ch.id = dc.request_id
LEFT JOIN {option} o ON o.id = dc.option_id
WHERE b.project_id = %(project)s
ORDER BY b.number
""".format(**T)

# Deliverables that need attention, and the scope's changes since the current baseline. The
# project's deliverables in scope and the current baseline's items are each read once
# (materialized) for the four lists: each list reading the tables again was a pass over the
# project's deliverables through the project_id index (the generic plan's choice), ~4 times
# the CPU of the statement as it is.
DELIVERABLES_SQL = """
WITH dl AS MATERIALIZED (SELECT id, title, due_date, status FROM {deliverable}
    WHERE project_id = %(project)s AND in_scope),
ci AS MATERIALIZED (SELECT deliverable_ref, title, due_date, moscow FROM {item}
    WHERE baseline_id = ({current}))
SELECT * FROM (SELECT 'overdue' AS k, id, title, due_date, status FROM dl
    WHERE status <> '{done}' AND due_date < %(today)s
    ORDER BY due_date, id LIMIT {n}) AS a
UNION ALL
SELECT * FROM (SELECT 'next' AS k, id, title, due_date, status FROM dl
    WHERE status <> '{done}' AND due_date >= %(today)s
    ORDER BY due_date, id LIMIT {n}) AS b
UNION ALL
SELECT * FROM (SELECT 'added' AS k, id, title, due_date, status FROM dl
    WHERE id NOT IN (SELECT deliverable_ref FROM ci)
    ORDER BY due_date, id LIMIT {titles}) AS c
UNION ALL
SELECT * FROM (SELECT 'removed' AS k, deliverable_ref, title, due_date, moscow FROM ci
    WHERE deliverable_ref NOT IN (SELECT id FROM dl)
    ORDER BY due_date, deliverable_ref LIMIT {titles}) AS e
""".format(done=DONE, n=ATTENTION, titles=DIFF_TITLES, current=CURRENT, **T)

# The next open milestones, and the flagged ones with why (one row per reason).
MILESTONES_SQL = """
SELECT * FROM (SELECT 'milestone' AS k, id, title, due_date, NULL AS why FROM {milestone}
    WHERE project_id = %(project)s AND done_on IS NULL
    ORDER BY due_date, id LIMIT {n}) AS a
UNION ALL
SELECT * FROM (SELECT 'after' AS k, id, title, due_date, NULL AS why FROM {milestone}
    WHERE project_id = %(project)s AND due_date > %(deadline)s
    ORDER BY due_date, id LIMIT {flagged}) AS b
UNION ALL
SELECT * FROM (SELECT 'before' AS k, ms.id, ms.title, ms.due_date, pre.title AS why
    FROM {milestone} ms
    JOIN {dependency} dep ON dep.successor_id = ms.id
    JOIN {milestone} pre ON pre.id = dep.predecessor_id
    WHERE ms.project_id = %(project)s AND pre.due_date > ms.due_date
    ORDER BY ms.due_date, ms.id, pre.due_date, pre.id LIMIT {reasons}) AS c
""".format(n=NEXT_MILESTONES, flagged=ATTENTION, reasons=ATTENTION * 4, **T)

RISKS_SQL = """
SELECT id, number, title, score, probability, impact, review_date FROM {risk}
WHERE project_id = %(project)s AND status <> '{closed}'
ORDER BY score DESC, number LIMIT {n}
""".format(closed=CLOSED, n=ATTENTION, **T)

CHANGES_SQL = """
SELECT ch.number, ch.title, ch.status, ch.requested_at, u.first_name, u.last_name, u.username,
       (SELECT COUNT(*) FROM {option} o WHERE o.request_id = ch.id) AS options,
       chosen.label
FROM {change} ch
JOIN {user} u ON u.id = ch.requested_by_id
LEFT JOIN {decision} dc ON dc.request_id = ch.id
LEFT JOIN {option} chosen ON chosen.id = dc.option_id
WHERE ch.project_id = %(project)s
ORDER BY CASE WHEN ch.status = 'open' THEN 0 ELSE 1 END, ch.number DESC
LIMIT {n}
""".format(n=CHANGES_SHOWN, **T)

EDITORS_SQL = """
SELECT u.first_name, u.last_name, u.username FROM {editors} e
JOIN {user} u ON u.id = e.user_id
WHERE e.project_id = %(project)s
ORDER BY u.first_name, u.last_name, u.username
""".format(**T)


# Values as the page reads them, whichever database answered -----------------------------------


def as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_money(value) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def as_datetime(value) -> datetime | None:
    """Aware, as the ORM gives it: SQLite answers a plain cursor with the stored UTC time,
    without its zone, and as text where the column is an expression's."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        from django.utils.dateparse import parse_datetime

        value = parse_datetime(str(value))
    return db.aware(value)


class Dates:
    """The page's dates as the `date` filter writes them ("j M", "j M Y", "j M Y H:i"), each
    month's name looked up once: dateformat.format costs ~20 µs a call and the page shows ~25
    dates. Aware datetimes are shown in the current time zone, as the filter shows them. A
    short date ("5 Aug") gets its year when it is not in `this_year` (today's): "5 Aug 2027"."""

    def __init__(self, this_year: int | None = None) -> None:
        self.months: dict[int, str] = {}
        self.this_year = this_year

    def month(self, number: int) -> str:
        name = self.months.get(number)
        if name is None:
            name = self.months[number] = escape(str(MONTHS_3[number]).title())
        return name

    def short(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        value = template_localtime(value)
        if self.this_year is not None and value.year != self.this_year:
            return f"{value.day} {self.month(value.month)} {value.year:04d}"
        return f"{value.day} {self.month(value.month)}"

    def long(self, value: date | datetime | None) -> str:
        if value is None:
            return ""
        value = template_localtime(value)
        return f"{value.day} {self.month(value.month)} {value.year:04d}"

    def stamp(self, value: datetime | None) -> str:
        if value is None:
            return ""
        value = template_localtime(value)
        return f"{self.long(value)} {value.hour:02d}:{value.minute:02d}"


# What the page shows -----------------------------------------------------------------------------


@dataclass
class BaselineRow:
    pk: int
    number: int
    kind: str
    is_current: bool
    deadline: date
    budget: Decimal
    currency: str
    created_at: datetime
    created_by: str
    request_number: int | None
    option_label: str | None
    url: str = ""  # the change request's page, set by the view
    deadline_text: str = ""
    created_text: str = ""

    @property
    def request_code(self) -> str:
        return f"CR-{self.request_number}"


@dataclass
class Against:
    """The project now against one baseline (the page's iron triangle)."""

    baseline: BaselineRow
    deadline_days: int
    budget_delta: Decimal
    schedule_days: int | None
    cost_variance: Decimal
    added: int
    removed: int
    baseline_scope: int
    added_titles: list[str] = field(default_factory=list)
    removed_titles: list[str] = field(default_factory=list)

    @property
    def more_added(self) -> int:
        return self.added - len(self.added_titles)

    @property
    def more_removed(self) -> int:
        return self.removed - len(self.removed_titles)


@dataclass
class Item:
    """A deliverable, milestone or risk in one of the page's short lists."""

    pk: int
    title: str
    due: date | None = None
    status: str = ""
    flags: list[str] = field(default_factory=list)
    due_short: str = ""  # "j M"
    due_long: str = ""  # "j M Y"


@dataclass
class RiskRow:
    pk: int
    number: int
    title: str
    score: int
    probability: int
    impact: int
    review_late: bool

    @property
    def code(self) -> str:
        return f"R{self.number}"

    @property
    def level(self) -> str:
        return risk_level(self.score)


@dataclass
class ChangeRow:
    number: int
    title: str
    status: str
    requested_at: datetime
    requested_by: str
    option_count: int
    chosen: str | None
    url: str = ""  # set by the view
    requested_text: str = ""

    @property
    def code(self) -> str:
        return f"CR-{self.number}"


@dataclass
class Budget:
    """The same figures as budget.BudgetSummary, summed by the database."""

    budget: Decimal
    planned: Decimal
    spent: Decimal
    forecast: Decimal
    lines: int

    @property
    def variance(self) -> Decimal:
        return self.forecast - self.budget

    @property
    def spent_percent(self) -> int:
        return round(100 * self.spent / self.budget) if self.budget else 0

    @property
    def bar_percent(self) -> int:
        return min(self.spent_percent, 100)


def fetch(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_many(statements: list[str], params: dict) -> list[list[tuple]]:
    """The rows of each statement, all with the same parameters: prepared and in one round trip
    on PostgreSQL (roleplan.db.fetch_many)."""
    return db.fetch_many([(sql, params) for sql in statements])


def baseline_rows(rows: list[tuple]) -> list[BaselineRow]:
    return [
        BaselineRow(
            pk=pk,
            number=number,
            kind=kind,
            is_current=bool(current),
            deadline=as_date(deadline),
            budget=as_money(budget),
            currency=currency,
            created_at=as_datetime(created_at),
            created_by=name_of(first, last, username),
            request_number=request_number,
            option_label=label,
        )
        for (
            pk,
            number,
            kind,
            current,
            deadline,
            budget,
            currency,
            created_at,
            first,
            last,
            username,
            request_number,
            label,
        ) in rows
    ]


# The deliverables' and the milestones' lists have the same columns: one statement (each
# statement costs ~0.1 ms of CPU on either side, whatever it reads).
LISTS_SQL = DELIVERABLES_SQL + "UNION ALL" + MILESTONES_SQL

STATEMENTS = [
    FACTS_SQL,
    BASELINES_SQL,
    LISTS_SQL,
    RISKS_SQL,
    CHANGES_SQL,
    EDITORS_SQL,
]


def overview(project: Project, today: date) -> dict:
    """The template context of the project page, from six statements whatever its size (one
    round trip on PostgreSQL)."""
    params = {"project": project.pk, "today": today, "deadline": project.deadline}
    (
        (row,),
        baseline_result,
        list_result,
        risk_result,
        change_result,
        editor_result,
    ) = fetch_many(STATEMENTS, params)
    baselines = baseline_rows(baseline_result)
    current = next((b for b in baselines if b.is_current), None)
    original = baselines[0] if baselines else None
    names = [
        "d_total",
        "d_in_scope",
        "d_done",
        "d_in_progress",
        "d_blocked",
        "d_overdue",
        "d_open_due",
        "d_has_open",
        "d_last_done",
        "d_must",
        "d_should",
        "d_could",
        "m_total",
        "m_done",
        "m_overdue",
        "m_open_due",
        "m_has_open",
        "m_last_done",
        "m_flagged",
        "c_lines",
        "c_planned",
        "c_spent",
        "c_forecast",
        "r_open",
        "r_late",
        "r_high",
        "r_top",
        "cr_total",
        "cr_open",
        "cr_awaiting_decision",
        "s_scope",
        "s_removed",
        "s_kept",
        "o_scope",
        "o_removed",
        "o_kept",
    ]
    f = {name: (0 if value is None else value) for name, value in zip(names, row, strict=True)}
    for name in ("d_open_due", "d_last_done", "m_open_due", "m_last_done"):
        f[name] = as_date(row[names.index(name)])
    budget = Budget(
        budget=project.budget,
        planned=as_money(f["c_planned"]),
        spent=as_money(f["c_spent"]),
        forecast=as_money(f["c_forecast"]),
        lines=f["c_lines"],
    )
    finish = health.forecast_finish(
        open_due=max(filter(None, [f["d_open_due"], f["m_open_due"]]), default=None),
        has_open=bool(f["d_has_open"] or f["m_has_open"]),
        last_done=max(filter(None, [f["d_last_done"], f["m_last_done"]]), default=None),
        today=today,
    )

    lists: dict[str, list[Item]] = {"overdue": [], "next": [], "added": [], "removed": []}
    next_milestones: list[Item] = []
    flagged: dict[int, Item] = {}
    for kind, pk, title, due, text in list_result:
        if kind in lists:  # a deliverable, with its status (its MoSCoW when removed)
            lists[kind].append(Item(pk, title, as_date(due), text))
        elif kind == "milestone":
            next_milestones.append(Item(pk, title, as_date(due)))
        else:  # a flagged milestone, and why ("after" the deadline or "before" `text`)
            item = flagged.setdefault(pk, Item(pk, title, as_date(due)))
            item.flags.append(
                "due after the project's deadline"
                if kind == "after"
                else f"due before “{text}”, which it depends on"
            )

    comparisons: dict[str, Against] = {}
    for key, baseline, prefix in (("current", current, "s"), ("original", original, "o")):
        if baseline is None:
            continue
        comparisons[key] = Against(
            baseline=baseline,
            deadline_days=(project.deadline - baseline.deadline).days,
            budget_delta=project.budget - baseline.budget,
            schedule_days=(finish - baseline.deadline).days if finish else None,
            cost_variance=budget.forecast - baseline.budget,
            added=f["d_in_scope"] - f[f"{prefix}_kept"],
            removed=f[f"{prefix}_removed"],
            baseline_scope=f[f"{prefix}_scope"],
        )
    against = comparisons.get("current")
    if against is not None:
        against.added_titles = [d.title for d in lists["added"]]
        against.removed_titles = [d.title for d in lists["removed"]]

    facts = health.Facts(
        forecast_finish=finish,
        forecast_cost=budget.forecast,
        overdue=f["d_overdue"] + f["m_overdue"],
        flagged=f["m_flagged"],
        top_risk=f["r_top"],
    )
    if against is not None:
        facts.baseline_deadline = current.deadline
        facts.baseline_budget = current.budget
        facts.scope_added = against.added
        facts.scope_removed = against.removed

    flagged_list = sorted(flagged.values(), key=lambda m: (m.due, m.pk))[:ATTENTION]
    for m in flagged_list:  # the deadline first, as health.milestone_flags words them
        m.flags.sort(key=lambda text: not text.startswith("due after"))

    risks = [
        RiskRow(pk, number, title, score, p, i, as_date(review) < today)
        for pk, number, title, score, p, i, review in risk_result
    ]
    changes = [
        ChangeRow(
            number,
            title,
            status,
            as_datetime(at),
            name_of(first, last, username),
            options,
            label,
        )
        for number, title, status, at, first, last, username, options, label in change_result
    ]
    editors = [name_of(*names) for names in editor_result]

    corners = {"time": "ok", "cost": "ok", "scope": "ok"}
    if against is not None:
        if (against.schedule_days or 0) > 0:
            corners["time"] = "bad"
        if against.cost_variance > 0:
            corners["cost"] = "bad"
        if against.added or against.removed:
            corners["scope"] = "warn"
    dates = Dates(this_year=today.year)
    for b in baselines:
        b.deadline_text = dates.long(b.deadline)
        b.created_text = dates.stamp(b.created_at)
    for item in lists["overdue"] + lists["next"]:
        item.due_short = dates.short(item.due)
    for item in next_milestones + flagged_list:
        item.due_short = dates.short(item.due)
        item.due_long = dates.long(item.due)
    for row in changes:
        row.requested_text = dates.short(row.requested_at)

    in_scope = f["d_in_scope"]
    return {
        "dates": {
            "start": dates.long(project.start_date),
            "deadline": dates.long(project.deadline),
            "approved": dates.long(project.approved_at),
            "forecast": dates.long(finish) or "—",
        },
        "baselines": baselines,
        "current": against,
        "original": comparisons.get("original") if original and original != current else None,
        "corners": corners,
        "facts": facts,
        "health": health.assess(facts),
        "summary": budget,
        "in_scope_count": in_scope,
        "scope": {
            "in_scope": in_scope,
            "out_of_scope": f["d_total"] - in_scope,
            "done": f["d_done"],
            "in_progress": f["d_in_progress"],
            "blocked": f["d_blocked"],
            "open": in_scope - f["d_done"],
            "overdue": f["d_overdue"],
            "percent": round(100 * f["d_done"] / in_scope) if in_scope else 0,
            "moscow": [("Must", f["d_must"]), ("Should", f["d_should"]), ("Could", f["d_could"])],
        },
        "overdue_deliverables": lists["overdue"],
        "next_deliverables": lists["next"],
        "milestone_counts": {
            "total": f["m_total"],
            "done": f["m_done"],
            "overdue": f["m_overdue"],
            "flagged": f["m_flagged"],
        },
        "next_milestones": next_milestones,
        "flagged_milestones": flagged_list,
        "top_risks": risks,
        "open_risk_count": f["r_open"],
        "late_reviews": f["r_late"],
        "high_risks": f["r_high"],
        "change_requests": changes,
        "change_counts": {
            "total": f["cr_total"],
            "open": f["cr_open"],
            "awaiting_decision": f["cr_awaiting_decision"],
            "awaiting_options": f["cr_open"] - f["cr_awaiting_decision"],
        },
        "editors": editors,
    }


SCOPE_AGAINST_SQL = """
SELECT b.number,
    (SELECT COUNT(*) FROM {item} i WHERE i.baseline_id = b.id) AS scope,
    (SELECT COUNT(*) FROM {deliverable} dl WHERE dl.project_id = b.project_id AND dl.in_scope
        AND dl.id NOT IN (SELECT i.deliverable_ref FROM {item} i
            WHERE i.baseline_id = b.id)) AS added,
    (SELECT COUNT(*) FROM {item} i WHERE i.baseline_id = b.id
        AND i.deliverable_ref NOT IN (SELECT dl.id FROM {deliverable} dl
            WHERE dl.project_id = %(project)s AND dl.in_scope)) AS removed
FROM {baseline} b WHERE b.project_id = %(project)s AND b.is_current
""".format(**T)


@dataclass(frozen=True)
class ScopeAgainst:
    number: int
    scope: int
    added: int
    removed: int


def scope_against_baseline(project: Project) -> ScopeAgainst | None:
    """The scope page's line: how many deliverables the current baseline holds, and how many
    were added to or removed from the scope since (None before approval)."""
    rows = fetch(SCOPE_AGAINST_SQL, {"project": project.pk})
    return ScopeAgainst(*rows[0]) if rows else None
