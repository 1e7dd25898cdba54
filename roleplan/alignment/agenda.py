"""Build a pair's sync agenda from live product and project data: signal, not a dump.

A pair's meeting covers every active project the two share, grouped by product then project.
Each product contributes its backlog news, its pipeline, its KPI measurements, its risks and its
ownership gaps; each project its status (health and spend), the milestones that need talking
about, its scope changes, its change requests and its risks.

"New" and "changed" mean since the previous meeting's agenda: each build stores what it saw in
the meeting's `snapshot` (the projects and products covered, the scope in force, milestone dates,
risk scores), and the next build compares live data with it (roadmap news with the item history
since the previous agenda was built). A project or product the previous meeting did not cover
(the pair's first meeting, a project that just joined the pair) is compared with its current
baseline instead: baselined scope is not news, what was never in scope is not "removed", and
roadmap items, risks and KPI measurements count from the baseline's day.

What each section keeps:
- status: the health verdict with its reasons (neutral when not baselined) and the spend from
  projects.health.figures_for_projects (spent, planned to date, planned);
- milestones overdue, due within two weeks, flagged (projects.health.milestone_flags), moved
  since the last sync or done since, each named with its dates;
- change requests raised, waiting on one of the two (options from the project manager, or the
  product owner's decision), or decided since the last sync, with the outcome;
- KPI measurements since the last sync; risks new or worsened (score up);
- the pipeline: at most PIPELINE_TOP items of "Next" that no project delivers
  (products.extensions.item_deliveries), best ranked first.

Every entry has a key naming what it is about ("p12:cr:3"), so rebuilding refreshes texts and
keeps the ticks; an entry no longer true is marked stale, not deleted. Agendas are built for
many meetings at once (the reminder job prepares them in chunks): each kind of fact is read in
one query for all the meetings, whatever their number and the data's size (the health figures
once per distinct local date).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from products.extensions import item_deliveries, knows_deliveries
from products.models import (
    Horizon,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapItem,
    RoadmapItemChange,
)
from products.models import RiskStatus as ProductRiskStatus
from products.models import Status as ItemStatus
from products.scoring import scores_text
from projects.health import Costs, assess, figures_for_projects, milestone_flags
from projects.models import (
    Baseline,
    BaselineItem,
    ChangeRequest,
    ChangeStatus,
    Deliverable,
    Milestone,
    MilestoneDependency,
    Project,
    ProjectRisk,
    RiskStatus,
)
from roleplan.alignment.models import (
    PRODUCT_SECTIONS,
    PROJECT_SECTIONS,
    SECTION_CAP,
    AgendaEntry,
    Section,
    SyncMeeting,
    Tone,
    projects_of,
)
from roleplan.numbers import money, quantity
from roleplan.ownership.models import GAP_HELP, Asset
from roleplan.people import display_name

# A milestone due within this many days needs talking about.
DUE_SOON_DAYS = 14
# Items of "Next" that no project delivers yet, shown at most.
PIPELINE_TOP = 3
# Roadmap fields whose change matters to prioritisation.
PRIORITY_FIELDS = {
    "rank",
    "horizon",
    "status",
    "reach",
    "impact",
    "confidence",
    "effort",
    "ice_impact",
    "ice_confidence",
    "ice_ease",
}
ENTRY_FIELDS = [
    "section",
    "product",
    "project",
    "title",
    "detail",
    "url",
    "tone",
    "position",
    "stale",
]


@dataclass
class Item:
    section: str
    key: str
    title: str
    detail: str = ""
    url: str = ""
    tone: str = Tone.INFO
    product_id: int | None = None
    project_id: int | None = None


@dataclass
class Target:
    """One meeting to build (its series with the pair loaded), as of `today`."""

    meeting: SyncMeeting
    today: date


@dataclass
class Plan:
    """What one meeting's agenda covers and since when: filled in by `plan`."""

    target: Target
    projects: list[Project]
    products: list[Product]
    previous: dict = field(default_factory=dict)  # the previous meeting's snapshot
    previous_at: datetime | None = None  # when the previous agenda was built
    baseline_at: dict[int, datetime] = field(default_factory=dict)  # project id -> current
    baseline_scope: dict[int, dict[int, str]] = field(default_factory=dict)

    @property
    def meeting(self) -> SyncMeeting:
        return self.target.meeting

    def covered(self, kind: str, pk: int) -> bool:
        return pk in set(self.previous.get(kind, []))

    def project_since(self, project: Project) -> datetime:
        """Since when a project's news count: the previous agenda when it covered the project,
        else the project's current baseline (else a week before the meeting)."""
        if self.previous_at is not None and self.covered("projects", project.pk):
            return self.previous_at
        return self.baseline_at.get(project.pk) or self.meeting.starts_at - timedelta(days=7)

    def product_since(self, product: Product) -> datetime:
        if self.previous_at is not None and self.covered("products", product.pk):
            return self.previous_at
        times = [self.project_since(p) for p in self.projects if p.product_id == product.pk]
        return min(times, default=self.meeting.starts_at - timedelta(days=7))


def link(name: str, *args: object) -> str:
    return reverse(name, args=args)


def day(value: date) -> str:
    return f"{value:%a} {value.day} {value:%b}"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- planning: which projects and products, since when ----------------------------------------


def plan(targets: list[Target]) -> list[Plan]:
    """Each meeting's projects (the pair's shared active projects), its products, the previous
    meeting's snapshot and the current baselines: four queries for any number of meetings."""
    meetings = [t.meeting for t in targets]
    earlier = SyncMeeting.objects.filter(
        series_id=OuterRef("series_id"), starts_at__lt=OuterRef("starts_at")
    ).order_by("-starts_at")
    previous_ids = dict(
        SyncMeeting.objects.filter(pk__in=[m.pk for m in meetings])
        .annotate(previous=Subquery(earlier.values("pk")[:1]))
        .values_list("pk", "previous")
    )
    previous = SyncMeeting.objects.in_bulk([pk for pk in previous_ids.values() if pk])
    projects = projects_of({m.series_id: m.series for m in meetings}.values())
    all_projects = {p.pk: p for ps in projects.values() for p in ps}
    baselines: dict[int, tuple[int, datetime]] = {
        project_id: (pk, created_at)
        for pk, project_id, created_at in Baseline.objects.filter(
            project_id__in=list(all_projects), is_current=True
        ).values_list("pk", "project_id", "created_at")
    }
    scope: dict[int, dict[int, str]] = defaultdict(dict)
    by_baseline = {pk: project_id for project_id, (pk, _) in baselines.items()}
    for baseline_id, ref, title in BaselineItem.objects.filter(
        baseline_id__in=list(by_baseline)
    ).values_list("baseline_id", "deliverable_ref", "title"):
        scope[by_baseline[baseline_id]][ref] = title
    plans = []
    for target in targets:
        meeting = target.meeting
        own = projects[meeting.series_id]
        products = list({p.product_id: p.product for p in own}.values())
        before = previous.get(previous_ids.get(meeting.pk))
        plans.append(
            Plan(
                target=target,
                projects=own,
                products=products,
                previous=(before.snapshot or {}) if before else {},
                previous_at=(before.prepared_at or before.starts_at) if before else None,
                baseline_at={p.pk: baselines[p.pk][1] for p in own if p.pk in baselines},
                baseline_scope={p.pk: scope.get(p.pk, {}) for p in own},
            )
        )
    return plans


# --- the facts, read once for every meeting --------------------------------------------------


@dataclass
class Facts:
    figures: dict[tuple[date, int], object] = field(default_factory=dict)
    milestones: dict[int, list[Milestone]] = field(default_factory=lambda: defaultdict(list))
    predecessors: dict[int, list[Milestone]] = field(default_factory=lambda: defaultdict(list))
    scope: dict[int, dict[int, tuple[str, str]]] = field(default_factory=lambda: defaultdict(dict))
    requests: dict[int, list[ChangeRequest]] = field(default_factory=lambda: defaultdict(list))
    project_risks: dict[int, list[ProjectRisk]] = field(default_factory=lambda: defaultdict(list))
    product_risks: dict[int, list[ProductRisk]] = field(default_factory=lambda: defaultdict(list))
    measurements: dict[int, list[KpiMeasurement]] = field(default_factory=lambda: defaultdict(list))
    changes: dict[int, list[RoadmapItemChange]] = field(default_factory=lambda: defaultdict(list))
    next_items: dict[int, list[RoadmapItem]] = field(default_factory=lambda: defaultdict(list))
    delivered: set[int] = field(default_factory=set)
    assets: dict[int, Asset] = field(default_factory=dict)


def read_facts(plans: list[Plan]) -> Facts:
    facts = Facts()
    projects = {p.pk: p for pl in plans for p in pl.projects}
    products = {p.pk: p for pl in plans for p in pl.products}
    if not projects:
        return facts
    ids, product_ids = list(projects), list(products)
    oldest = min(
        [pl.project_since(p) for pl in plans for p in pl.projects]
        + [pl.product_since(p) for pl in plans for p in pl.products]
    )
    by_today: dict[date, list[Project]] = defaultdict(list)
    for pl in plans:
        by_today[pl.target.today] += pl.projects
    for today, group in by_today.items():
        unique = list({p.pk: p for p in group}.values())
        for pk, figures in figures_for_projects(unique, today).items():
            facts.figures[today, pk] = figures

    for milestone in Milestone.objects.filter(project_id__in=ids).order_by("due_date", "id"):
        facts.milestones[milestone.project_id].append(milestone)
    milestone_by_pk = {m.pk: m for ms in facts.milestones.values() for m in ms}
    for successor, predecessor in MilestoneDependency.objects.filter(
        successor_id__in=list(milestone_by_pk)
    ).values_list("successor_id", "predecessor_id"):
        if predecessor in milestone_by_pk:
            facts.predecessors[successor].append(milestone_by_pk[predecessor])

    for project_id, pk, title, moscow in Deliverable.objects.filter(
        project_id__in=ids, in_scope=True
    ).values_list("project_id", "pk", "title", "moscow"):
        facts.scope[project_id][pk] = (title, moscow)

    for request in (
        ChangeRequest.objects.filter(project_id__in=ids)
        .filter(
            Q(status=ChangeStatus.OPEN)
            | Q(requested_at__gte=oldest)
            | Q(decision__decided_at__gte=oldest)
        )
        .with_option_count()
        .select_related("decision__option")
        .order_by("project_id", "number")
    ):
        facts.requests[request.project_id].append(request)

    for risk in (
        ProjectRisk.objects.filter(project_id__in=ids)
        .exclude(status=RiskStatus.CLOSED)
        .select_related("owner")
        .order_by("project_id", "-score", "id")
    ):
        facts.project_risks[risk.project_id].append(risk)
    for risk in (
        ProductRisk.objects.filter(product_id__in=product_ids)
        .exclude(status=ProductRiskStatus.CLOSED)
        .order_by("product_id", "-score", "id")
    ):
        facts.product_risks[risk.product_id].append(risk)
    for measurement in (
        KpiMeasurement.objects.filter(kpi__product_id__in=product_ids, date__gte=oldest.date())
        .select_related("kpi")
        .order_by("kpi__name", "kpi_id", "date", "id")
    ):
        facts.measurements[measurement.kpi.product_id].append(measurement)
    for change in (
        RoadmapItemChange.objects.filter(item__product_id__in=product_ids, at__gte=oldest)
        .select_related("item")
        .order_by("item_id", "at", "id")
    ):
        facts.changes[change.item.product_id].append(change)
    for item in (
        RoadmapItem.objects.filter(product_id__in=product_ids, horizon=Horizon.NEXT)
        .exclude(status__in=[ItemStatus.SHIPPED, ItemStatus.DROPPED])
        .order_by("product_id", "rank", "id")
    ):
        facts.next_items[item.product_id].append(item)
    if knows_deliveries():
        facts.delivered = set(
            item_deliveries(i.pk for items in facts.next_items.values() for i in items)
        )
    facts.assets = Asset.objects.for_list().in_bulk([p.asset_id for p in products.values()])
    return facts


# --- a project's lines -------------------------------------------------------------------------


def status_items(pl: Plan, project: Project, facts: Facts, scope: str) -> list[Item]:
    today = pl.target.today
    figures = facts.figures[today, project.pk]
    health = assess(figures.facts)
    url = link("projects:detail", project.slug)
    costs = Costs.of(project, figures)
    currency = project.currency
    return [
        Item(
            Section.STATUS,
            f"{scope}:health",
            f"Health: {health.label}",
            "; ".join(health.reasons),
            url,
            health.badge,
        ),
        Item(
            Section.STATUS,
            f"{scope}:spend",
            f"Spend: {money(costs.spent, currency)} against "
            f"{money(costs.planned_to_date, currency)} planned to date",
            f"{money(costs.planned, currency)} planned in all · budget "
            f"{money(costs.budget, currency)}",
            link("projects:budget", project.slug),
            Tone.WARN if costs.spent > costs.planned_to_date else Tone.INFO,
        ),
    ]


def milestone_items(pl: Plan, project: Project, facts: Facts, scope: str) -> list[Item]:
    today = pl.target.today
    since = pl.project_since(project)
    before = pl.previous.get("milestones", {}) if pl.covered("projects", project.pk) else {}
    url = link("projects:timeline", project.slug)
    items = []
    for m in facts.milestones[project.pk]:
        facts_of = []
        was = before.get(str(m.pk))
        moved = was is not None and was != m.due_date.isoformat()
        if m.done_on is not None:
            if m.done_on < since.date():
                continue
            word, tone = "done", Tone.GOOD
            facts_of.append(f"done {day(m.done_on)}, due {day(m.due_date)}")
        else:
            flags = milestone_flags(m, project.deadline, facts.predecessors[m.pk])
            overdue = m.due_date < today
            soon = today <= m.due_date <= today + timedelta(days=DUE_SOON_DAYS)
            if not (overdue or soon or flags or moved):
                continue
            if overdue:
                late = (today - m.due_date).days
                word, tone = "overdue", Tone.BAD
                facts_of.append(f"was due {day(m.due_date)}, {plural(late, 'day')} ago")
            elif flags:
                word, tone = "flagged", Tone.BAD
                facts_of.append(f"due {day(m.due_date)}")
            elif moved:
                word, tone = "moved", Tone.WARN
                facts_of.append(f"due {day(m.due_date)}")
            else:
                word, tone = "due", Tone.INFO
                facts_of.append(f"due {day(m.due_date)}")
            for flag in flags:
                if flag == "due after the project's deadline":
                    flag = f"{flag} ({day(project.deadline)})"
                facts_of.append(flag)
        if moved:
            facts_of.append(f"moved from {day(date.fromisoformat(was))} since the last sync")
        items.append(
            Item(
                Section.MILESTONES,
                f"{scope}:ms:{m.pk}",
                f"Milestone {word}: {m.title} ({day(m.due_date)})",
                " · ".join(facts_of),
                url,
                tone,
            )
        )
    return items


def scope_items(pl: Plan, project: Project, facts: Facts, scope: str) -> list[Item]:
    """Deliverables added to or removed from the scope since the previous agenda, or, at the
    project's first meeting, against its current baseline."""
    now = {pk: title for pk, (title, _) in facts.scope[project.pk].items()}
    moscow = {pk: m for pk, (_, m) in facts.scope[project.pk].items()}
    if pl.covered("projects", project.pk):
        before = {
            int(pk): t for pk, t in pl.previous.get("scope", {}).get(str(project.pk), {}).items()
        }
    else:
        before = pl.baseline_scope.get(project.pk, {})
        if not before and project.pk not in pl.baseline_at:
            return []  # not baselined: nothing to compare with
    url = link("projects:scope", project.slug)
    items = [
        Item(
            Section.SCOPE,
            f"{scope}:scope:{pk}",
            f"Scope added: {title}",
            moscow[pk],
            url,
            Tone.WARN,
        )
        for pk, title in now.items()
        if pk not in before
    ]
    items += [
        Item(Section.SCOPE, f"{scope}:scope:{pk}", f"Scope removed: {title}", "", url, Tone.WARN)
        for pk, title in before.items()
        if pk not in now
    ]
    return items


def change_items(pl: Plan, project: Project, facts: Facts, scope: str) -> list[Item]:
    since = pl.project_since(project)
    series = pl.meeting.series
    owner, manager = display_name(series.product_manager), display_name(series.project_manager)
    items = []
    for cr in facts.requests[project.pk]:
        url = link("projects:change", project.slug, cr.number)
        raised = f"raised {day(cr.requested_at.date())}"
        if cr.status == ChangeStatus.OPEN:
            if cr.option_count:
                title = f"{cr.code} {cr.title}: awaits {owner}'s decision"
                detail = f"{plural(cr.option_count, 'option')} · {raised}"
            else:
                title = f"{cr.code} {cr.title}: awaits options from {manager}"
                detail = f"{raised} · why: {cr.why[:160]}"
            tone = Tone.WARN
        else:
            decision = getattr(cr, "decision", None)
            if decision is None or decision.decided_at < since:
                continue
            outcome = decision.get_outcome_display().lower()
            chosen = (
                f" (option {decision.option.label}: {decision.option.title})"
                if decision.option
                else ""
            )
            title = f"{cr.code} {cr.title}: {outcome}{chosen}"
            detail = f"decided {day(decision.decided_at.date())} · {decision.rationale[:160]}"
            tone = Tone.GOOD if decision.option else Tone.INFO
        items.append(Item(Section.CHANGES, f"{scope}:cr:{cr.pk}", title, detail, url, tone))
    return items


def risk_item(
    risk, was: int | None, since: datetime, key: str, title: str, url: str
) -> Item | None:
    """A risk that is new (not seen by the previous agenda, and created since) or worsened
    (its score up since the previous agenda)."""
    if was is None and risk.created_at >= since:
        return Item(Section.RISKS, key, f"New risk: {title}", f"score {risk.score}", url, Tone.WARN)
    if was is not None and risk.score > was:
        return Item(
            Section.RISKS,
            key,
            f"Risk worsened: {title}",
            f"score {was} → {risk.score}",
            url,
            Tone.BAD,
        )
    return None


def project_items(pl: Plan, project: Project, facts: Facts) -> list[Item]:
    scope = f"p{project.pk}"
    items = status_items(pl, project, facts, scope)
    items += milestone_items(pl, project, facts, scope)
    items += scope_items(pl, project, facts, scope)
    items += change_items(pl, project, facts, scope)
    before = pl.previous.get("risks", {}) if pl.covered("projects", project.pk) else {}
    since = pl.project_since(project)
    url = link("projects:risks", project.slug)
    for risk in facts.project_risks[project.pk]:
        item = risk_item(
            risk,
            before.get(f"{scope}:{risk.pk}"),
            since,
            f"{scope}:risk:{risk.pk}",
            f"{risk.code} {risk.title} (owner {display_name(risk.owner)})",
            url,
        )
        if item:
            items.append(item)
    for item in items:
        item.product_id, item.project_id = project.product_id, project.pk
    return items


# --- a product's lines -------------------------------------------------------------------------


def backlog_items(pl: Plan, product: Product, facts: Facts, scope: str) -> list[Item]:
    since = pl.product_since(product)
    by_item: dict[int, dict] = {}
    for change in facts.changes[product.pk]:
        if change.at < since:
            continue
        entry = by_item.setdefault(
            change.item_id, {"item": change.item, "new": False, "fields": {}}
        )
        if change.action == "created":
            entry["new"] = True
        for diff in change.changes or []:
            if diff.get("field") in PRIORITY_FIELDS or change.action == "moved":
                first = entry["fields"].setdefault(
                    diff.get("label") or diff.get("field"), [diff.get("old"), None]
                )
                first[1] = diff.get("new")
    items = []
    for item_id, entry in by_item.items():
        item = entry["item"]
        url = link("products:item", product.asset.slug, item_id)
        score = scores_text(scoring=product.scoring, rice=item.rice_score, ice=item.ice_score)
        where = f"{item.get_horizon_display()} · {item.get_status_display()}"
        if entry["new"]:
            title, detail = f"New: {item.title}", f"{where} · {score}"
        elif entry["fields"]:
            moves = "; ".join(
                f"{name} {old} → {new}"
                for name, (old, new) in entry["fields"].items()
                if old != new
            )
            if not moves:
                continue
            title, detail = f"Reprioritised: {item.title}", f"{moves} · now {score}"
        else:
            continue
        items.append(Item(Section.BACKLOG, f"{scope}:item:{item_id}", title, detail, url))
    return items


def pipeline_items(pl: Plan, product: Product, facts: Facts, scope: str) -> list[Item]:
    if not knows_deliveries():
        return []
    waiting = [i for i in facts.next_items[product.pk] if i.pk not in facts.delivered]
    return [
        Item(
            Section.PIPELINE,
            f"{scope}:pipe:{item.pk}",
            f"Next, in no project yet: {item.title}",
            f"Next #{n} · {item.get_status_display()} · "
            + scores_text(scoring=product.scoring, rice=item.rice_score, ice=item.ice_score),
            link("products:item", product.asset.slug, item.pk),
        )
        for n, item in enumerate(waiting[:PIPELINE_TOP], start=1)
    ]


def kpi_items(pl: Plan, product: Product, facts: Facts, scope: str) -> list[Item]:
    since = pl.product_since(product).date()
    latest: dict[int, list[KpiMeasurement]] = defaultdict(list)
    for m in facts.measurements[product.pk]:
        if m.date >= since:
            latest[m.kpi_id].append(m)
    items = []
    for kpi_id, rows in latest.items():
        kpi, last = rows[-1].kpi, rows[-1]
        detail = [f"target {quantity(kpi.target, kpi.unit)}"] if kpi.target is not None else []
        if len(rows) > 1:
            detail.append(f"{plural(len(rows), 'measurement')} since the last sync")
        items.append(
            Item(
                Section.KPIS,
                f"{scope}:kpi:{kpi_id}",
                f"KPI {kpi.name}: {quantity(last.value, kpi.unit)} on {day(last.date)}",
                " · ".join(detail),
                link("products:detail", product.asset.slug),
            )
        )
    return items


def product_items(pl: Plan, product: Product, facts: Facts) -> list[Item]:
    scope = f"d{product.pk}"
    items = backlog_items(pl, product, facts, scope)
    items += pipeline_items(pl, product, facts, scope)
    items += kpi_items(pl, product, facts, scope)
    before = pl.previous.get("risks", {}) if pl.covered("products", product.pk) else {}
    since = pl.product_since(product)
    url = link("products:detail", product.asset.slug)
    for risk in facts.product_risks[product.pk]:
        item = risk_item(
            risk,
            before.get(f"{scope}:{risk.pk}"),
            since,
            f"{scope}:risk:{risk.pk}",
            f"{risk.title} ({risk.get_category_display().lower()})",
            url,
        )
        if item:
            items.append(item)
    asset = facts.assets.get(product.asset_id)
    for gap in asset.gaps if asset else []:
        items.append(
            Item(
                Section.PROBLEMS,
                f"{scope}:gap:{gap}",
                f"Ownership gap on {asset.name}: {gap.label}",
                GAP_HELP[gap],
                link("ownership:asset", asset.slug),
                Tone.BAD if gap == "ownerless" else Tone.WARN,
            )
        )
    for item in items:
        item.product_id = product.pk
    return items


# --- collecting and writing --------------------------------------------------------------------


def snapshot(pl: Plan, facts: Facts) -> dict:
    """What this agenda saw: the next one says what changed against it."""
    projects = [p.pk for p in pl.projects]
    products = [p.pk for p in pl.products]
    return {
        "projects": projects,
        "products": products,
        "scope": {
            str(pk): {str(d): title for d, (title, _) in facts.scope[pk].items()} for pk in projects
        },
        "milestones": {
            str(m.pk): m.due_date.isoformat() for pk in projects for m in facts.milestones[pk]
        },
        "risks": {
            **{f"p{pk}:{r.pk}": r.score for pk in projects for r in facts.project_risks[pk]},
            **{f"d{pk}:{r.pk}": r.score for pk in products for r in facts.product_risks[pk]},
        },
    }


def collect_many(targets: Iterable[Target]) -> tuple[dict[int, list[Item]], dict[int, dict]]:
    """Each meeting's agenda items in order (by product, then its projects), and its
    snapshot, by meeting id."""
    targets = list({t.meeting.pk: t for t in targets}.values())
    if not targets:
        return {}, {}
    plans = plan(targets)
    facts = read_facts(plans)
    items: dict[int, list[Item]] = {}
    snapshots: dict[int, dict] = {}
    for pl in plans:
        lines: list[Item] = []
        for product in sorted(pl.products, key=lambda p: p.asset.name):
            lines += product_items(pl, product, facts)
            for project in pl.projects:
                if project.product_id == product.pk:
                    lines += project_items(pl, project, facts)
        items[pl.meeting.pk] = lines
        snapshots[pl.meeting.pk] = snapshot(pl, facts)
    return items, snapshots


def build_many(targets: Iterable[Target]) -> tuple[int, int]:
    """Create or refresh the entries of these meetings and store what each saw. Returns
    (created, marked stale)."""
    wanted, snapshots = collect_many(targets)
    existing: dict[int, dict[str, AgendaEntry]] = {pk: {} for pk in wanted}
    for entry in AgendaEntry.objects.filter(meeting_id__in=list(wanted)):
        existing[entry.meeting_id][entry.key] = entry
    new, changed, gone = [], [], []
    for meeting_id, items in wanted.items():
        current = existing[meeting_id]
        for position, item in enumerate(items):
            entry = current.pop(item.key, None)
            fields = {
                "section": item.section,
                "product_id": item.product_id,
                "project_id": item.project_id,
                "title": item.title[:300],
                "detail": item.detail[:500],
                "url": item.url,
                "tone": item.tone,
                "position": position,
                "stale": False,
            }
            if entry is None:
                new.append(AgendaEntry(meeting_id=meeting_id, key=item.key, **fields))
            elif any(getattr(entry, k) != v for k, v in fields.items()):
                for k, v in fields.items():
                    setattr(entry, k, v)
                changed.append(entry)
        for entry in current.values():
            if not entry.stale:
                entry.stale = True
                gone.append(entry)
    insert_entries(new)
    if changed or gone:
        AgendaEntry.objects.bulk_update(changed + gone, ENTRY_FIELDS, batch_size=500)
    meetings = [SyncMeeting(pk=pk, snapshot=snap) for pk, snap in snapshots.items()]
    SyncMeeting.objects.bulk_update(meetings, ["snapshot"], batch_size=500)
    return len(new), len(gone)


def insert_entries(entries: list[AgendaEntry]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: an entry a concurrent build wrote first stays (the
    unique (meeting, key) constraint drops the repeat)."""
    AgendaEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=1000)


# --- reading: the agenda as the page and the reminder show it ----------------------------------


def _block(block_id: str, name: str, url: str, order: list, entries: list, full: bool) -> dict:
    """One product's or project's part of the agenda: its sections in order, each capped at
    SECTION_CAP lines unless `full`."""
    sections = []
    for section in order:
        lines = [e for e in entries if e.section == section]
        if lines:
            shown = lines if full else lines[:SECTION_CAP]
            sections.append(
                {
                    "key": section.value,
                    "label": section.label,
                    "entries": shown,
                    "count": len(lines),
                    "more": len(lines) - len(shown),
                }
            )
    return {"id": block_id, "name": name, "url": url, "sections": sections, "projects": []}


def grouped(entries: list[AgendaEntry], *, full: bool = False) -> list[dict]:
    """Entries (in position order, with `product.asset` and `project` loaded) as the agenda
    shows them: by product, its own sections first, then each of its projects'. Lines of
    agendas built before the pair series have no product: listed last, as they were."""
    products: dict[int | None, dict] = {}
    for entry in entries:
        group = products.setdefault(entry.product_id, {"entries": [], "projects": {}})
        if entry.project_id is None or entry.product_id is None:
            group["entries"].append(entry)
        else:
            group["projects"].setdefault(entry.project_id, []).append(entry)
    groups = []
    for product_id, group in sorted(products.items(), key=lambda kv: kv[0] is None):
        if product_id is None:
            head = _block("earlier", "Earlier agenda", "", list(Section), group["entries"], full)
        else:
            first = (group["entries"] or next(iter(group["projects"].values())))[0]
            head = _block(
                f"d{product_id}",
                first.product.asset.name,
                reverse("products:detail", args=[first.product.asset.slug]),
                PRODUCT_SECTIONS,
                group["entries"],
                full,
            )
        head["projects"] = [
            _block(
                f"p{project_id}",
                lines[0].project.name,
                reverse("projects:detail", args=[lines[0].project.slug]),
                PROJECT_SECTIONS,
                lines,
                full,
            )
            for project_id, lines in group["projects"].items()
        ]
        groups.append(head)
    return groups


def shown_entries(groups: list[dict]) -> list[AgendaEntry]:
    return [
        e for g in groups for b in [g, *g["projects"]] for s in b["sections"] for e in s["entries"]
    ]
