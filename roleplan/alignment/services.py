"""Writes for the weekly sync: pair series, meetings and their agenda, notes, topics, action
items, decisions, and each person's reminder setting.

A series belongs to a pair of people (product owner × project manager) and is created when the
pair first shares an active project: on PROJECT_CHANGED (a project activated, given a product
or another manager) and HANDOVER_DONE (a product changing owner), and by the beat task's
safety net (series_ensure_for_active_projects). Nothing else is updated when projects move
between pairs: which projects a series covers is read live (models.projects_of).

History (roleplan/activity/history.py): every write a person makes here names its author
(roleplan/versioning.py save_edit, save_fields; a created row names it in its own field). The
series' invitation bookkeeping (ended_at, sequence, schedule_from) written when a pair stops or
starts sharing a project, and a meeting's agenda stamp and preparation time, are machines'
writes, not a person's edit: they go through QuerySet.update() and leave no history.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from projects.models import ChangeRequest, Project, ProjectStatus
from roleplan.alignment import agenda
from roleplan.alignment.models import (
    ActionItem,
    AgendaEntry,
    Decision,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    MeetingParticipant,
    ReminderSetting,
    SyncMeeting,
    SyncSeries,
    Topic,
    shared_projects,
    validate_time_zone,
)
from roleplan.events import Event, announce
from roleplan.versioning import (
    StaleEdit,
    create_rows,
    keep_first_copy,
    lock_for_edit,
    save_edit,
    save_fields,
)


def _pairs_of(projects: QuerySet[Project]) -> set[tuple[int, int]]:
    """The (product owner, project manager) pairs of these projects that meet: active, serving a
    product, and two people (an owner managing her own project is an ownership role conflict,
    not a sync)."""
    return {
        (owner, manager)
        for owner, manager in projects.filter(status=ProjectStatus.ACTIVE, product__isnull=False)
        .values_list("product__asset__owner_id", "manager_id")
        .distinct()
        if owner != manager
    }


def series_ensure_for_pairs(pairs: set[tuple[int, int]]) -> list[SyncSeries]:
    """The series of these pairs, created when missing with one INSERT ... ON CONFLICT DO
    NOTHING (the unique pair constraint drops a concurrent duplicate); a series that had ended
    starts again (a new SEQUENCE: its invitation is sent anew). A new series gets its first
    history copy (no one's edit: its settings are the defaults)."""
    if not pairs:
        return []
    owners = {o for o, _ in pairs}
    managers = {m for _, m in pairs}

    def existing() -> list[SyncSeries]:
        return [
            s
            for s in SyncSeries.objects.filter(
                product_manager_id__in=owners, project_manager_id__in=managers
            )
            if (s.product_manager_id, s.project_manager_id) in pairs
        ]

    found = existing()
    missing = pairs - {(s.product_manager_id, s.project_manager_id) for s in found}
    if missing:
        create_rows(
            SyncSeries,
            [SyncSeries(product_manager_id=o, project_manager_id=m) for o, m in sorted(missing)],
            by=None,
            ignore_conflicts=True,
        )
        found = existing()
    restarted = [s.pk for s in found if s.ended_at is not None]
    if restarted:
        SyncSeries.objects.filter(pk__in=restarted, ended_at__isnull=False).update(
            ended_at=None, sequence=F("sequence") + 1, schedule_from=None
        )
    return found


def _series_end_check(people: set[int] | None = None) -> int:
    """Series (of these people; None: all) whose pair shares no active project any more: mark
    them ended (a new SEQUENCE) and plan the cancellation of the invitation sent to them.
    Returns how many ended."""
    candidates = SyncSeries.objects.with_shared().filter(
        ended_at__isnull=True, shares_project=False
    )
    if people is not None:
        candidates = candidates.filter(
            Q(product_manager_id__in=people) | Q(project_manager_id__in=people)
        )
    ended = 0
    for series_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            locked = SyncSeries.objects.select_for_update().get(pk=series_id)
            if locked.ended_at is not None or (
                shared_projects(locked.product_manager_id, locked.project_manager_id).exists()
            ):
                continue
            locked.ended_at = timezone.now()
            locked.sequence += 1
            # A machine's write (no one's edit): no history row (see the module's docstring).
            SyncSeries.objects.filter(pk=locked.pk).update(
                ended_at=locked.ended_at, sequence=locked.sequence
            )
            _plan_cancellation(locked)
            ended += 1
    return ended


def series_ensure_for_active_projects() -> int:
    """The safety net of the beat task and of send_reminders: every pair sharing an active
    project has its series, and pairs that stopped sharing one are ended. Returns how many
    series exist for pairs that meet."""
    found = series_ensure_for_pairs(_pairs_of(Project.objects.all()))
    _series_end_check()
    return len(found)


def series_ensure_for_project(*, project_id: int) -> SyncSeries | None:
    """PROJECT_CHANGED: the series of the project's pair, created if the project is active,
    serves a product and has two people; pairs that no longer share a project end. None when
    the project meets in no series. Idempotent."""
    project = Project.objects.select_related("product__asset").filter(pk=project_id).first()
    if project is None:
        return None
    found = series_ensure_for_pairs(_pairs_of(Project.objects.filter(pk=project_id)))
    people = {project.manager_id}
    if project.product_id:
        people.add(project.product.asset.owner_id)
    _series_end_check(people)
    return found[0] if found else None


def series_ensure_for_asset(*, asset_id: int, handover_id: int | None = None) -> int:
    """HANDOVER_DONE: a product changed owner, so its projects move to the new owner's pairs;
    the former owner's pairs that share nothing any more end. Idempotent."""
    projects = Project.objects.filter(product__asset_id=asset_id)
    found = series_ensure_for_pairs(_pairs_of(projects))
    from roleplan.ownership.models import Handover

    people = set(projects.values_list("manager_id", flat=True))
    handover = Handover.objects.filter(pk=handover_id).first() if handover_id else None
    if handover is not None and handover.from_owner_id:
        people.add(handover.from_owner_id)
    _series_end_check(people)
    return len(found)


def series_for_pair(*, product_manager: User, project_manager: User) -> SyncSeries | None:
    """The pair's series, created if they share an active project (the index's "set up")."""
    pairs = _pairs_of(shared_projects(product_manager.pk, project_manager.pk))
    found = series_ensure_for_pairs(pairs)
    return found[0] if found else None


def _invited(series: SyncSeries) -> list[int]:
    """Who was sent the series' invitation (a reminder of one of its meetings went out) and
    still takes reminders."""
    sent = set(
        Delivery.objects.filter(
            kind=DeliveryKind.REMINDER, meeting__series=series, status=DeliveryStatus.SENT
        ).values_list("recipient_id", flat=True)
    )
    off = set(
        ReminderSetting.objects.filter(user_id__in=sent, reminders=False).values_list(
            "user_id", flat=True
        )
    )
    return sorted(sent - off)


def _plan_cancellation(series: SyncSeries) -> int:
    """One cancellation email per person invited, at the series' current SEQUENCE (sent by the
    delivery sweep). Idempotent: the unique constraint drops a repeat."""
    rows = [
        Delivery(
            kind=DeliveryKind.CANCELLATION,
            series=series,
            sequence=series.sequence,
            recipient_id=pk,
        )
        for pk in _invited(series)
    ]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


SCHEDULE_FIELDS = ("weekday", "time", "time_zone", "duration_minutes")


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
    """Change when a pair meets. StaleEdit when someone saved it since `expected_version`.
    A change of schedule or pause counts the invitation's SEQUENCE up, so calendars update the
    event in place; pausing plans its cancellation."""
    validate_time_zone(time_zone)
    data = {
        "weekday": weekday,
        "time": time,
        "time_zone": time_zone,
        "duration_minutes": duration_minutes,
        "paused": paused,
    }
    series = lock_for_edit(SyncSeries, series_id, expected_version, data)
    rescheduled = any(getattr(series, k) != data[k] for k in SCHEDULE_FIELDS)
    pause_changed = series.paused != paused
    now = timezone.now()
    # One save, so the person's edit is one history row (the invitation's fields are quiet there).
    written = dict(data)
    if rescheduled or pause_changed:
        written["sequence"] = series.sequence + 1
        if rescheduled:
            # The recurring event starts again from the next meeting at the new time.
            for name in SCHEDULE_FIELDS:
                setattr(series, name, data[name])
            written["schedule_from"] = series.next_start(now)[0]
    save_edit(series, written, by=by)
    if paused and pause_changed:
        _plan_cancellation(series)
    # Meetings not yet held move with the series; past ones keep the time they had.
    # (A machine write: the series' history holds the change, the meetings' history is notes.)
    for meeting in SyncMeeting.objects.filter(series=series, starts_at__gt=now):
        SyncMeeting.objects.filter(pk=meeting.pk).update(
            starts_at=series.starts_at(meeting.week_start)
        )
    return series


def _record_participants(meetings: list[SyncMeeting], series: dict[int, SyncSeries]) -> None:
    """The people of each new meeting: its pair. Kept whatever happens to roles later."""
    MeetingParticipant.objects.bulk_create(
        [
            MeetingParticipant(meeting_id=m.pk, user_id=pk)
            for m in meetings
            for pk in (
                series[m.series_id].product_manager_id,
                series[m.series_id].project_manager_id,
            )
        ],
        ignore_conflicts=True,
    )


def meeting_ensure(*, series: SyncSeries, week_start: date) -> SyncMeeting:
    """The meeting of that week, created if missing; two concurrent callers get the same row."""
    ids = meetings_ensure({series.pk: series}, [(series.pk, week_start)])
    return SyncMeeting.objects.get(pk=ids[(series.pk, week_start)])


def meetings_ensure(
    series: dict[int, SyncSeries], weeks: list[tuple[int, date]]
) -> dict[tuple[int, date], int]:
    """The ids of the meetings of these (series id, week start) pairs, creating the missing
    ones (with their participants: the pair) with one INSERT ... ON CONFLICT DO NOTHING (a
    concurrent caller's row wins; rows are inserted in (series, week) order, so two callers
    never wait on each other in a circle)."""

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
        created = lookup(set(missing))
        ids.update(created)
        _record_participants(
            [SyncMeeting(pk=pk, series_id=s) for (s, _w), pk in created.items()], series
        )
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
    series = SyncSeries.objects.with_people().in_bulk([series_id for series_id, _ in due])
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
    for meeting in locked.values():
        meeting.series = series[meeting.series_id]
    agenda.build_many(
        [
            agenda.Target(
                meeting,
                today if today is not None else timezone.localdate(now, meeting.series.tz),
            )
            for meeting in locked.values()
        ]
    )
    prepared_at = timezone.now()
    SyncMeeting.objects.filter(pk__in=list(locked)).update(
        prepared_at=prepared_at, agenda_stamp=F("agenda_stamp") + 1
    )
    for meeting in locked.values():
        if meeting.prepared_at is None:  # its first agenda: news (a refresh is not)
            announce(Event.SYNC_PREPARED, meeting_id=meeting.pk)
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


def _touch_agenda(meeting_id: int) -> None:
    """Count the agenda's change stamp up: its cached rendering is then never read again."""
    SyncMeeting.objects.filter(pk=meeting_id).update(agenda_stamp=F("agenda_stamp") + 1)


@transaction.atomic
def entry_mark(*, entry_id: int, discussed: bool, by: User) -> AgendaEntry:
    entry = AgendaEntry.objects.select_for_update().get(pk=entry_id)
    if entry.discussed != discussed:
        entry.discussed = discussed
        entry.discussed_by = by if discussed else None
        entry.discussed_at = timezone.now() if discussed else None
        entry.save(update_fields=["discussed", "discussed_by", "discussed_at"])
        _touch_agenda(entry.meeting_id)
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
    keep_first_copy(meeting)  # made in bulk: the history's "before" for this first edit
    meeting.notes = text
    meeting.notes_version += 1
    meeting.notes_updated_by = by
    meeting.notes_updated_at = timezone.now()
    fields = ["notes", "notes_version", "notes_updated_by", "notes_updated_at"]
    save_fields(meeting, fields, by=by)
    return meeting


@transaction.atomic
def topic_add(*, meeting: SyncMeeting, text: str, by: User) -> Topic:
    """Either person adds something to talk about, before or during the meeting."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Say what you want to talk about."})
    return Topic.objects.create(meeting=meeting, text=text, raised_by=by)


@transaction.atomic
def topic_set_discussed(*, topic_id: int, discussed: bool, by: User) -> Topic:
    topic = Topic.objects.select_for_update().get(pk=topic_id)
    if discussed and topic.discussed_at is None:
        topic.discussed_at = timezone.now()
        topic.discussed_by = by
    elif not discussed:
        topic.discussed_at = None
        topic.discussed_by = None
    save_fields(topic, ["discussed_at", "discussed_by"], by=by)
    return topic


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
    save_fields(item, ["done_at", "done_by"], by=by)
    return item


@transaction.atomic
def decision_add(
    *, meeting: SyncMeeting, text: str, change_request: ChangeRequest | None, by: User
) -> Decision:
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write down what was decided."})
    series = meeting.series
    if change_request is not None and not (
        shared_projects(series.product_manager_id, series.project_manager_id)
        .filter(pk=change_request.project_id)
        .exists()
    ):
        raise ValidationError(
            {"change_request": "That change request belongs to a project you do not share."}
        )
    decision = Decision.objects.create(
        meeting=meeting, text=text, change_request=change_request, made_by=by
    )
    announce(Event.DECISION_RECORDED, decision_id=decision.pk)
    return decision


@transaction.atomic
def reminders_set(*, user: User, on: bool) -> ReminderSetting:
    """Turn a person's sync reminders on or off. Idempotent: a second click changes nothing."""
    setting, _ = ReminderSetting.objects.select_for_update().get_or_create(user=user)
    if setting.reminders != on:
        setting.reminders = on
        setting.changed_at = timezone.now()
        setting.save(update_fields=["reminders", "changed_at"])
    return setting
