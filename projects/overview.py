"""The project page: an overview of the project, read through the ORM.

The page shows counts, sums and the few items that need attention, never every row: scope,
milestones, budget, risks and change requests each have their own page with the full lists.
Every figure is an aggregate (projects.health.figures_for_projects, the same figures the project
list reads) and every list a short one (a slice, with "and N more" on the page), so the page
costs the same number of queries whatever the size of the project. A list with nothing to show
(its count is 0) is not read.

The figures and the lists of the project's own rows cost ~25 ms of CPU to read (a dozen queries
to build and compile) on a page that costs ~10 ms to render: they are kept in the configured
cache under the project's revision (Project.revision, counted up by every write), so a project
page shown again before anything changed reads only the project and the rows that name people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, Subquery

from projects import health
from projects.models import (
    ApprovalRequest,
    Baseline,
    BaselineItem,
    ChangeRequest,
    Deliverable,
    DeliverableStatus,
    Milestone,
    MilestoneDependency,
    Project,
    ProjectRisk,
    RiskStatus,
    ScopeRemoval,
)

ATTENTION = 5  # overdue and next-due deliverables, flagged milestones, top risks shown
NEXT_MILESTONES = 4
CHANGES_SHOWN = 5
DIFF_TITLES = 10  # titles listed as added to or removed from the scope since the baseline
NAMES = ("first_name", "last_name", "username")  # what a page shows of a person
PLAN_SECONDS = 24 * 3600  # the key holds the day: a day's entry is useless the next day


@dataclass
class Against:
    """The project now against one baseline (the page's iron triangle)."""

    baseline: Baseline
    deadline_days: int
    budget_delta: Decimal
    schedule_days: int | None
    cost_variance: Decimal
    added: int
    removed: int
    baseline_scope: int
    added_titles: list[str] = field(default_factory=list)
    removed_titles: list[dict] = field(default_factory=list)  # title, reason (or None)

    @property
    def more_added(self) -> int:
        return self.added - len(self.added_titles)

    @property
    def more_removed(self) -> int:
        return self.removed - len(self.removed_titles)


def against(
    project: Project,
    baseline: Baseline,
    counts: health.BaselineScope,
    *,
    in_scope: int,
    finish: date | None,
    forecast: Decimal,
) -> Against:
    return Against(
        baseline=baseline,
        deadline_days=(project.deadline - baseline.deadline).days,
        budget_delta=project.budget - baseline.budget,
        schedule_days=(finish - baseline.deadline).days if finish else None,
        cost_variance=forecast - baseline.budget,
        added=in_scope - counts.kept,
        removed=counts.scope - counts.kept,
        baseline_scope=counts.scope,
    )


def open_deliverables(project: Project):
    return (
        Deliverable.objects.filter(project=project, in_scope=True)
        .exclude(status=DeliverableStatus.DONE)
        .only("id", "title", "due_date", "status")
        .order_by("due_date", "id")
    )


def flagged_milestones(project: Project) -> list[Milestone]:
    """The first flagged milestones, each with why (`flags`, the deadline first)."""
    late_predecessor = MilestoneDependency.objects.filter(
        successor=OuterRef("pk"), predecessor__due_date__gt=OuterRef("due_date")
    )
    rows = list(
        Milestone.objects.filter(project=project)
        .filter(Q(due_date__gt=project.deadline) | Exists(late_predecessor))
        .prefetch_related("depends_on")
        .order_by("due_date", "id")[:ATTENTION]
    )
    for m in rows:
        m.flags = health.milestone_flags(m, project.deadline)
    return rows


def change_requests(project: Project) -> tuple[list[ChangeRequest], dict]:
    """The latest requests, open ones first, and the counts of all of them. A project has a
    few requests, not hundreds: all are read (one query), the page shows the first ones."""
    rows = list(
        ChangeRequest.objects.filter(project=project)
        .select_related("requested_by", "decision__option", "decision__decided_by")
        .only(
            "project_id",
            "number",
            "title",
            "status",
            "requested_at",
            *(f"requested_by__{name}" for name in NAMES),
            "decision__option__label",
            "decision__decided_at",
            *(f"decision__decided_by__{name}" for name in NAMES),
        )
        .with_option_count()
        .order_by("-number")
    )
    open_rows = [cr for cr in rows if cr.is_open]
    waiting = sum(1 for cr in open_rows if cr.option_count)
    counts = {
        "total": len(rows),
        "open": len(open_rows),
        "awaiting_decision": waiting,
        "awaiting_options": len(open_rows) - waiting,
    }
    shown = [*open_rows, *(cr for cr in rows if not cr.is_open)][:CHANGES_SHOWN]
    return shown, counts


def latest_approval(project: Project) -> ApprovalRequest | None:
    """The project's latest approval request (waiting, or sent back), with who asked and who
    answered: one query."""
    people = ("requested_by", "decided_by")
    return (
        ApprovalRequest.objects.filter(project=project)
        .select_related(*people)
        .only(
            "project_id",
            "status",
            "note",
            "comment",
            "requested_at",
            "decided_at",
            *(f"{who}__{name}" for who in people for name in NAMES),
        )
        .order_by("-requested_at", "-id")
        .first()
    )


def plan(project: Project, today: date) -> dict:
    """What the page shows of the project's own rows: the figures and the short lists of
    deliverables, milestones and risks. It depends on nothing else than these rows and today
    (no person's name, no other app's row), so it is kept in the cache under the project's
    revision, which every write of projects.services counts up."""
    figures = health.figures_for_projects([project], today)[project.pk]
    d, m, r = figures.deliverables, figures.milestones, figures.risks
    added_titles = removed_titles = []
    if figures.current is not None and d["in_scope"] - figures.current.kept:
        in_baseline = BaselineItem.objects.filter(
            baseline__project=project, baseline__is_current=True, deliverable_ref=OuterRef("pk")
        )
        added_titles = list(
            Deliverable.objects.filter(project=project, in_scope=True)
            .exclude(Exists(in_baseline))
            .order_by("due_date", "id")
            .values_list("title", flat=True)[:DIFF_TITLES]
        )
    if figures.current is not None and figures.current.scope - figures.current.kept:
        in_scope = Deliverable.objects.filter(
            pk=OuterRef("deliverable_ref"), project=project, in_scope=True
        )
        # With the reason the product's owner gave, when it was removed that way.
        reason = ScopeRemoval.objects.filter(
            project=project, deliverable_ref=OuterRef("deliverable_ref")
        ).order_by("-at", "-id")
        removed_titles = list(
            BaselineItem.objects.filter(baseline__project=project, baseline__is_current=True)
            .exclude(Exists(in_scope))
            .annotate(reason=Subquery(reason.values("reason")[:1]))
            .order_by("due_date", "deliverable_ref")
            .values("title", "reason")[:DIFF_TITLES]
        )
    top_risks = []
    if r["open"]:
        top_risks = list(
            ProjectRisk.objects.filter(project=project)
            .exclude(status=RiskStatus.CLOSED)
            .only(
                "id", "number", "title", "probability", "impact", "score", "review_date", "status"
            )
            .order_by("-score", "number")[:ATTENTION]
        )
        for risk in top_risks:
            risk.review_late = risk.review_overdue(today)
    return {
        "figures": figures,
        "added_titles": added_titles,
        "removed_titles": removed_titles,
        "overdue_deliverables": list(
            open_deliverables(project).filter(due_date__lt=today)[:ATTENTION]
        )
        if d["overdue"]
        else [],
        "next_deliverables": list(
            open_deliverables(project).filter(due_date__gte=today)[:ATTENTION]
        )
        if d["due_ahead"]
        else [],
        "next_milestones": list(
            Milestone.objects.filter(project=project, done_on__isnull=True)
            .only("id", "title", "due_date")
            .order_by("due_date", "id")[:NEXT_MILESTONES]
        )
        if m["open"]
        else [],
        "flagged_milestones": flagged_milestones(project) if m["flagged"] else [],
        "top_risks": top_risks,
    }


def cached_plan(project: Project, today: date) -> dict:
    """plan(), from the cache when the project has not changed since (its revision) on the same
    day. The project's creation time tells apart two projects that had the same id."""
    key = ":".join(
        [
            "projects.plan",
            str(project.pk),
            project.created_at.isoformat(),
            str(project.revision),
            today.isoformat(),
        ]
    )
    value = cache.get(key)
    if value is None:
        value = plan(project, today)
        cache.set(key, value, PLAN_SECONDS)
    return value


def overview(project: Project, today: date) -> dict:
    """The template context of the project page: the same queries whatever its size, and on a
    project unchanged since it was last shown, only the ones that read people's names."""
    kept = cached_plan(project, today)
    figures = kept["figures"]
    facts = figures.facts
    d, m, r = figures.deliverables, figures.milestones, figures.risks
    budget = health.Costs.of(project, figures)
    baselines = (
        list(
            project.baselines.select_related("created_by", "decision__request", "decision__option")
            .only(
                "project_id",
                "number",
                "kind",
                "is_current",
                "deadline",
                "budget",
                "currency",
                "created_at",
                *(f"created_by__{name}" for name in NAMES),
                "decision__request__number",
                "decision__option__label",
            )
            .order_by("number")
        )
        if project.is_approved
        else []
    )
    current = next((b for b in baselines if b.is_current), None)
    original = baselines[0] if baselines else None
    comparison = {
        "in_scope": d["in_scope"],
        "finish": facts.forecast_finish,
        "forecast": budget.forecast,
    }
    now = against(project, current, figures.current, **comparison) if current else None
    first = (
        against(project, original, figures.original, **comparison)
        if original is not None and original != current
        else None
    )
    if now is not None:
        now.added_titles = kept["added_titles"]
        now.removed_titles = kept["removed_titles"]

    corners = {"time": "ok", "cost": "ok", "scope": "ok"}
    if now is not None:
        if (now.schedule_days or 0) > 0:
            corners["time"] = "bad"
        if now.cost_variance > 0:
            corners["cost"] = "bad"
        if now.added or now.removed:
            corners["scope"] = "warn"
    requests, change_counts = change_requests(project)
    approval = latest_approval(project) if not project.is_approved else None
    in_scope = d["in_scope"]
    return {
        "baselines": baselines,
        "approval": approval,
        "current": now,
        "original": first,
        "corners": corners,
        "facts": facts,
        "health": health.assess(facts),
        "summary": budget,
        "scope": {
            "in_scope": in_scope,
            "out_of_scope": d["total"] - in_scope,
            "done": d["done"],
            "in_progress": d["in_progress"],
            "blocked": d["blocked"],
            "open": in_scope - d["done"],
            "overdue": d["overdue"],
            "due_ahead": d["due_ahead"],
            "percent": round(100 * d["done"] / in_scope) if in_scope else 0,
            "moscow": [("Must", d["must"]), ("Should", d["should"]), ("Could", d["could"])],
        },
        "overdue_deliverables": kept["overdue_deliverables"],
        "next_deliverables": kept["next_deliverables"],
        "more_next": d["due_ahead"] - len(kept["next_deliverables"]),
        "milestone_counts": {
            "total": m["total"],
            "done": m["done"],
            "overdue": m["overdue"],
            "flagged": m["flagged"],
        },
        "open_milestones": m["open"],
        "next_milestones": kept["next_milestones"],
        "flagged_milestones": kept["flagged_milestones"],
        "top_risks": kept["top_risks"],
        "open_risk_count": r["open"],
        "late_reviews": r["late"],
        "high_risks": r["high"],
        "change_requests": requests,
        "change_counts": change_counts,
        "editors": list(
            User.objects.filter(editable_projects=project)
            .only(*NAMES)
            .order_by("first_name", "last_name", "username")
        ),
    }


@dataclass(frozen=True)
class ScopeAgainst:
    number: int
    scope: int
    added: int
    removed: int


def scope_against_baseline(project: Project, in_scope: int) -> ScopeAgainst | None:
    """The scope page's line: how many deliverables the current baseline holds, and how many
    were added to or removed from the scope since (None before approval). `in_scope`: the
    deliverables in scope now."""
    if not project.is_approved:
        return None
    still_in_scope = Deliverable.objects.filter(
        pk=OuterRef("items__deliverable_ref"), in_scope=True
    )
    row = (
        Baseline.objects.filter(project=project, is_current=True)
        .annotate(scope=Count("items"), kept=Count("items", filter=Exists(still_in_scope)))
        .values("number", "scope", "kept")
        .first()
    )
    if row is None:
        return None
    return ScopeAgainst(
        number=row["number"],
        scope=row["scope"],
        added=in_scope - row["kept"],
        removed=row["scope"] - row["kept"],
    )
