"""The iron triangle against a baseline, and the health status computed from it.

The same rules serve one project (the project page, from the SQL aggregates of
projects/overview.py) and many (the project list and the dashboard, from a few aggregate queries:
facts_for_projects); tests/projects/test_health.py holds the two to the same facts. RULES is
shown on the project page, so the people reading a status can check it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import Coalesce

from projects.models import (
    Baseline,
    BaselineItem,
    CostLine,
    Deliverable,
    DeliverableStatus,
    Milestone,
    MilestoneDependency,
    ProjectRisk,
    RiskStatus,
)

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
BADGES = {ON_TRACK: "ok", AT_RISK: "warn", OFF_TRACK: "bad", NOT_BASELINED: "info"}

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
    "of the others.",
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
        text = f"forecast cost {variance:,.0f} over the baselined budget"
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


def milestone_flags(milestone: Milestone, deadline: date) -> list[str]:
    """Why a milestone is flagged (prefetched depends_on), or an empty list."""
    flags = []
    if milestone.due_date > deadline:
        flags.append("due after the project's deadline")
    for predecessor in milestone.depends_on.all():
        if milestone.due_date < predecessor.due_date:
            flags.append(f"due before “{predecessor.title}”, which it depends on")
    return flags


# Many projects, from aggregate queries ----------------------------------------------------------


def facts_for_projects(projects: list, today: date) -> dict[int, Facts]:
    """Facts for each project, in a fixed number of queries whatever the number of projects."""
    ids = [p.pk for p in projects]
    facts = {p.pk: Facts() for p in projects}
    if not ids:
        return facts
    open_q = ~Q(status=DeliverableStatus.DONE)
    rows = (
        Deliverable.objects.filter(project_id__in=ids, in_scope=True)
        .values("project_id")
        .annotate(
            open_due=Max("due_date", filter=open_q),
            has_open=Count("id", filter=open_q & Q(due_date__isnull=False)),
            last_done=Max("done_on"),
            overdue=Count("id", filter=open_q & Q(due_date__lt=today)),
        )
    )
    dates: dict[int, dict] = defaultdict(dict)
    for row in rows:
        dates[row["project_id"]] = row
    for row in (
        Milestone.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(
            open_due=Max("due_date", filter=Q(done_on__isnull=True)),
            has_open=Count("id", filter=Q(done_on__isnull=True)),
            last_done=Max("done_on"),
            overdue=Count("id", filter=Q(done_on__isnull=True, due_date__lt=today)),
        )
    ):
        d = dates[row["project_id"]]
        d["open_due"] = max(filter(None, [d.get("open_due"), row["open_due"]]), default=None)
        d["has_open"] = (d.get("has_open") or 0) + row["has_open"]
        d["last_done"] = max(filter(None, [d.get("last_done"), row["last_done"]]), default=None)
        d["overdue"] = (d.get("overdue") or 0) + row["overdue"]
    for pk, d in dates.items():
        f = facts[pk]
        f.overdue = d.get("overdue") or 0
        f.forecast_finish = forecast_finish(
            open_due=d.get("open_due"),
            has_open=bool(d.get("has_open")),
            last_done=d.get("last_done"),
            today=today,
        )

    late_predecessor = MilestoneDependency.objects.filter(
        successor=OuterRef("pk"), predecessor__due_date__gt=OuterRef("due_date")
    )
    for row in (
        Milestone.objects.filter(project_id__in=ids)
        .filter(Q(due_date__gt=F("project__deadline")) | Exists(late_predecessor))
        .values("project_id")
        .annotate(n=Count("id"))
    ):
        facts[row["project_id"]].flagged = row["n"]

    for row in (
        CostLine.objects.filter(project_id__in=ids)
        .values("project_id")
        .annotate(total=Sum(Coalesce("actual", "planned")))
    ):
        facts[row["project_id"]].forecast_cost = row["total"] or Decimal(0)

    for row in (
        ProjectRisk.objects.filter(project_id__in=ids)
        .exclude(status=RiskStatus.CLOSED)
        .values("project_id")
        .annotate(top=Max("score"))
    ):
        facts[row["project_id"]].top_risk = row["top"] or 0

    for baseline in Baseline.objects.filter(project_id__in=ids, is_current=True):
        f = facts[baseline.project_id]
        f.baseline_deadline = baseline.deadline
        f.baseline_budget = baseline.budget

    in_current = BaselineItem.objects.filter(
        baseline__project_id=OuterRef("project_id"),
        baseline__is_current=True,
        deliverable_ref=OuterRef("pk"),
    )
    for row in (
        Deliverable.objects.filter(
            project_id__in=ids, in_scope=True, project__approved_at__isnull=False
        )
        .exclude(Exists(in_current))
        .values("project_id")
        .annotate(n=Count("id"))
    ):
        facts[row["project_id"]].scope_added = row["n"]
    still_in_scope = Deliverable.objects.filter(pk=OuterRef("deliverable_ref"), in_scope=True)
    for row in (
        BaselineItem.objects.filter(baseline__project_id__in=ids, baseline__is_current=True)
        .exclude(Exists(still_in_scope))
        .values("baseline__project_id")
        .annotate(n=Count("id"))
    ):
        facts[row["baseline__project_id"]].scope_removed = row["n"]
    return facts
