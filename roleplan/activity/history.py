"""History on everything: who changed which field of what, from what to what, and when.

How it is kept
- django-simple-history keeps a copy of a row after each save (a "historical" row) for every
  editable model of products, projects and the ownership registry: HISTORY below. The copies
  are registered from this app (`register(..., app="roleplan.activity")`), so their tables and
  migrations live in roleplan/activity/migrations and no app below has to know this one. A
  copy keeps only what its columns are (AuthoredHistory.copy_fields): a new label, help text,
  choice or validator in products or projects needs nothing here; a new or retyped column of a
  registered model needs `manage.py makemigrations activity` beside its own migration.
- Who: the service's `by`. roleplan/versioning.py names the author on the row it saves
  (save_edit, save_fields) and writes history for the services' bulk writes (create_rows,
  edit_rows: simple-history's bulk_create_with_history / bulk_update_with_history). A row
  created by a service carries `updated_by=by`, which names the author of its first copy
  (AuthoredHistory). Only a save that names no one falls back to the person signed in
  (simple-history's request middleware), so the API, commands and tasks record their author
  too. QuerySet.update() is not seen: rank-only writes (a reorder, the import's ranks) leave no
  history on purpose; every other bulk write goes through versioning.py.
- Not kept: who may edit (the editors lists), a hypothesis's linked items, dependencies between
  deliverables (many-to-many and link rows), computed scores (GeneratedFields, derived), and the
  version/updated_by/updated_at bookkeeping, which the history row states itself.
- The weekly sync (alignment): a pair's series settings (when they meet, paused), and the
  topics, action items and decisions of its meetings. The invitation's bookkeeping on a series
  (sequence, schedule_from, ended_at) is written by machines (the reminders, the end of a pair)
  through QuerySet.update() or together with a person's edit, so it is never listed. A
  meeting's history is its shared notes ("sync-notes": the copies keep the notes alone; the
  agenda's builds write the rest of the row with QuerySet.update(), unseen). Meetings are made
  in bulk, so notes_save keeps a first copy before the first edit (versioning.keep_first_copy).
  Not kept: agenda ticks, participants, deliveries and reminder settings. Who may read these histories: the sync's own access
  (roleplan/alignment/access.py), in activity/views/history.py.

Roadmap items: one log, the roadmap's own
Roadmap items already had their change log, products.RoadmapItemChange: written by
products/services.py in the same transaction as each save, with the fields' old and new values
as a person reads them, and with a note and a link when the change came from elsewhere
(imported from a file, a hypothesis concluded, a change request decided). The stale-edit page
and the weekly sync's agenda read it. Registering RoadmapItem with simple-history as well would
give an item two accounts of "what changed"; so roadmap items are not registered, and this
module reads RoadmapItemChange as the items' history, beside the historical rows of everything
else. One source of truth per object type; the Activity pages show both as one list.

Reading
`feed(sources, page)` lists the newest entries of several sources as one page: the keys
(time, row, kind) of every source in one UNION query, ordered and cut to the page in the
database; then, per kind on the page, its rows with the id of each row's previous copy (one
query) and those previous copies (one query); then the people and rows the changed fields name
(one query per model). The count of queries depends on the kinds on the page, not on how many
entries there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import CharField, F, OuterRef, Q, Subquery, Value
from django.urls import reverse
from simple_history import register
from simple_history.models import HistoricalRecords

from products.models import (
    Hypothesis,
    Kpi,
    KpiMeasurement,
    Product,
    ProductRisk,
    RoadmapItem,
    RoadmapItemChange,
)
from projects.models import (
    ChangeOption,
    ChangeRequest,
    CostLine,
    Deliverable,
    Milestone,
    Project,
    ProjectRisk,
)
from roleplan.alignment.models import ActionItem, Decision, SyncMeeting, SyncSeries, Topic
from roleplan.ownership.models import Asset
from roleplan.people import display_name
from roleplan.versioning import shown_one

PER_PAGE = 25
# What each history row states itself, or what changes on every save: never listed as a change.
BOOKKEEPING = frozenset({"id", "version", "updated_by", "updated_at", "created_at", "revision"})


class AuthoredHistory(HistoricalRecords):
    """simple-history's records with one more rule for the author: a row that a service has
    just created names its author in a field (`updated_by`: every create of a versioned row
    passes `updated_by=by`; a measurement's `recorded_by`, a change request's `requested_by`)."""

    def __init__(self, *, author: str = "updated_by", **kwargs) -> None:
        super().__init__(**kwargs)
        self.author = author

    def copy_fields(self, model):
        """The copies keep only what their columns are: a change of a field's label, help,
        choices or validators in its own app needs no migration here. Entries are read through
        the model's own fields (labels, choices' labels)."""
        fields = super().copy_fields(model)
        for copied in fields.values():
            copied.__dict__.pop("validators", None)  # a cached_property copied along
            copied._validators = []
            copied.help_text = ""
            copied.choices = None
            copied.verbose_name = copied._verbose_name = None
        return fields

    def post_save(self, instance, created, using=None, **kwargs):
        named = getattr(instance, f"{self.author}_id", None) is not None
        if created and named and not hasattr(instance, "_history_user"):
            instance._history_user = getattr(instance, self.author)
        super().post_save(instance, created, using=using, **kwargs)


def _generated(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.GeneratedField)]


@dataclass(frozen=True)
class Kind:
    """One type of object with a history: how it is named in addresses and lists."""

    slug: str
    label: str
    model: type[models.Model]
    # What the object was called, read from one historical row (no query).
    title: Callable[[Any], str]
    # The fields never listed as changes (besides BOOKKEEPING).
    quiet: frozenset[str] = frozenset()
    # Who created a row, as its creating service wrote it.
    author: str = "updated_by"
    # How a line of the Activity tab names the kind: "changed product risk …".
    noun: str = ""
    # Columns the copies do not keep at all (machine-written, or large and derived).
    excluded: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.noun:
            noun = self.label if self.label.isupper() else self.label.lower()
            object.__setattr__(self, "noun", noun)

    @property
    def history_model(self) -> type[models.Model]:
        return self.model.history.model


KINDS: dict[str, Kind] = {
    k.slug: k
    for k in [
        Kind("product", "Product", Product, lambda h: "", noun="the product"),
        Kind("asset", "Ownership record", Asset, lambda h: h.name, frozenset({"slug"})),
        Kind("kpi", "KPI", Kpi, lambda h: h.name),
        Kind(
            "measurement",
            "KPI measurement",
            KpiMeasurement,
            lambda h: f"{shown_one(h.value)} on {shown_one(h.date)}",
            author="recorded_by",
        ),
        Kind("hypothesis", "Hypothesis", Hypothesis, lambda h: _short(h.hypothesis)),
        Kind("product-risk", "Product risk", ProductRisk, lambda h: h.title),
        Kind("project", "Project", Project, lambda h: h.name, frozenset({"slug"})),
        Kind("deliverable", "Deliverable", Deliverable, lambda h: h.title),
        Kind("milestone", "Milestone", Milestone, lambda h: h.title),
        Kind("cost-line", "Cost line", CostLine, lambda h: h.description),
        Kind("project-risk", "Project risk", ProjectRisk, lambda h: f"R{h.number} {h.title}"),
        Kind(
            "change",
            "Change request",
            ChangeRequest,
            lambda h: f"CR-{h.number} {h.title}",
            author="requested_by",
        ),
        Kind("change-option", "Change option", ChangeOption, lambda h: f"{h.label}: {h.title}"),
        Kind(
            "sync-series",
            "Sync settings",
            SyncSeries,
            lambda h: "Weekly sync",
            frozenset({"sequence", "schedule_from", "ended_at"}),
            noun="the weekly sync's settings",
        ),
        Kind("topic", "Topic", Topic, lambda h: _short(h.text), author="raised_by"),
        Kind(
            "action-item", "Action item", ActionItem, lambda h: _short(h.text), author="created_by"
        ),
        Kind("decision", "Decision", Decision, lambda h: _short(h.text), author="made_by"),
        # A meeting's own history is its shared notes: the rest of its row is the agenda's
        # builds (machine writes), not kept.
        Kind(
            "sync-notes",
            "Sync notes",
            SyncMeeting,
            lambda h: "Shared notes",
            author="notes_updated_by",
            noun="the shared notes",
            excluded=frozenset(
                {"starts_at", "prepared_at", "snapshot", "agenda_stamp", "notes_version"}
                | {"notes_updated_by", "notes_updated_at", "created_at"}
            ),
        ),
    ]
}
# Roadmap items: their history is products.RoadmapItemChange (see the module's docstring).
ITEM = "item"
ITEM_LABEL = "Roadmap item"
# A sync meeting's history: the topics, action items and decisions raised in it.
MEETING = "meeting"
MEETING_LABEL = "Sync meeting"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 90 else text[:89].rstrip() + "…"


def register_all() -> None:
    """Give every kind its historical model, in this app (called once, from models.py)."""
    for kind in KINDS.values():
        register(
            kind.model,
            app="roleplan.activity",
            records_class=AuthoredHistory,
            author=kind.author,
            excluded_fields=[*_generated(kind.model), *sorted(kind.excluded)],
        )


# Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    """One save of one object, as the Activity lists show it."""

    at: datetime
    by: Any  # a User or None (a save no one is named for)
    kind: str
    kind_label: str
    noun: str
    title: str
    action: str  # "created", "changed", "deleted", "moved"
    url: str = ""
    changes: list[Change] = field(default_factory=list)
    note: str = ""
    link: str = ""

    @property
    def who(self) -> str:
        return display_name(self.by) if self.by is not None else "Someone not recorded"


@dataclass(frozen=True)
class Source:
    """The history rows of one kind that a list shows: `where` filters them."""

    kind: str
    where: Q


def _keys(source: Source) -> models.QuerySet:
    tag = Value(source.kind, output_field=CharField())
    if source.kind == ITEM:
        rows = RoadmapItemChange.objects.filter(source.where)
        return rows.order_by().annotate(h_at=F("at"), h_row=F("id"), h_kind=tag)
    rows = KINDS[source.kind].history_model.objects.filter(source.where)
    return rows.order_by().annotate(h_at=F("history_date"), h_row=F("history_id"), h_kind=tag)


def _union(sources: list[Source]) -> models.QuerySet:
    parts = [_keys(s).values_list("h_at", "h_row", "h_kind") for s in sources]
    first, *rest = parts
    return first.union(*rest, all=True) if rest else first


def feed(sources: list[Source], page: int | str | None, *, item_url=None) -> Page:
    """One page of the entries of `sources`, newest first; each entry in `page.object_list`.

    `item_url(item_id)` is the address of a roadmap item's page (the product is known there)."""
    keys = _union(sources).order_by("-h_at", "-h_row")
    paginator = Paginator(keys, PER_PAGE)
    result = paginator.get_page(page)
    rows = list(result.object_list)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for _at, row_id, kind in rows:
        by_kind[kind].append(row_id)
    entries: dict[tuple[str, int], Entry] = {}
    names = _Names()
    for kind, ids in by_kind.items():
        if kind == ITEM:
            entries.update(_item_entries(ids, item_url))
        else:
            entries.update(_entries(KINDS[kind], ids, names))
    names.resolve()
    result.object_list = [entries[(kind, row_id)] for _at, row_id, kind in rows]
    return result


def _item_entries(ids: list[int], item_url) -> dict[tuple[str, int], Entry]:
    found = {}
    for change in RoadmapItemChange.objects.filter(pk__in=ids).select_related("item", "by"):
        found[(ITEM, change.pk)] = Entry(
            at=change.at,
            by=change.by,
            kind=ITEM,
            kind_label=ITEM_LABEL,
            noun="roadmap item",
            title=change.item.title,
            action="changed" if change.action == "edited" else change.action,
            url=item_url(change.item_id) if item_url else "",
            changes=[Change(c["label"], c["old"], c["new"]) for c in change.changes or []],
            note=change.note,
            link=change.link,
        )
    return found


class _Names:
    """The people and rows that changed fields name, fetched once per model for a page."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.pending: list[tuple[Entry, int, type[models.Model], Any, Any, str]] = []

    def later(self, entry: Entry, related: type[models.Model], old: Any, new: Any, label: str):
        for value in (old, new):
            if value is not None:
                self.wanted[related].add(value)
        entry.changes.append(Change(label, "", ""))
        self.pending.append((entry, len(entry.changes) - 1, related, old, new, label))

    def resolve(self) -> None:
        user_model = get_user_model()
        found: dict[type[models.Model], dict[Any, str]] = {}
        for related, ids in self.wanted.items():
            objects = related._default_manager.all()
            if related is Product:
                objects = objects.select_related("asset")
            if related is user_model:
                found[related] = {u.pk: display_name(u) for u in objects.filter(pk__in=ids)}
            else:
                found[related] = {o.pk: str(o) for o in objects.filter(pk__in=ids)}
        for entry, index, related, old, new, label in self.pending:
            names = found.get(related, {})

            def name(value: Any, names=names) -> str:
                if value is None:
                    return "—"
                return names.get(value, "(deleted)")

            entry.changes[index] = Change(label, name(old), name(new))


def _label(model_field: models.Field) -> str:
    label = str(model_field.verbose_name)
    return label[:1].upper() + label[1:]


def _shown(model_field: models.Field, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if model_field.choices:
        for key, label in model_field.flatchoices:
            if str(key) == str(value):
                return str(label)
    return shown_one(value)


def _entries(kind: Kind, ids: list[int], names: _Names) -> dict[tuple[str, int], Entry]:
    history = kind.history_model
    previous = history.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
    rows = list(
        history.objects.filter(history_id__in=ids)
        .select_related("history_user")
        .annotate(previous_id=Subquery(previous.order_by("-history_id").values("history_id")[:1]))
    )
    before = history.objects.in_bulk([r.previous_id for r in rows if r.previous_id])
    tracked = [
        f
        for f in kind.model._meta.concrete_fields
        if f.name not in BOOKKEEPING | kind.quiet | kind.excluded
        and not isinstance(f, models.GeneratedField)
    ]
    found = {}
    for row in rows:
        old = before.get(row.previous_id)
        action = {"+": "created", "-": "deleted"}.get(row.history_type, "changed")
        entry = Entry(
            at=row.history_date,
            by=row.history_user,
            kind=kind.slug,
            kind_label=kind.label,
            noun=kind.noun,
            title=kind.title(row),
            action=action,
            url=reverse("activity:history", args=[kind.slug, row.id]),
            note=row.history_change_reason or "",
        )
        if action == "changed" and old is not None:
            for model_field in tracked:
                was, now = getattr(old, model_field.attname), getattr(row, model_field.attname)
                if was == now:
                    continue
                if model_field.is_relation:
                    names.later(entry, model_field.related_model, was, now, _label(model_field))
                else:
                    entry.changes.append(
                        Change(
                            _label(model_field), _shown(model_field, was), _shown(model_field, now)
                        )
                    )
        found[(kind.slug, row.history_id)] = entry
    return found


# What each page lists -----------------------------------------------------------------------


def product_sources(product: Product) -> list[Source]:
    """The product, its ownership record, KPIs and their measurements, roadmap items,
    hypotheses and risks."""
    mine = Q(product_id=product.pk)
    return [
        Source("product", Q(id=product.pk)),
        Source("asset", Q(id=product.asset_id)),
        Source("kpi", mine),
        Source("measurement", Q(kpi__product_id=product.pk)),
        Source(ITEM, Q(item__product_id=product.pk)),
        Source("hypothesis", mine),
        Source("product-risk", mine),
    ]


def project_sources(project: Project) -> list[Source]:
    """The project, its scope, milestones, costs, risks, change requests and their options."""
    mine = Q(project_id=project.pk)
    return [
        Source("project", Q(id=project.pk)),
        Source("deliverable", mine),
        Source("milestone", mine),
        Source("cost-line", mine),
        Source("project-risk", mine),
        Source("change", mine),
        Source("change-option", Q(request__project_id=project.pk)),
    ]


def object_sources(kind: str, pk: int) -> list[Source]:
    """One object's own history."""
    if kind == ITEM:
        return [Source(ITEM, Q(item_id=pk))]
    if kind == MEETING:
        return meeting_sources(pk)
    return [Source(kind, Q(id=pk))]


def meeting_sources(meeting_id: int) -> list[Source]:
    """The topics, action items and decisions raised in one sync meeting."""
    mine = Q(meeting_id=meeting_id)
    return [
        Source("sync-notes", Q(id=meeting_id)),
        Source("topic", mine),
        Source("action-item", mine),
        Source("decision", mine),
    ]


def item_sources(items: Iterable[RoadmapItem]) -> list[Source]:
    return [Source(ITEM, Q(item__in=list(items)))]
