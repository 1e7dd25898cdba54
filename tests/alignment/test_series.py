from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from projects.models import Project
from roleplan.alignment import services
from roleplan.alignment.models import SyncMeeting, SyncSeries, projects_of
from roleplan.ownership import services as ownership
from roleplan.versioning import StaleEdit
from tests.alignment.sync_factories import active_project, make_series, series_of
from tests.factories import UserFactory

UTC = ZoneInfo("UTC")


def test_one_series_per_pair_covers_every_active_project_they_share(db):
    """Two products of one owner, three projects of one manager: one series, three projects,
    grouped by product then project. Another manager of the same product is another pair."""
    priya, marco, dana = UserFactory(), UserFactory(), UserFactory()
    crm_a = active_project(product_owner=priya, manager=marco, name="B project")
    crm_b = active_project(product=crm_a.product, manager=marco, name="A project")
    email = active_project(product_owner=priya, manager=marco)
    other = active_project(product=crm_a.product, manager=dana)
    SyncSeries.objects.all().delete()
    assert services.series_ensure_for_active_projects() == 2
    assert services.series_ensure_for_active_projects() == 2  # idempotent
    assert SyncSeries.objects.count() == 2
    series = SyncSeries.objects.get(product_manager=priya, project_manager=marco)
    covered = projects_of([series])[series.pk]
    assert set(covered) == {crm_a, crm_b, email}
    by_product = [p.product.asset.name for p in covered]
    assert by_product == sorted(by_product)
    crm = [p for p in covered if p.product_id == crm_a.product_id]
    assert crm == [crm_b, crm_a]  # by name within the product
    assert projects_of([series_of(other).get()])[series_of(other).get().pk] == [other]


def test_a_project_on_hold_or_without_a_product_meets_in_no_series(db):
    active = active_project()
    Project.objects.filter(pk=active.pk).update(status="on_hold")
    SyncSeries.objects.all().delete()
    assert services.series_ensure_for_active_projects() == 0
    Project.objects.filter(pk=active.pk).update(status="active")
    assert services.series_ensure_for_active_projects() == 1


def test_a_handover_moves_projects_between_pairs_and_ends_the_empty_one(
    db, django_capture_on_commit_callbacks
):
    priya, marco, sam = UserFactory(), UserFactory(), UserFactory()
    series = make_series(product_owner=priya, manager=marco)
    assert {p.pk for p in series.participants()} == {priya.pk, marco.pk}
    asset = series.project.product.asset
    with django_capture_on_commit_callbacks(execute=True):
        ownership.asset_hand_over(
            asset_id=asset.pk, expected_owner_id=priya.pk, new_owner=sam, by=priya, reason="leave"
        )
    moved = SyncSeries.objects.with_people().get(product_manager=sam, project_manager=marco)
    assert projects_of([moved])[moved.pk] == [series.project]
    old = SyncSeries.objects.with_shared().get(pk=series.pk)
    assert old.not_meeting_why == "no active project shared"
    assert old.ended_at is not None
    assert old.sequence == series.sequence + 1
    assert not SyncSeries.objects.running().filter(pk=series.pk).exists()
    # Sharing a project again restarts the series, with a new SEQUENCE for the invitation.
    with django_capture_on_commit_callbacks(execute=True):
        active_project(product_owner=priya, manager=marco)
        services.series_ensure_for_active_projects()
    old.refresh_from_db()
    assert old.ended_at is None
    assert old.sequence == series.sequence + 2


def test_nobody_syncs_with_herself(db):
    """A product's owner who manages its project herself has no sync (an ownership role
    conflict, shown there); the database refuses such a series."""
    dana = UserFactory()
    project = active_project(product_owner=dana, manager=dana)
    SyncSeries.objects.all().delete()
    assert services.series_ensure_for_active_projects() == 0
    assert services.series_ensure_for_project(project_id=project.pk) is None
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncSeries.objects.create(product_manager=dana, project_manager=dana)


def test_the_database_holds_one_series_per_pair(db):
    series = make_series()
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncSeries.objects.create(
            product_manager=series.product_manager, project_manager=series.project_manager
        )


def test_one_meeting_per_series_per_week_is_a_database_rule(db):
    series = make_series()
    monday = date(2026, 11, 16)
    SyncMeeting.objects.create(series=series, week_start=monday, starts_at=series.starts_at(monday))
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncMeeting.objects.create(
            series=series, week_start=monday, starts_at=series.starts_at(monday)
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncMeeting.objects.create(
            series=series, week_start=date(2026, 11, 17), starts_at=series.starts_at(monday)
        )


def test_meeting_ensure_returns_the_same_meeting_twice(db):
    series = make_series()
    monday = date(2026, 11, 16)
    first = services.meeting_ensure(series=series, week_start=monday)
    assert services.meeting_ensure(series=series, week_start=monday).pk == first.pk


@pytest.mark.parametrize(
    ("monday", "expected_utc"),
    [
        (date(2026, 3, 23), datetime(2026, 3, 24, 9, 0, tzinfo=UTC)),  # CET, UTC+1
        (
            date(2026, 3, 30),
            datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
        ),  # CEST after the spring change
        (date(2026, 10, 19), datetime(2026, 10, 20, 8, 0, tzinfo=UTC)),  # CEST
        (
            date(2026, 10, 26),
            datetime(2026, 10, 27, 9, 0, tzinfo=UTC),
        ),  # CET after the autumn change
    ],
)
def test_start_stays_at_ten_local_across_daylight_saving(db, monday, expected_utc):
    series = make_series(weekday=1, time=time(10, 0), time_zone="Europe/Berlin")
    assert series.starts_at(monday) == expected_utc


def test_week_start_is_the_local_monday(db):
    series = make_series(time_zone="Pacific/Auckland")
    # Sunday 22:00 UTC is already Monday morning in Auckland.
    assert series.week_start(datetime(2026, 11, 22, 22, 0, tzinfo=UTC)) == date(2026, 11, 23)


def test_next_start_is_the_first_meeting_after_a_moment(db):
    series = make_series(weekday=1, time=time(10, 0), time_zone="Europe/Berlin")
    week, start = series.next_start(
        datetime(2026, 11, 17, 9, 30, tzinfo=UTC)
    )  # after Tue 10:00 CET
    assert week == date(2026, 11, 23)
    assert start == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_series_update_moves_future_meetings_and_refuses_stale_versions(db):
    series = make_series(weekday=1, time=time(10, 0), time_zone="Europe/Berlin")
    editor = series.project_manager
    monday = date(2030, 1, 7)
    meeting = services.meeting_ensure(series=series, week_start=monday)
    services.series_update(
        series_id=series.pk,
        expected_version=1,
        weekday=3,
        time=time(15, 30),
        time_zone="America/New_York",
        duration_minutes=45,
        paused=False,
        by=editor,
    )
    meeting.refresh_from_db()
    assert meeting.starts_at == datetime(2030, 1, 10, 20, 30, tzinfo=UTC)
    series.refresh_from_db()
    assert (series.version, series.updated_by) == (2, editor)
    with pytest.raises(StaleEdit) as stale:
        services.series_update(
            series_id=series.pk,
            expected_version=1,
            weekday=0,
            time=time(9, 0),
            time_zone="UTC",
            duration_minutes=30,
            paused=True,
            by=series.product_manager,
        )
    assert stale.value.changed_by == editor
    assert {d.label: (d.saved, d.yours) for d in stale.value.differences}["Weekday"] == (
        "Thursday",
        "Monday",
    )
    series.refresh_from_db()
    assert (series.weekday, series.paused, series.version) == (3, False, 2)
