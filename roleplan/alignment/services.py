"""Writes for the weekly sync: series, meetings and their agenda, notes, action items, decisions."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.models import ChangeRequest, Project, ProjectStatus
from roleplan.alignment import agenda
from roleplan.alignment.models import (
    ActionItem,
    AgendaEntry,
    Decision,
    SyncMeeting,
    SyncSeries,
    validate_time_zone,
)
from roleplan.versioning import StaleEdit, lock_for_edit, save_edit


def _series_create_missing(projects) -> list[int]:
    """Create the series of those of `projects` that are active, serve a product and have none
    yet. One INSERT ... ON CONFLICT DO NOTHING: safe to run twice or concurrently (the
    one-to-one constraint drops duplicates). Returns the ids of the projects given a series."""
    missing = list(
        projects.filter(
            status=ProjectStatus.ACTIVE, product__isnull=False, sync_series__isnull=True
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if missing:
        SyncSeries.objects.bulk_create(
            [SyncSeries(project_id=pk) for pk in missing], ignore_conflicts=True
        )
    return missing


def series_ensure_for_active_projects() -> int:
    """Give every active project that serves a product its weekly series (the safety net of the
    beat task and of send_reminders). Returns how many projects were missing one."""
    return len(_series_create_missing(Project.objects.all()))


def series_ensure_for_project(*, project_id: int) -> SyncSeries | None:
    """The project's weekly series, created if the project is active, serves a product and has
    none yet: to call when a project becomes active or starts serving a product. None when it
    has no series and gets none (not active, or no product). Idempotent."""
    _series_create_missing(Project.objects.filter(pk=project_id))
    return SyncSeries.objects.filter(project_id=project_id).first()


@transaction.atomic
def series_update(
    *,
    series_id: int,
    expected_version: int,
    weekday: int,
    time,
    time_zone: str,
    duration_minutes: int,
    paused: bool,
    by: User,
) -> SyncSeries:
    """Change when a series meets. StaleEdit when someone saved it since `expected_version`."""
    validate_time_zone(time_zone)
    data = {
        "weekday": weekday,
        "time": time,
        "time_zone": time_zone,
        "duration_minutes": duration_minutes,
        "paused": paused,
    }
    series = lock_for_edit(SyncSeries, series_id, expected_version, data)
    save_edit(series, data, by=by)
    # Meetings not yet held move with the series; past ones keep the time they had.
    now = timezone.now()
    for meeting in SyncMeeting.objects.filter(series=series, starts_at__gt=now):
        meeting.starts_at = series.starts_at(meeting.week_start)
        meeting.save(update_fields=["starts_at"])
    return series


def meeting_ensure(*, series: SyncSeries, week_start: date) -> SyncMeeting:
    """The meeting of that week, created if missing; two concurrent callers get the same row."""
    meeting = SyncMeeting.objects.filter(series=series, week_start=week_start).first()
    if meeting is not None:
        return meeting
    try:
        with transaction.atomic():
            return SyncMeeting.objects.create(
                series=series, week_start=week_start, starts_at=series.starts_at(week_start)
            )
    except IntegrityError:
        return SyncMeeting.objects.get(series=series, week_start=week_start)


def meetings_ensure(
    series: dict[int, SyncSeries], weeks: list[tuple[int, date]]
) -> dict[tuple[int, date], int]:
    """The ids of the meetings of these (series id, week start) pairs, creating the missing
    ones with one INSERT ... ON CONFLICT DO NOTHING (a concurrent caller's row wins; rows are
    inserted in (series, week) order, so two callers never wait on each other in a circle)."""

    def lookup(pairs) -> dict[tuple[int, date], int]:
        found = SyncMeeting.objects.filter(
            series_id__in={s for s, _ in pairs}, week_start__in={w for _, w in pairs}
        ).values_list("series_id", "week_start", "pk")
        return {(s, w): pk for s, w, pk in found if (s, w) in pairs}

    wanted = set(weeks)
    ids = lookup(wanted)
    missing = sorted(wanted - set(ids))
    if missing:
        SyncMeeting.objects.bulk_create(
            [
                SyncMeeting(series_id=s, week_start=w, starts_at=series[s].starts_at(w))
                for s, w in missing
            ],
            ignore_conflicts=True,
        )
        ids.update(lookup(set(missing)))
    return ids


@transaction.atomic
def meetings_prepare(
    *, due: list[tuple[int, date]], today: date | None = None
) -> list[SyncMeeting]:
    """Create the meetings of these (series id, week start) pairs if needed and build or refresh
    their agendas from live data, together: a fixed number of queries for any number of
    meetings. Series deleted meanwhile are skipped. Returns the meetings, in the order given.

    Idempotent; concurrent calls for the same meeting are serialised on the meeting row (locked
    in id order), so an agenda never holds an entry twice (also enforced by a unique
    constraint). `today` defaults to each series' own date now."""
    series = SyncSeries.objects.select_related("project__product__asset").in_bulk(
        [series_id for series_id, _ in due]
    )
    weeks = list(dict.fromkeys((s, w) for s, w in due if s in series))
    if not weeks:
        return []
    ids = meetings_ensure(series, weeks)
    locked = {
        m.pk: m
        for m in SyncMeeting.objects.filter(pk__in=list(ids.values()))
        .order_by("pk")
        .select_for_update()
    }
    now = timezone.now()
    since = agenda.previous_starts(locked.values())
    targets = []
    for meeting in locked.values():
        meeting.series = series[meeting.series_id]
        day = today if today is not None else timezone.localdate(now, meeting.series.tz)
        targets.append(agenda.Target(meeting, since[meeting.pk], day))
    agenda.build_many(targets)
    prepared_at = timezone.now()
    SyncMeeting.objects.filter(pk__in=list(locked)).update(prepared_at=prepared_at)
    for meeting in locked.values():
        meeting.prepared_at = prepared_at
    return [locked[ids[pair]] for pair in weeks]


def meeting_prepare(*, series_id: int, week_start: date, today: date | None = None) -> SyncMeeting:
    """Create the meeting of the week if needed and build or refresh its agenda from live data
    (meetings_prepare for one meeting). Raises SyncSeries.DoesNotExist for an unknown series."""
    prepared = meetings_prepare(due=[(series_id, week_start)], today=today)
    if not prepared:
        raise SyncSeries.DoesNotExist(f"no sync series {series_id}")
    return prepared[0]


def meeting_prepare_current(*, series: SyncSeries, now: datetime | None = None) -> SyncMeeting:
    """The series' next meeting (or the one in progress), prepared with today's data."""
    now = now or timezone.now()
    week_start, _ = series.next_start(now - timedelta(minutes=series.duration_minutes))
    return meeting_prepare(
        series_id=series.pk, week_start=week_start, today=timezone.localdate(now, series.tz)
    )


@transaction.atomic
def entry_mark(*, entry_id: int, discussed: bool, by: User) -> AgendaEntry:
    entry = AgendaEntry.objects.select_for_update().get(pk=entry_id)
    entry.discussed = discussed
    entry.discussed_by = by if discussed else None
    entry.discussed_at = timezone.now() if discussed else None
    entry.save(update_fields=["discussed", "discussed_by", "discussed_at"])
    return entry


@transaction.atomic
def notes_save(*, meeting_id: int, expected_version: int, text: str, by: User) -> SyncMeeting:
    """Save the shared notes, refusing a save based on an older version: StaleEdit carries the
    notes as saved now and the person's text, so the page shows both and loses neither. The
    notes keep their own version (the meeting's other fields are not edited in a form)."""
    meeting = SyncMeeting.objects.select_for_update().get(pk=meeting_id)
    if meeting.notes_version != expected_version:
        raise StaleEdit(
            meeting,
            {"notes": text},
            changed_by=meeting.notes_updated_by,
            changed_at=meeting.notes_updated_at,
        )
    if meeting.notes == text:
        return meeting
    meeting.notes = text
    meeting.notes_version += 1
    meeting.notes_updated_by = by
    meeting.notes_updated_at = timezone.now()
    meeting.save(update_fields=["notes", "notes_version", "notes_updated_by", "notes_updated_at"])
    return meeting


@transaction.atomic
def action_item_add(
    *, meeting: SyncMeeting, text: str, owner: User, due_date: date | None, by: User
) -> ActionItem:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Say what needs to be done."})
    if not owner.is_active:
        raise ValidationError({"owner": "The owner must be an active user."})
    return ActionItem.objects.create(
        meeting=meeting, text=text, owner=owner, due_date=due_date, created_by=by
    )


@transaction.atomic
def action_item_set_done(*, item_id: int, done: bool, by: User) -> ActionItem:
    item = ActionItem.objects.select_for_update().get(pk=item_id)
    if done and item.done_at is None:
        item.done_at = timezone.now()
        item.done_by = by
    elif not done:
        item.done_at = None
        item.done_by = None
    item.save(update_fields=["done_at", "done_by"])
    return item


@transaction.atomic
def decision_add(
    *, meeting: SyncMeeting, text: str, change_request: ChangeRequest | None, by: User
) -> Decision:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write down what was decided."})
    if change_request is not None and change_request.project_id != meeting.series.project_id:
        raise ValidationError({"change_request": "That change request belongs to another project."})
    return Decision.objects.create(
        meeting=meeting, text=text, change_request=change_request, made_by=by
    )
