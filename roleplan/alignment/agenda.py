"""Build sync meetings' agendas from live product and project data.

Four sections, in the order of the meeting (status, backlog prioritisation, pipeline,
problem-solving). Each entry has a key naming what it is about ("cr:12", "ms:4"), so rebuilding
refreshes texts and keeps the ticks; an entry no longer true is marked stale, not deleted, so
nothing discussed disappears.

Agendas are built for many meetings at once (the reminder job prepares them in chunks): each
kind of fact is read in one query for all the meetings' projects or products, with the loosest
of their time windows, and split per meeting in Python with each meeting's own window. One
meeting (the sync page's refresh) goes through the same code. The number of queries depends
neither on the data size nor on the number of meetings (only the health facts and the spend,
which are as of a day, are read once per distinct local date of the meetings).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Sum
from django.urls import reverse

from products.models import Horizon, ProductRisk, RoadmapItem, RoadmapItemChange
from products.models import RiskStatus as ProductRiskStatus
from products.models import Status as ItemStatus
from products.scoring import whole
from projects.health import assess, facts_for_projects
from projects.models import (
    ChangeRequest,
    CostLine,
    Deliverable,
    Milestone,
    Project,
    ProjectRisk,
    RiskStatus,
)
from roleplan.alignment.models import AgendaEntry, Section, SyncMeeting, Tone
from roleplan.ownership.models import GAP_HELP, Asset
from roleplan.people import display_name

HIGH_RISK = 15
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
ENTRY_FIELDS = ["section", "title", "detail", "url", "tone", "position", "stale"]


@dataclass
class Item:
    section: str
    key: str
    title: str
    detail: str = ""
    url: str = ""
    tone: str = Tone.INFO


@dataclass
class Target:
    """One meeting to build: with its series, project, product and product asset loaded; its
    agenda covers what changed `since` (the previous sync's start), as of `today`."""

    meeting: SyncMeeting
    since: datetime
    today: date

    @property
    def project(self) -> Project:
        return self.meeting.series.project


def money(amount: Decimal | None, currency: str) -> str:
    return f"{currency} {amount or 0:,.0f}"


def choice_labels(model, field: str) -> dict:
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


def label(labels: dict, value) -> str:
    """What get_FOO_display() shows: the choice's label, or the value itself."""
    return labels.get(value, str(value))


def link(name: str, *args: object) -> str:
    return reverse(name, args=args)


def previous_starts(meetings: Iterable[SyncMeeting]) -> dict[int, datetime]:
    """When the last sync of each meeting's series started, before that meeting; a week before
    the meeting for the first. One query."""
    meetings = list(meetings)
    earlier = SyncMeeting.objects.filter(
        series_id=OuterRef("series_id"), starts_at__lt=OuterRef("starts_at")
    ).order_by("-starts_at")
    found = dict(
        SyncMeeting.objects.filter(pk__in=[m.pk for m in meetings])
        .annotate(previous=Subquery(earlier.values("starts_at")[:1]))
        .values_list("pk", "previous")
    )
    return {m.pk: found.get(m.pk) or m.starts_at - timedelta(days=7) for m in meetings}


# --- the four sections, for many meetings ------------------------------------------------------


def status_items(targets: list[Target]) -> dict[int, list[Item]]:
    projects = {t.project.pk: t.project for t in targets}
    ids = list(projects)
    oldest = min(t.since for t in targets)
    oldest_day = oldest.date()
    latest_today = max(t.today for t in targets)
    by_today: dict[date, list] = defaultdict(list)
    for t in targets:
        by_today[t.today].append(t.project)
    facts, spend = {}, {}
    for today, group in by_today.items():
        for pk, fact in facts_for_projects(group, today).items():
            facts[today, pk] = fact
        for row in (
            CostLine.objects.filter(project_id__in=[p.pk for p in group])
            .order_by()
            .values("project_id")
            .annotate(
                planned_to_date=Sum("planned", filter=Q(date__lte=today)),
                actual_to_date=Sum("actual", filter=Q(date__lte=today)),
                planned_total=Sum("planned"),
            )
        ):
            spend[today, row["project_id"]] = row
    milestones = defaultdict(list)
    for row in (
        Milestone.objects.filter(project_id__in=ids)
        .filter(
            Q(due_date__gte=oldest_day, due_date__lte=latest_today + timedelta(days=7))
            | Q(done_on__isnull=True, due_date__lt=latest_today)
            | Q(done_on__gte=oldest_day)
        )
        .order_by("due_date", "id")
        .values_list("project_id", "pk", "title", "due_date", "done_on")
    ):
        milestones[row[0]].append(row[1:])
    changed = defaultdict(list)
    moscow = choice_labels(Deliverable, "moscow")
    for row in (
        Deliverable.objects.filter(project_id__in=ids, updated_at__gte=oldest)
        .filter(Q(created_at__gte=oldest) | Q(in_scope=False))
        .order_by("id")
        .values_list("project_id", "pk", "title", "moscow", "in_scope", "created_at", "updated_at")
    ):
        changed[row[0]].append(row[1:])

    out = {}
    for t in targets:
        project, today, since = t.project, t.today, t.since
        since_day = since.date()
        project_url = link("projects:detail", project.slug)
        health = assess(facts[today, project.pk])
        items = [
            Item(
                Section.STATUS,
                "health",
                f"Project health: {health.label}",
                "; ".join(health.reasons),
                project_url,
                health.badge,
            )
        ]
        for pk, title, due_date, done_on in milestones[project.pk]:
            if not (
                since_day <= due_date <= today + timedelta(days=7)
                or (done_on is None and due_date < today)
                or (done_on is not None and done_on >= since_day)
            ):
                continue
            if done_on:
                title, tone = f"Milestone done: {title}", Tone.GOOD
                detail = f"done {done_on:%d %b}, due {due_date:%d %b}"
            elif due_date < today:
                title, tone = f"Milestone missed: {title}", Tone.BAD
                late = (today - due_date).days
                detail = f"was due {due_date:%d %b}, {late} day{'s' if late != 1 else ''} ago"
            else:
                title, tone = f"Milestone due: {title}", Tone.INFO
                detail = f"due {due_date:%a %d %b}"
            items.append(Item(Section.STATUS, f"ms:{pk}", title, detail, project_url, tone))

        row = spend.get((today, project.pk), {})
        planned = row.get("planned_to_date") or Decimal(0)
        actual = row.get("actual_to_date") or Decimal(0)
        currency = project.currency
        items.append(
            Item(
                Section.STATUS,
                "spend",
                f"Spend: {money(actual, currency)} against {money(planned, currency)} planned to date",
                f"budget {money(project.budget, currency)}; all cost lines plan "
                f"{money(row.get('planned_total'), currency)}",
                project_url,
                Tone.WARN if actual > planned else Tone.INFO,
            )
        )
        for pk, title, moscow_value, in_scope, created_at, updated_at in changed[project.pk]:
            if updated_at < since:
                continue
            if created_at >= since and in_scope:
                title = f"Scope added: {title}"
            elif not in_scope:
                title = f"Scope removed: {title}"
            else:
                continue
            items.append(
                Item(
                    Section.STATUS,
                    f"scope:{pk}",
                    title,
                    label(moscow, moscow_value),
                    project_url,
                    Tone.WARN,
                )
            )
        out[t.meeting.pk] = items
    return out


def backlog_items(targets: list[Target]) -> dict[int, list[Item]]:
    product_ids = {t.project.product_id for t in targets}
    oldest = min(t.since for t in targets)
    changes = defaultdict(list)
    for change in (
        RoadmapItemChange.objects.filter(item__product_id__in=product_ids, at__gte=oldest)
        .select_related("item")
        .order_by("item_id", "at", "id")
    ):
        changes[change.item.product_id].append(change)
    horizons = choice_labels(RoadmapItem, "horizon")
    statuses = choice_labels(RoadmapItem, "status")

    out = {}
    for t in targets:
        product = t.project.product
        by_item: dict[int, dict] = {}
        for change in changes[product.pk]:
            if change.at < t.since:
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
        slug = product.asset.slug
        for item_id, entry in by_item.items():
            item = entry["item"]
            url = link("products:item", slug, item_id)
            score = f"RICE {whole(item.rice_score)} · ICE {item.ice_score}"
            if entry["new"]:
                items.append(
                    Item(
                        Section.BACKLOG,
                        f"item:{item_id}",
                        f"New: {item.title}",
                        f"{label(horizons, item.horizon)} · {label(statuses, item.status)} · {score}",
                        url,
                        Tone.INFO,
                    )
                )
            elif entry["fields"]:
                moves = "; ".join(
                    f"{name} {old} → {new}" for name, (old, new) in entry["fields"].items()
                )
                items.append(
                    Item(
                        Section.BACKLOG,
                        f"item:{item_id}",
                        f"Reprioritised: {item.title}",
                        f"{moves} · now {score}",
                        url,
                        Tone.INFO,
                    )
                )
        out[t.meeting.pk] = items
    return out


def pipeline_items(targets: list[Target]) -> dict[int, list[Item]]:
    products = {t.project.product_id: t.project.product for t in targets}
    in_scope = Deliverable.objects.filter(roadmap_item=OuterRef("pk"), in_scope=True)
    horizons = choice_labels(RoadmapItem, "horizon")
    statuses = choice_labels(RoadmapItem, "status")
    per_product = defaultdict(list)
    for product_id, pk, title, horizon, rank, status, rice in (
        RoadmapItem.objects.filter(
            product_id__in=list(products), horizon__in=[Horizon.NOW, Horizon.NEXT]
        )
        .exclude(status__in=[ItemStatus.SHIPPED, ItemStatus.DROPPED])
        .annotate(scheduled=Exists(in_scope))
        .filter(scheduled=False)
        .order_by("product_id", "horizon", "rank", "id")
        .values_list("product_id", "pk", "title", "horizon", "rank", "status", "rice_score")
    ):
        slug = products[product_id].asset.slug
        per_product[product_id].append(
            Item(
                Section.PIPELINE,
                f"pipe:{pk}",
                f"Not yet in any project: {title}",
                f"{label(horizons, horizon)} #{rank + 1} · {label(statuses, status)} · RICE {whole(rice)}",
                link("products:item", slug, pk),
                Tone.WARN if horizon == Horizon.NOW else Tone.INFO,
            )
        )
    return {t.meeting.pk: list(per_product[t.project.product_id]) for t in targets}


def problem_items(targets: list[Target]) -> dict[int, list[Item]]:
    projects = {t.project.pk: t.project for t in targets}
    products = {t.project.product_id: t.project.product for t in targets}
    latest_today = max(t.today for t in targets)
    requests = defaultdict(list)
    for project_id, pk, number, title, why, n_options in (
        ChangeRequest.objects.open()
        .filter(project_id__in=list(projects))
        .annotate(n_options=Count("options"))
        .order_by("project_id", "number")
        .values_list("project_id", "pk", "number", "title", "why", "n_options")
    ):
        waiting = (
            "awaits the product manager's decision"
            if n_options
            else "awaits options from the project manager"
        )
        requests[project_id].append(
            Item(
                Section.PROBLEMS,
                f"cr:{pk}",
                f"CR-{number} {title}: {waiting}",
                f"{n_options} option{'s' if n_options != 1 else ''} · why: {why[:200]}",
                link("projects:change", projects[project_id].slug, number),
                Tone.WARN,
            )
        )
    # Risks scoring high or past their review date (as of the latest of the meetings' days;
    # each meeting keeps those risky as of its own day).
    risky = Q(score__gte=HIGH_RISK) | Q(review_date__lt=latest_today)
    project_risks = defaultdict(list)
    for risk in (
        ProjectRisk.objects.filter(project_id__in=list(projects))
        .exclude(status=RiskStatus.CLOSED)
        .filter(risky)
        .select_related("owner")
        .order_by("project_id", "-score", "id")
    ):
        project_risks[risk.project_id].append(risk)
    product_risks = defaultdict(list)
    for risk in (
        ProductRisk.objects.filter(product_id__in=list(products))
        .exclude(status=ProductRiskStatus.CLOSED)
        .filter(risky)
        .order_by("product_id", "-score", "id")
    ):
        product_risks[risk.product_id].append(risk)
    assets = Asset.objects.for_list().in_bulk([p.asset_id for p in products.values()])

    out = {}
    for t in targets:
        project, today = t.project, t.today
        product = project.product
        items = list(requests[project.pk])
        risks_url = link("projects:risks", project.slug)
        for risk in project_risks[project.pk]:
            late = risk.review_date < today
            if not (risk.score >= HIGH_RISK or late):
                continue
            items.append(
                Item(
                    Section.PROBLEMS,
                    f"prisk:{risk.pk}",
                    f"Project risk R{risk.number}: {risk.title}",
                    f"score {risk.score}{' · review overdue since ' + risk.review_date.strftime('%d %b') if late else ''}"
                    f" · owner {display_name(risk.owner)}",
                    risks_url,
                    Tone.BAD if risk.score >= HIGH_RISK else Tone.WARN,
                )
            )
        product_url = link("products:detail", product.asset.slug)
        for risk in product_risks[product.pk]:
            late = risk.review_date is not None and risk.review_date < today
            if not (risk.score >= HIGH_RISK or late):
                continue
            items.append(
                Item(
                    Section.PROBLEMS,
                    f"drisk:{risk.pk}",
                    f"Product risk: {risk.title}",
                    f"{risk.get_category_display()} · score {risk.score}"
                    f"{' · review overdue' if late else ''}",
                    product_url,
                    Tone.BAD if risk.score >= HIGH_RISK else Tone.WARN,
                )
            )
        asset = assets[product.asset_id]
        for gap in asset.gaps:
            items.append(
                Item(
                    Section.PROBLEMS,
                    f"gap:{asset.pk}:{gap}",
                    f"Ownership gap on {asset.name}: {gap.label}",
                    GAP_HELP[gap],
                    link("ownership:asset", asset.slug),
                    Tone.BAD if gap == "ownerless" else Tone.WARN,
                )
            )
        out[t.meeting.pk] = items
    return out


# --- collecting and writing ---------------------------------------------------------------------


def collect_many(targets: Iterable[Target]) -> dict[int, list[Item]]:
    """Each meeting's agenda items, in order, by meeting id."""
    targets = list({t.meeting.pk: t for t in targets}.values())
    if not targets:
        return {}
    out = status_items(targets)
    with_product = [t for t in targets if t.project.product_id is not None]
    if with_product:
        sections = (
            backlog_items(with_product),
            pipeline_items(with_product),
            problem_items(with_product),
        )
        for t in with_product:
            for section in sections:
                out[t.meeting.pk] += section[t.meeting.pk]
    return out


def build_many(targets: Iterable[Target]) -> tuple[int, int]:
    """Create or refresh the entries of these meetings. Returns (created, marked stale)."""
    wanted = collect_many(targets)
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
    return len(new), len(gone)


def insert_entries(entries: list[AgendaEntry]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING: an entry a concurrent build wrote first stays (the
    unique (meeting, key) constraint drops the repeat)."""
    AgendaEntry.objects.bulk_create(entries, ignore_conflicts=True, batch_size=1000)
