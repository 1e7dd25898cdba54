"""What a sync page reads, in compiled queries (roleplan/compiled.py).

The page is opened during the meeting by both managers, and its action and decision lists poll
every 10 seconds: its reads are written for speed. Each is a values_list() QuerySet whose SQL is
built once per connection; the rows become the model instances the template reads (only the
fields it reads are loaded: any other field would be fetched on access, which the query budget
test would notice) or, for the long lists (agenda entries, action items), plain tuples that
roleplan/alignment/markup.py writes out.

Six queries in two round trips, whatever the size of the agenda: the meeting with its series,
project, product and the two managers (and the ids of the previous and next meetings), which
says who may see it; then, together (read()), the agenda, the action items, the decisions, the
change requests a decision can settle and the people who can own an action item.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model, OuterRef, Q, Subquery

from products.models import Product
from projects.models import ChangeRequest, Project
from roleplan.alignment.models import ActionItem, AgendaEntry, Decision, SyncMeeting, SyncSeries
from roleplan.compiled import CompiledQuery, fetch
from roleplan.ownership.models import Asset
from roleplan.people import display_name, name_of


def fields(model: type[Model], *names: str) -> list[str]:
    """`names` (attribute names of concrete fields) in the model's order, which is the order
    Model.from_db() expects a partial row in."""
    order = [field.attname for field in model._meta.concrete_fields]
    return sorted(names, key=order.index)


PERSON = fields(User, "id", "username", "first_name", "last_name", "is_active")
MEETING = [field.attname for field in SyncMeeting._meta.concrete_fields]
SERIES = [field.attname for field in SyncSeries._meta.concrete_fields]
PROJECT = fields(Project, "id", "name", "slug", "product_id", "manager_id")
PRODUCT = fields(Product, "id", "asset_id")
ASSET = fields(Asset, "id", "name", "slug", "owner_id")
CHANGE_REQUEST = fields(ChangeRequest, "id", "project_id", "number", "title", "status")
DECISION = [field.attname for field in Decision._meta.concrete_fields]


def _values(prefix: str, names: list[str]) -> list[str]:
    return [f"{prefix}{name}" for name in names]


def _neighbour(before: bool) -> Subquery:
    """The id of the series' meeting just before (or after) this one."""
    meetings = SyncMeeting.objects.filter(series_id=OuterRef("series_id"))
    if before:
        meetings = meetings.filter(starts_at__lt=OuterRef("starts_at")).order_by("-starts_at")
    else:
        meetings = meetings.filter(starts_at__gt=OuterRef("starts_at")).order_by("starts_at")
    return Subquery(meetings.values("pk")[:1])


MEETING_ROW = CompiledQuery(
    lambda meeting: (
        SyncMeeting.objects.filter(pk=meeting)
        .annotate(previous_meeting_id=_neighbour(True), next_meeting_id=_neighbour(False))
        .values_list(
            *MEETING,
            *_values("series__", SERIES),
            *_values("series__project__", PROJECT),
            *_values("series__project__manager__", PERSON),
            *_values("series__project__product__", PRODUCT),
            *_values("series__project__product__asset__", ASSET),
            *_values("series__project__product__asset__owner__", PERSON),
            *_values("notes_updated_by__", PERSON),
            "previous_meeting_id",
            "next_meeting_id",
        )
    ),
    "meeting",
)


def _build(model: type[Model], names: list[str], row: tuple, start: int) -> tuple[Model, int]:
    """An instance of `model` from `len(names)` columns of `row` at `start`, as the ORM builds
    one (the other fields are deferred)."""
    end = start + len(names)
    return model.from_db(DEFAULT_DB_ALIAS, names, row[start:end]), end


def meeting_by_id(pk: int) -> SyncMeeting | None:
    """The meeting with its series, project, product, asset and the two managers (what
    SyncMeeting.objects.with_people() gives), plus `previous_meeting_id` and `next_meeting_id`."""
    rows = MEETING_ROW(meeting=pk)
    if not rows:
        return None
    row = rows[0]
    meeting, at = _build(SyncMeeting, MEETING, row, 0)
    series, at = _build(SyncSeries, SERIES, row, at)
    project, at = _build(Project, PROJECT, row, at)
    project.manager, at = _build(User, PERSON, row, at)
    if project.product_id is None:
        project.product = None
        at += len(PRODUCT) + len(ASSET) + len(PERSON)
    else:
        product, at = _build(Product, PRODUCT, row, at)
        asset, at = _build(Asset, ASSET, row, at)
        asset.owner, at = _build(User, PERSON, row, at)
        product.asset = asset
        project.product = product
    if meeting.notes_updated_by_id is None:
        meeting.notes_updated_by = None
        at += len(PERSON)
    else:
        meeting.notes_updated_by, at = _build(User, PERSON, row, at)
    meeting.previous_meeting_id, meeting.next_meeting_id = row[at], row[at + 1]
    series.project = project
    meeting.series = series
    return meeting


class Entry(NamedTuple):
    pk: int
    section: str
    title: str
    detail: str
    url: str
    tone: str
    discussed: bool
    stale: bool
    discussed_by_id: int | None
    discussed_by_short_name: str
    discussed_by_username: str

    @property
    def discussed_by_name(self) -> str:
        """get_short_name|default:username, as the template shows it."""
        return self.discussed_by_short_name or self.discussed_by_username


ENTRIES = CompiledQuery(
    lambda meeting: (
        AgendaEntry.objects.filter(meeting_id=meeting)
        .order_by("position", "id")
        .values_list(
            "pk",
            "section",
            "title",
            "detail",
            "url",
            "tone",
            "discussed",
            "stale",
            "discussed_by_id",
            "discussed_by__first_name",
            "discussed_by__username",
        )
    ),
    "meeting",
)


def entries(meeting_id: int) -> list[Entry]:
    return _entries(ENTRIES(meeting=meeting_id))


def _entries(rows: list[tuple]) -> list[Entry]:
    return [Entry(*row) for row in rows]


class Item(NamedTuple):
    """An action item as the page shows it."""

    pk: int
    text: str
    due_date: date | None
    done_at: datetime | None
    meeting_id: int
    week_start: date
    owner_first_name: str
    owner_last_name: str
    owner_username: str

    @property
    def owner_name(self) -> str:
        return name_of(self.owner_first_name, self.owner_last_name, self.owner_username)


ACTION_ITEMS = CompiledQuery(
    lambda meeting, series: (
        ActionItem.objects.filter(meeting__series_id=series)
        .filter(
            meeting__starts_at__lte=Subquery(
                SyncMeeting.objects.filter(pk=meeting).values("starts_at")[:1]
            )
        )
        .filter(
            Q(meeting_id=meeting)
            | Q(done_at__isnull=True)
            | Q(
                done_at__gte=Subquery(
                    SyncMeeting.objects.filter(pk=meeting).values("starts_at")[:1]
                )
            )
        )
        .order_by("done_at", "due_date", "id")
        .values_list(
            "pk",
            "text",
            "due_date",
            "done_at",
            "meeting_id",
            "meeting__week_start",
            "owner__first_name",
            "owner__last_name",
            "owner__username",
        )
    ),
    "meeting",
    "series",
)


def action_items(meeting: SyncMeeting) -> tuple[list[Item], list[Item]]:
    """(carried over, raised here). Items of earlier meetings show until done; those done
    since this meeting started still show, ticked, so the tick is visible in the meeting."""
    return _action_items(meeting, ACTION_ITEMS(meeting=meeting.pk, series=meeting.series_id))


def _action_items(meeting: SyncMeeting, rows: list[tuple]) -> tuple[list[Item], list[Item]]:
    rows = [Item(*row) for row in rows]
    carried = [i for i in rows if i.meeting_id != meeting.pk]
    here = [i for i in rows if i.meeting_id == meeting.pk]
    return carried, here


DECISIONS = CompiledQuery(
    lambda meeting: (
        Decision.objects.filter(meeting_id=meeting)
        .order_by("created_at", "id")
        .values_list(
            *DECISION,
            *_values("made_by__", PERSON),
            *_values("change_request__", CHANGE_REQUEST),
            "change_request__project__slug",
        )
    ),
    "meeting",
)


def decisions(meeting: SyncMeeting) -> list[Decision]:
    """The meeting's decisions with who made them and the change request each settles."""
    return _decisions(DECISIONS(meeting=meeting.pk))


def _decisions(rows: list[tuple]) -> list[Decision]:
    result = []
    for row in rows:
        decision, at = _build(Decision, DECISION, row, 0)
        made_by, at = _build(User, PERSON, row, at)
        decision.made_by = made_by
        if decision.change_request_id is not None:
            request, at = _build(ChangeRequest, CHANGE_REQUEST, row, at)
            request.project = Project.from_db(
                DEFAULT_DB_ALIAS, ["id", "slug"], [request.project_id, row[-1]]
            )
            decision.change_request = request
        result.append(decision)
    return result


ACTIVE_PEOPLE = CompiledQuery(
    lambda: (
        User.objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username")
        .values_list(*PERSON)
    )
)


def people(meeting: SyncMeeting) -> list[User]:
    """Who can own an action item: the two managers first, then everyone active."""
    participants = meeting.series.participants()
    ids = {p.pk for p in participants}
    others = [
        User.from_db(DEFAULT_DB_ALIAS, PERSON, row) for row in ACTIVE_PEOPLE() if row[0] not in ids
    ]
    return participants + others


def owner_choices(meeting: SyncMeeting) -> tuple[tuple[int, str], ...]:
    """people() as ActionItemForm offers them, (id, full name or username), without building
    a User for each."""
    return _owner_choices(meeting, ACTIVE_PEOPLE())


def _owner_choices(meeting: SyncMeeting, rows: list[tuple]) -> tuple[tuple[int, str], ...]:
    participants = meeting.series.participants()
    ids = {p.pk for p in participants}
    return tuple(
        [(p.pk, display_name(p)) for p in participants]
        + [
            (pk, name_of(first, last, username))
            for pk, username, first, last, _active in rows
            if pk not in ids
        ]
    )


CHANGE_REQUESTS = CompiledQuery(
    lambda meeting, project: (
        ChangeRequest.objects.filter(project_id=project)
        .filter(Q(status="open") | Q(sync_decisions__meeting_id=meeting))
        .distinct()
        .order_by("-number")
        .values_list(*CHANGE_REQUEST)
    ),
    "meeting",
    "project",
)


def change_requests(meeting: SyncMeeting) -> list[ChangeRequest]:
    """The project's open change requests, and those a decision of this meeting settles."""
    return _change_requests(CHANGE_REQUESTS(meeting=meeting.pk, project=meeting.series.project_id))


def _change_requests(rows: list[tuple]) -> list[ChangeRequest]:
    return [ChangeRequest.from_db(DEFAULT_DB_ALIAS, CHANGE_REQUEST, row) for row in rows]


class Reads(NamedTuple):
    """What the page shows of a meeting, besides the meeting itself."""

    entries: list[Entry]
    carried: list[Item]
    action_items: list[Item]
    decisions: list[Decision]
    change_requests: list[ChangeRequest]
    owner_choices: tuple[tuple[int, str], ...] | None


def read(meeting: SyncMeeting, *, owner_choices: bool = True) -> Reads:
    """entries(), action_items(), decisions(), change_requests() and, if asked for,
    owner_choices(), read in one round trip (compiled.fetch)."""
    calls = [
        (ENTRIES, {"meeting": meeting.pk}),
        (ACTION_ITEMS, {"meeting": meeting.pk, "series": meeting.series_id}),
        (DECISIONS, {"meeting": meeting.pk}),
        (CHANGE_REQUESTS, {"meeting": meeting.pk, "project": meeting.series.project_id}),
    ]
    if owner_choices:
        calls.append((ACTIVE_PEOPLE, {}))
    entry_rows, item_rows, decision_rows, request_rows, *people_rows = fetch(*calls)
    carried, here = _action_items(meeting, item_rows)
    return Reads(
        entries=_entries(entry_rows),
        carried=carried,
        action_items=here,
        decisions=_decisions(decision_rows),
        change_requests=_change_requests(request_rows),
        owner_choices=_owner_choices(meeting, people_rows[0]) if people_rows else None,
    )
