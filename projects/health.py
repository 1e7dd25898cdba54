"""The iron triangle against a baseline, and the health status computed from it.

The same figures and rules serve one project (the project page) and many (the project list, the
dashboard, the weekly sync's agenda): figures_for_projects reads them with a fixed number of
aggregate queries, whatever the number of projects and of their rows. RULES is shown on the
project page, so the people reading a status can check it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, DecimalField, Exists, F, Max, OuterRef, Q, Sum, Value
from django.db.models.functions import Coalesce

from projects.models import (
    Baseline,
    BaselineKind,
    CostLine,
    Deliverable,
    DeliverableStatus,
    Milestone,
    MilestoneDependency,
    Moscow,
    ProjectRisk,
    RiskStatus,
)
from roleplan.numbers import num

# Thresholds of the health rules.
OFF_TRACK_DAYS = 14  # forecast finish more than this many days after the baselined deadline
OFF_TRACK_BUDGET_PERCENT = 10  # forecast cost more than this far above the baselined budget
AT_RISK_RISK_SCORE = 15  # an open risk scoring at least this (probability × impact)
OFF_TRACK_RISK_SCORE = 20

ON_TRACK, AT_RISK, OFF_TRACK, NOT_BASELINED = "on_track", "at_risk", "off_track", "not_baselined"
LABELS = {
    ON_TRACK: "On track",
    AT_RISK: "At risk",
    OFF_TRACK: "Off track",
    NOT_BASELINED: "Not baselined",
}
# Not baselined is no verdict, good or bad: the neutral badge.
BADGES = {ON_TRACK: "ok", AT_RISK: "warn", OFF_TRACK: "bad", NOT_BASELINED: "neutral"}

RULES = [
    (
        OFF_TRACK,
        f"when the forecast finish is more than {OFF_TRACK_DAYS} days after the baselined deadline, "
        f"or the forecast at completion exceeds the baselined budget by more than "
        f"{OFF_TRACK_BUDGET_PERCENT}%, or an open risk scores {OFF_TRACK_RISK_SCORE} or more.",
    ),
    (
        AT_RISK,
        "otherwise, when the forecast finish is after the baselined deadline, the forecast at "
        "completion is above the baselined budget, work is overdue, a milestone is flagged, "
        f"an open risk scores {AT_RISK_RISK_SCORE} or more, or deliverables were added to or "
        "removed from the scope without a decided change request.",
    ),
    (ON_TRACK, "otherwise."),
]
RULE_NOTES = [
    "Forecast finish: the latest due date of the open in-scope deliverables and milestones; an "
    "overdue one counts as finishing today. When all is done, the last done date.",
    "Forecast at completion: the actual cost of the lines already spent plus the planned cost "
    "of the others. Spent: every actual amount recorded (an actual is recorded only on a line "
    "dated today or earlier). Planned to date: the planned cost of the lines dated today or "
    "earlier.",
    "A milestone is flagged when it is due after the project's deadline, or before a milestone "
    "it depends on (finish-to-start).",
]


@dataclass
class Facts:
    """What the health rules read, for one project against its current baseline."""

    baseline_deadline: date | None = None
    baseline_budget: Decimal | None = None
    forecast_finish: date | None = None
    forecast_cost: Decimal = Decimal(0)
    overdue: int = 0
    flagged: int = 0
    top_risk: int = 0
    scope_added: int = 0
    scope_removed: int = 0

    @property
    def schedule_days(self) -> int | None:
        if self.baseline_deadline is None or self.forecast_finish is None:
            return None
        return (self.forecast_finish - self.baseline_deadline).days

    @property
    def cost_variance(self) -> Decimal | None:
        if self.baseline_budget is None:
            return None
        return self.forecast_cost - self.baseline_budget


@dataclass
class Health:
    status: str
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return LABELS[self.status]

    @property
    def badge(self) -> str:
        return BADGES[self.status]


def assess(facts: Facts) -> Health:
    if facts.baseline_deadline is None:
        return Health(NOT_BASELINED, ["No approved baseline yet: nothing to measure against."])
    off, at = [], []
    days = facts.schedule_days
    if days is not None and days > OFF_TRACK_DAYS:
        off.append(f"forecast finish {days} days after the baselined deadline")
    elif days is not None and days > 0:
        at.append(
            f"forecast finish {days} day{'s' if days != 1 else ''} after the baselined deadline"
        )
    variance = facts.cost_variance
    budget = facts.baseline_budget or Decimal(0)
    if variance is not None and variance > 0:
        limit = budget * OFF_TRACK_BUDGET_PERCENT / 100
        text = f"forecast cost {num(variance, 0)} over the baselined budget"
        (off if variance > limit else at).append(text)
    if facts.top_risk >= OFF_TRACK_RISK_SCORE:
        off.append(f"an open risk scores {facts.top_risk}")
    elif facts.top_risk >= AT_RISK_RISK_SCORE:
        at.append(f"an open risk scores {facts.top_risk}")
    if facts.overdue:
        at.append(f"{facts.overdue} overdue item{'s' if facts.overdue != 1 else ''}")
    if facts.flagged:
        at.append(f"{facts.flagged} flagged milestone{'s' if facts.flagged != 1 else ''}")
    if facts.scope_added or facts.scope_removed:
        at.append(
            f"scope changed without a decision (+{facts.scope_added} / −{facts.scope_removed})"
        )
    if off:
        return Health(OFF_TRACK, off + at)
    if at:
        return Health(AT_RISK, at)
    return Health(ON_TRACK, ["within the baselined deadline and budget, nothing overdue"])


def forecast_finish(
    *, open_due: date | None, has_open: bool, last_done: date | None, today: date
) -> date | None:
    if has_open and open_due is not None:
        return max(open_due, today)
    return last_done


def milestone_flags(
    milestone: Milestone, deadline: date, predecessors: list[Milestone] | None = None
) -> list[str]:
    """Why a milestone is flagged, or an empty list. `predecessors`: what it depends on, when
    the caller has them in a list (else read from depends_on, prefetched)."""
    flags = []
    if milestone.due_date > deadline:
        flags.append("due after the project's deadline")
    if predecessors is None:
        predecessors = list(milestone.depends_on.all())
    for predecessor in predecessors:
        if milestone.due_date < predecessor.due_date:
            flags.append(f"due before “{predecessor.title}”, which it depends on")
    return flags


# Many projects, from aggregate queries ----------------------------------------------------------


@dataclass
class BaselineScope:
    """A baseline's scope against the project's scope now."""

    scope: int = 0  # deliverables the baseline holds
    kept: int = 0  # of those, still in scope


@dataclass
class Figures:
    """The counts and sums of one project, each read by the database (grouped by project): what
    the project page shows and what its health is computed from. The project list, the
    dashboard and the weekly sync read the same figures for many projects at once."""

    facts: Facts
    deliverables: dict = field(default_factory=dict)
    milestones: dict = field(default_factory=dict)
    costs: dict = field(default_factory=dict)
    risks: dict = field(default_factory=dict)
    current: BaselineScope | None = None
    original: BaselineScope | None = None


DELIVERABLE_ZEROS = dict.fromkeys(
    ["total", "in_scope", "done", "in_progress", "blocked", "overdue", "due_ahead", "has_open"]
    + ["must", "should", "could"],
    0,
) | {"open_due": None, "last_done": None}
MILESTONE_ZEROS = dict.fromkeys(["total", "done", "overdue", "open", "flagged"], 0) | {
    "open_due": None,
    "last_done": None,
}
COST_ZEROS = {
    "lines": 0,
    "planned": Decimal(0),
    "planned_to_date": Decimal(0),
    "spent": Decimal(0),
    "forecast": Decimal(0),
}
RISK_ZEROS = dict.fromkeys(["open", "late", "high", "top"], 0)


@dataclass(frozen=True)
class Costs:
    """A project's money as every page shows it: its budget and the sums of its cost lines
    (Figures.costs). The overview, the budget tab and the dashboard read this one object."""

    budget: Decimal
    currency: str
    planned: Decimal
    planned_to_date: Decimal
    spent: Decimal
    forecast: Decimal
    lines: int

    @classmethod
    def of(cls, project, figures: Figures) -> Costs:
        return cls.from_sums(project, figures.costs)

    @classmethod
    def for_project(cls, project, today: date) -> Costs:
        """One project's costs alone (the budget tab), in one query."""
        return cls.from_sums(project, cost_sums([project.pk], today).get(project.pk, COST_ZEROS))

    @classmethod
    def from_sums(cls, project, costs: dict) -> Costs:
        return cls(
            budget=project.budget,
            currency=project.currency,
            planned=costs["planned"] or Decimal(0),
            planned_to_date=costs["planned_to_date"] or Decimal(0),
            spent=costs["spent"] or Decimal(0),
            forecast=costs["forecast"] or Decimal(0),
            lines=costs["lines"],
        )

    @property
    def variance(self) -> Decimal:
        """Forecast at completion minus the budget: positive means over budget."""
        return self.forecast - self.budget

    @property
    def spent_percent(self) -> Decimal:
        return 100 * self.spent / self.budget if self.budget else Decimal(0)

    @property
    def bar_percent(self) -> int:
        return min(round(self.spent_percent), 100)

    @property
    def unallocated(self) -> Decimal:
        return self.budget - self.planned


def cost_sums(ids: list[int], today: date) -> dict[int, dict]:
    """The one reading of projects' money, in one query: the overview, the budget tab, the
    dashboard, the weekly sync's agenda and the digest all show these sums (Figures.costs).
    Projects without cost lines are missing (COST_ZEROS)."""
    zero = Value(Decimal(0))
    sums = {}
    for row in (
        CostLine.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(
            lines=Count("id"),
            planned_sum=Sum("planned"),  # not "planned": that is the field
            planned_to_date=Coalesce(
                Sum("planned", filter=Q(date__lte=today)), zero, output_field=DecimalField()
            ),
            spent=Coalesce(Sum("actual"), zero, output_field=DecimalField()),
            forecast=Sum(Coalesce("actual", "planned")),
        )
    ):
        row["planned"] = row.pop("planned_sum")
        sums[row.pop("project_id")] = row
    return sums


def figures_for_projects(projects: list, today: date) -> dict[int, Figures]:
    """Figures for each project, in five queries whatever the number of projects and rows."""
    ids = [p.pk for p in projects]
    figures = {
        p.pk: Figures(
            facts=Facts(),
            deliverables=dict(DELIVERABLE_ZEROS),
            milestones=dict(MILESTONE_ZEROS),
            costs=dict(COST_ZEROS),
            risks=dict(RISK_ZEROS),
        )
        for p in projects
    }
    if not ids:
        return figures

    scoped = Q(in_scope=True)
    open_work = scoped & ~Q(status=DeliverableStatus.DONE)
    for row in (
        Deliverable.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(
            total=Count("id"),
            scoped=Count("id", filter=scoped),  # not "in_scope": the filters below mean the field
            done=Count("id", filter=scoped & Q(status=DeliverableStatus.DONE)),
            in_progress=Count("id", filter=scoped & Q(status=DeliverableStatus.IN_PROGRESS)),
            blocked=Count("id", filter=scoped & Q(status=DeliverableStatus.BLOCKED)),
            overdue=Count("id", filter=open_work & Q(due_date__lt=today)),
            due_ahead=Count("id", filter=open_work & Q(due_date__gte=today)),
            has_open=Count("id", filter=open_work & Q(due_date__isnull=False)),
            open_due=Max("due_date", filter=open_work),
            last_done=Max("done_on", filter=scoped),
            must=Count("id", filter=scoped & Q(moscow=Moscow.MUST)),
            should=Count("id", filter=scoped & Q(moscow=Moscow.SHOULD)),
            could=Count("id", filter=scoped & Q(moscow=Moscow.COULD)),
        )
    ):
        row["in_scope"] = row.pop("scoped")
        figures[row.pop("project_id")].deliverables = row

    late_predecessor = MilestoneDependency.objects.filter(
        successor=OuterRef("pk"), predecessor__due_date__gt=OuterRef("due_date")
    )
    still_open = Q(done_on__isnull=True)
    for row in (
        Milestone.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(
            total=Count("id"),
            done=Count("id", filter=~still_open),
            overdue=Count("id", filter=still_open & Q(due_date__lt=today)),
            open=Count("id", filter=still_open),
            open_due=Max("due_date", filter=still_open),
            last_done=Max("done_on"),
            flagged=Count(
                "id", filter=Q(due_date__gt=F("project__deadline")) | Exists(late_predecessor)
            ),
        )
    ):
        figures[row.pop("project_id")].milestones = row

    for pk, row in cost_sums(ids, today).items():
        figures[pk].costs = row

    not_closed = ~Q(status=RiskStatus.CLOSED)
    for row in (
        ProjectRisk.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(
            open=Count("id", filter=not_closed),
            late=Count("id", filter=not_closed & Q(review_date__lt=today)),
            high=Count("id", filter=not_closed & Q(score__gte=AT_RISK_RISK_SCORE)),
            top=Coalesce(Max("score", filter=not_closed), 0),
        )
    ):
        figures[row.pop("project_id")].risks = row

    # The current and the original (approval) baseline, each with its scope against the scope
    # now: how many of its deliverables are still in scope. The rest of the baseline was
    # removed; the deliverables in scope beyond those kept were added.
    still_in_scope = Deliverable.objects.filter(
        pk=OuterRef("items__deliverable_ref"), in_scope=True
    )
    for baseline in (
        Baseline.objects.filter(project_id__in=ids)
        .filter(Q(is_current=True) | Q(kind=BaselineKind.APPROVAL))
        .annotate(scope=Count("items"), kept=Count("items", filter=Exists(still_in_scope)))
        .only("project_id", "is_current", "kind", "deadline", "budget")
    ):
        f = figures[baseline.project_id]
        counts = BaselineScope(scope=baseline.scope, kept=baseline.kept)
        if baseline.is_current:
            f.facts.baseline_deadline = baseline.deadline
            f.facts.baseline_budget = baseline.budget
            f.current = counts
        if baseline.kind == BaselineKind.APPROVAL:
            f.original = counts

    for f in figures.values():
        d, m = f.deliverables, f.milestones
        f.facts.overdue = d["overdue"] + m["overdue"]
        f.facts.flagged = m["flagged"]
        f.facts.forecast_finish = forecast_finish(
            open_due=max(filter(None, [d["open_due"], m["open_due"]]), default=None),
            has_open=bool(d["has_open"] or m["open"]),
            last_done=max(filter(None, [d["last_done"], m["last_done"]]), default=None),
            today=today,
        )
        f.facts.forecast_cost = f.costs["forecast"] or Decimal(0)
        f.facts.top_risk = f.risks["top"] or 0
        if f.current is not None:
            f.facts.scope_added = d["in_scope"] - f.current.kept
            f.facts.scope_removed = f.current.scope - f.current.kept
    return figures


FIGURES_SECONDS = 24 * 3600  # the key holds the day: a day's entry is useless the next day


def figures_key(project, today: date) -> str:
    """Where a project's figures of `today` are kept: its revision (counted up by every write
    of projects.services) changes the key, so nothing is ever stale. The creation time tells
    apart two projects that had the same id."""
    return ":".join(
        [
            "projects.figures",
            str(project.pk),
            project.created_at.isoformat(),
            str(project.revision),
            today.isoformat(),
        ]
    )


def figures_cached(projects: list, today: date) -> dict[int, Figures]:
    """figures_for_projects, from the configured cache for the projects unchanged since they
    were last read (one round trip), read (five queries) only for the others. `projects` come
    with `revision` and `created_at`."""
    keys = {figures_key(p, today): p for p in projects}
    found = cache.get_many(list(keys))
    missing = [p for key, p in keys.items() if key not in found]
    fresh = figures_for_projects(missing, today) if missing else {}
    if fresh:
        cache.set_many({figures_key(p, today): fresh[p.pk] for p in missing}, FIGURES_SECONDS)
    return {**{keys[key].pk: value for key, value in found.items()}, **fresh}
