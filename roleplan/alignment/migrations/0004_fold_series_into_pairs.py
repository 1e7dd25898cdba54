"""Fold the per-project sync series into one series per pair of people.

The rules (tests/alignment/test_pair_migration.py holds them):

- A project's pair is its product's owner now × its manager now. Every old series of a pair's
  projects folds into one: the EARLIEST created of them (created_at, then id) is kept as the
  pair's series, with its day, time, zone and duration and its id (links to it keep working);
  it is paused only if every folded series was paused (a pair that met for one project keeps
  meeting). The others' meetings move to it and the emptied series are deleted.
- Each meeting records who took part: its project's manager and the product's owner at the
  meeting's start, read from the handover log (the owner then may have handed over since).
- A meeting whose project has no valid pair now (no product, or the owner manages it herself)
  goes to the series of the pair of its time when that one is valid. When neither is (a person
  "syncing" with herself), an empty meeting (no notes, action items or decisions) is deleted
  with its agenda; one that holds minutes stops the migration with a message naming it, so
  that nothing written is ever lost silently (hand the product over, then migrate again).
- Two meetings of the same week that land in one series are merged into the one that was there
  first: agenda entries (a key already taken gets the moved entry's id appended), action items,
  decisions, participants, comments, notifications and follows move to it, and the notes are
  joined (the moved notes under their project's name). A reminder row for the same person is
  kept once (the sent one). Nothing written by a person is dropped.
- Agenda entries are given their product and project, their section in the new sections
  (milestones, scope, change requests, risks, ownership), and keys scoped by them ("p12:cr:3",
  "d4:item:9"), as the agenda builds them now. Meetings not held yet move to the pair's time.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

from django.db import migrations
from django.utils import timezone

PROJECT_KEYS = {"health": "status", "spend": "status", "ms": "milestones", "scope": "scope"}
PROJECT_KEYS |= {"cr": "changes", "prisk": "risks"}
PRODUCT_KEYS = {"item": "backlog", "pipe": "pipeline", "drisk": "risks", "gap": "problems"}


class MinutesWithoutPair(RuntimeError):
    pass


def _owner_at(handovers: list, moment: datetime, owner_now: int | None) -> int | None:
    """The asset's owner at `moment`, from its handover log (sorted by time)."""
    owner = None
    for at, _from, to in handovers:
        if at <= moment:
            owner = to
    if owner is None:
        later = [frm for at, frm, _to in handovers if at > moment and frm is not None]
        owner = later[0] if later else None
    return owner if owner is not None else owner_now


def _valid(pair: tuple[int | None, int | None]) -> bool:
    return pair[0] is not None and pair[1] is not None and pair[0] != pair[1]


def _local_start(series, week_start) -> datetime:
    tz = zoneinfo.ZoneInfo(series.time_zone)
    day = week_start + timedelta(days=series.weekday)
    return datetime.combine(day, series.time, tzinfo=tz).astimezone(UTC)


def fold(apps, schema_editor) -> None:
    SyncSeries = apps.get_model("alignment", "SyncSeries")
    SyncMeeting = apps.get_model("alignment", "SyncMeeting")
    AgendaEntry = apps.get_model("alignment", "AgendaEntry")
    ActionItem = apps.get_model("alignment", "ActionItem")
    Decision = apps.get_model("alignment", "Decision")
    Delivery = apps.get_model("alignment", "Delivery")
    MeetingParticipant = apps.get_model("alignment", "MeetingParticipant")
    Handover = apps.get_model("ownership", "Handover")
    ContentType = apps.get_model("contenttypes", "ContentType")
    activity = [apps.get_model("activity", name) for name in ("Comment", "Notification", "Follow")]
    meeting_type = ContentType.objects.filter(app_label="alignment", model="syncmeeting").first()
    series_type = ContentType.objects.filter(app_label="alignment", model="syncseries").first()
    now = timezone.now()

    def repoint(content_type, old_id: int, new_id: int) -> None:
        if content_type is None:
            return
        for model in activity:
            rows = model.objects.filter(content_type=content_type, object_id=old_id)
            if model.__name__ == "Follow":  # once per (user, object)
                taken = model.objects.filter(
                    content_type=content_type, object_id=new_id
                ).values_list("user_id", flat=True)
                rows.filter(user_id__in=list(taken)).delete()
            rows.update(object_id=new_id)

    old_series = list(
        SyncSeries.objects.select_related("project__product__asset").order_by("created_at", "pk")
    )
    asset_ids = {s.project.product.asset_id for s in old_series if s.project.product_id}
    history: dict[int, list] = {pk: [] for pk in asset_ids}
    for asset_id, at, frm, to in (
        Handover.objects.filter(asset_id__in=asset_ids)
        .order_by("at", "pk")
        .values_list("asset_id", "at", "from_owner_id", "to_owner_id")
    ):
        history[asset_id].append((at, frm, to))

    pair_series: dict[tuple[int, int], object] = {}
    moved_to: dict[int, int] = {}  # an old series' id -> the pair series its project went to
    all_paused: dict[tuple[int, int], bool] = {}
    claimed: set[int] = set()

    def series_for(pair: tuple[int, int], source) -> object:
        if pair in pair_series:
            all_paused[pair] = all_paused[pair] and source.paused
            return pair_series[pair]
        if source.pk not in claimed:
            kept = source
        else:  # this series already serves another pair: a new one with its settings
            kept = SyncSeries.objects.create(
                weekday=source.weekday,
                time=source.time,
                time_zone=source.time_zone,
                duration_minutes=source.duration_minutes,
                paused=source.paused,
                created_at=source.created_at,
            )
        kept.product_manager_id, kept.project_manager_id = pair
        kept.project = None
        kept.save(update_fields=["product_manager", "project_manager", "project"])
        claimed.add(kept.pk)
        pair_series[pair] = kept
        all_paused[pair] = source.paused
        return kept

    def rekey(meeting, project) -> None:
        product_id = project.product_id
        for entry in AgendaEntry.objects.filter(meeting=meeting):
            head = entry.key.split(":", 1)[0]
            if head in PRODUCT_KEYS and product_id is not None:
                entry.key = f"d{product_id}:{entry.key}"[:80]
                entry.section = PRODUCT_KEYS[head]
                entry.product_id, entry.project_id = product_id, None
            else:
                entry.key = f"p{project.pk}:{entry.key}"[:80]
                entry.section = PROJECT_KEYS.get(head, entry.section)
                entry.product_id, entry.project_id = product_id, project.pk
            entry.save(update_fields=["key", "section", "product", "project"])

    def merge(moved, into, project) -> None:
        taken = set(AgendaEntry.objects.filter(meeting=into).values_list("key", flat=True))
        for entry in AgendaEntry.objects.filter(meeting=moved):
            if entry.key in taken:
                entry.key = f"{entry.key}~{entry.pk}"[:80]
            entry.meeting = into
            entry.save(update_fields=["key", "meeting"])
        ActionItem.objects.filter(meeting=moved).update(meeting=into)
        Decision.objects.filter(meeting=moved).update(meeting=into)
        for delivery in Delivery.objects.filter(meeting=moved):
            other = Delivery.objects.filter(meeting=into, recipient=delivery.recipient_id).first()
            if other is None:
                delivery.meeting = into
                delivery.save(update_fields=["meeting"])
            elif delivery.status == "sent" and other.status != "sent":
                other.delete()
                delivery.meeting = into
                delivery.save(update_fields=["meeting"])
            else:
                delivery.delete()
        people = set(
            MeetingParticipant.objects.filter(meeting=into).values_list("user_id", flat=True)
        )
        for user_id in MeetingParticipant.objects.filter(meeting=moved).values_list(
            "user_id", flat=True
        ):
            if user_id not in people:
                MeetingParticipant.objects.create(meeting=into, user_id=user_id)
        if moved.notes.strip():
            joined = f"— {project.name} —\n{moved.notes.strip()}"
            into.notes = f"{into.notes.rstrip()}\n\n{joined}" if into.notes.strip() else joined
            into.notes_version = max(into.notes_version, moved.notes_version) + 1
            if moved.notes_updated_at and (
                into.notes_updated_at is None or moved.notes_updated_at > into.notes_updated_at
            ):
                into.notes_updated_at = moved.notes_updated_at
                into.notes_updated_by_id = moved.notes_updated_by_id
        if moved.prepared_at and (into.prepared_at is None or moved.prepared_at > into.prepared_at):
            into.prepared_at = moved.prepared_at
        into.save()
        repoint(meeting_type, moved.pk, into.pk)
        moved.delete()

    for source in old_series:
        project = source.project
        product = project.product
        owner_now = product.asset.owner_id if product is not None else None
        pair_now = (owner_now, project.manager_id)
        if _valid(pair_now):
            moved_to[source.pk] = series_for(pair_now, source).pk
        for meeting in SyncMeeting.objects.filter(series=source).order_by("starts_at", "pk"):
            owner_then = (
                _owner_at(history.get(product.asset_id, []), meeting.starts_at, owner_now)
                if product is not None
                else None
            )
            for user_id in {owner_then, project.manager_id} - {None}:
                MeetingParticipant.objects.get_or_create(meeting=meeting, user_id=user_id)
            pair_then = (owner_then, project.manager_id)
            pair = pair_now if _valid(pair_now) else pair_then if _valid(pair_then) else None
            if pair is None:
                minutes = (
                    meeting.notes.strip()
                    or ActionItem.objects.filter(meeting=meeting).exists()
                    or Decision.objects.filter(meeting=meeting).exists()
                )
                if minutes:
                    raise MinutesWithoutPair(
                        f"The sync of “{project.name}” in the week of {meeting.week_start} holds "
                        "minutes, but its project has no product owner distinct from its "
                        "manager, now or then. Hand the product over (or give the project "
                        "another manager), then migrate again."
                    )
                meeting.delete()
                continue
            rekey(meeting, project)
            target = series_for(pair, source)
            there = (
                SyncMeeting.objects.filter(series=target, week_start=meeting.week_start)
                .exclude(pk=meeting.pk)
                .first()
            )
            if there is not None:
                merge(meeting, there, project)
                continue
            if meeting.series_id != target.pk:
                meeting.series = target
                if meeting.starts_at > now:  # not held yet: at the pair's time
                    meeting.starts_at = _local_start(target, meeting.week_start)
                meeting.save(update_fields=["series", "starts_at"])

    for pair, kept in pair_series.items():
        if kept.paused != all_paused[pair]:
            kept.paused = all_paused[pair]
            kept.save(update_fields=["paused"])
    for source in old_series:
        if source.pk not in claimed:
            if source.pk in moved_to:
                repoint(series_type, source.pk, moved_to[source.pk])
            source.delete()


def unfold(apps, schema_editor) -> None:
    """Going back is possible only with no sync at all (a fresh or test database): a pair's
    meetings cannot be split back into projects without guessing."""
    if apps.get_model("alignment", "SyncSeries").objects.exists():
        raise RuntimeError(
            "Pair series cannot be split back into per-project series; migrate backwards only "
            "a database without syncs."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0003_pair_series_fields"),
        ("ownership", "0004_plan_permission"),
        ("activity", "0002_search_indexes"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(fold, unfold, elidable=False)]
