from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from projects.models import Project
from roleplan.alignment import services
from roleplan.alignment.models import SyncMeeting, SyncSeries
from roleplan.ownership import services as ownership
from roleplan.versioning import StaleEdit
from tests.alignment.sync_factories import make_series
from tests.factories import UserFactory
from tests.projects.factories import approved_project

UTC = ZoneInfo("UTC")


def test_every_active_project_serving_a_product_gets_one_series(db):
    active = approved_project()
    without_product = approved_project()
    Project.objects.filter(pk=without_product.pk).update(product=None)
    Project.objects.filter(pk__in=[active.pk, without_product.pk]).update(status="on_hold")
    SyncSeries.objects.all().delete()  # approval created them; the safety net is tested here
    assert services.series_ensure_for_active_projects() == 0  # on hold: no sync
    Project.objects.filter(pk__in=[active.pk, without_product.pk]).update(status="active")
    assert services.series_ensure_for_active_projects() == 1
    assert services.series_ensure_for_active_projects() == 0  # idempotent
    assert SyncSeries.objects.get().project == active


def test_participants_are_read_live_so_a_handover_changes_who_is_invited(db):
    priya, marco, sam = UserFactory(), UserFactory(), UserFactory()
    series = make_series(product_owner=priya, manager=marco)
    assert {p.pk for p in series.participants()} == {priya.pk, marco.pk}
    asset = series.project.product.asset
    ownership.asset_hand_over(
        asset_id=asset.pk, expected_owner_id=priya.pk, new_owner=sam, by=priya, reason="leave"
    )
    fresh = SyncSeries.objects.with_people().get(pk=series.pk)
    assert {p.pk for p in fresh.participants()} == {sam.pk, marco.pk}


def test_combined_roles_make_one_participant(db):
    dana = UserFactory()
    series = make_series(product_owner=dana, manager=dana)
    assert [p.pk for p in series.participants()] == [dana.pk]


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
