"""Which meetings are due for a reminder: one local day ahead, in each series' time zone, right
across the daylight-saving changes of Europe/Berlin and America/New_York (frozen with
time-machine)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from roleplan.alignment.models import Weekday
from roleplan.alignment.reminders import due_meetings, reminder_opens_at
from tests.alignment.delivery_fixtures import make_series

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def due_now(series) -> list:
    return [d for d in due_meetings(timezone.now()) if d.series.pk == series.pk]


def test_a_tuesday_sync_in_berlin_is_due_from_monday_at_the_same_local_time():
    series = make_series(weekday=Weekday.TUESDAY, at=time(10, 0), zone="Europe/Berlin")
    # Tuesday 2 June 2026, 10:00 CEST = 08:00 UTC.
    with time_machine.travel(utc(2026, 6, 1, 7, 59), tick=False):
        assert due_now(series) == []
    with time_machine.travel(utc(2026, 6, 1, 8, 0), tick=False):
        [due] = due_now(series)
    assert due.week_start == date(2026, 6, 1)
    assert due.starts_at == utc(2026, 6, 2, 8, 0)


def test_a_sync_that_has_started_is_no_longer_due_and_next_week_is_not_yet():
    series = make_series(weekday=Weekday.TUESDAY, at=time(10, 0), zone="Europe/Berlin")
    with time_machine.travel(utc(2026, 6, 2, 8, 0), tick=False):
        assert due_now(series) == []
    with time_machine.travel(utc(2026, 6, 8, 7, 0), tick=False):
        assert due_now(series) == []


def test_berlin_spring_change_a_sunday_sync_is_announced_23_hours_ahead():
    # Clocks go from 02:00 CET to 03:00 CEST on Sunday 29 March 2026.
    series = make_series(weekday=Weekday.SUNDAY, at=time(10, 0), zone="Europe/Berlin")
    # The meeting: Sunday 10:00 CEST = 08:00 UTC; the reminder: Saturday 10:00 CET = 09:00 UTC.
    with time_machine.travel(utc(2026, 3, 28, 8, 30), tick=False):
        assert due_now(series) == [], "24 hours in UTC would have been too early"
    with time_machine.travel(utc(2026, 3, 28, 9, 0), tick=False):
        [due] = due_now(series)
    assert due.week_start == date(2026, 3, 23)
    assert due.starts_at == utc(2026, 3, 29, 8, 0)
    assert due.starts_at - due.remind_from == timedelta(hours=23)


def test_berlin_spring_change_the_monday_after_keeps_its_local_time():
    series = make_series(weekday=Weekday.MONDAY, at=time(10, 0), zone="Europe/Berlin")
    with time_machine.travel(utc(2026, 3, 29, 8, 0), tick=False):
        [due] = due_now(series)
    # 10:00 CEST, not 10:00 CET: the UTC hour moved with the clocks.
    assert due.starts_at == utc(2026, 3, 30, 8, 0)
    assert due.starts_at.astimezone(series.tz).hour == 10
    assert due.week_start == date(2026, 3, 30)


def test_berlin_autumn_change_a_sunday_sync_is_announced_25_hours_ahead():
    # Clocks go from 03:00 CEST back to 02:00 CET on Sunday 25 October 2026.
    series = make_series(weekday=Weekday.SUNDAY, at=time(10, 0), zone="Europe/Berlin")
    # The meeting: Sunday 10:00 CET = 09:00 UTC; the reminder: Saturday 10:00 CEST = 08:00 UTC.
    with time_machine.travel(utc(2026, 10, 24, 7, 59), tick=False):
        assert due_now(series) == []
    with time_machine.travel(utc(2026, 10, 24, 8, 0), tick=False):
        [due] = due_now(series)
    assert due.starts_at == utc(2026, 10, 25, 9, 0)
    assert due.starts_at - due.remind_from == timedelta(hours=25)
    with time_machine.travel(utc(2026, 10, 25, 8, 59), tick=False):
        assert len(due_now(series)) == 1, "still due in the hour the clocks repeat"


def test_berlin_autumn_change_a_tuesday_sync_moves_one_utc_hour_later():
    series = make_series(weekday=Weekday.TUESDAY, at=time(10, 0), zone="Europe/Berlin")
    with time_machine.travel(utc(2026, 10, 19, 9, 0), tick=False):
        [before] = due_now(series)
    with time_machine.travel(utc(2026, 10, 26, 9, 0), tick=False):
        [after] = due_now(series)
    assert before.starts_at == utc(2026, 10, 20, 8, 0)
    assert after.starts_at == utc(2026, 10, 27, 9, 0)


def test_new_york_spring_change_a_sunday_sync_is_announced_23_hours_ahead():
    # Clocks go from 02:00 EST to 03:00 EDT on Sunday 8 March 2026.
    series = make_series(weekday=Weekday.SUNDAY, at=time(9, 0), zone="America/New_York")
    # The meeting: Sunday 09:00 EDT = 13:00 UTC; the reminder: Saturday 09:00 EST = 14:00 UTC.
    with time_machine.travel(utc(2026, 3, 7, 13, 30), tick=False):
        assert due_now(series) == []
    with time_machine.travel(utc(2026, 3, 7, 14, 0), tick=False):
        [due] = due_now(series)
    assert due.starts_at == utc(2026, 3, 8, 13, 0)


def test_new_york_autumn_change_a_sunday_sync_is_announced_25_hours_ahead():
    # Clocks go from 02:00 EDT back to 01:00 EST on Sunday 1 November 2026.
    series = make_series(weekday=Weekday.SUNDAY, at=time(9, 0), zone="America/New_York")
    # The meeting: Sunday 09:00 EST = 14:00 UTC; the reminder: Saturday 09:00 EDT = 13:00 UTC.
    with time_machine.travel(utc(2026, 10, 31, 12, 59), tick=False):
        assert due_now(series) == []
    with time_machine.travel(utc(2026, 10, 31, 13, 0), tick=False):
        [due] = due_now(series)
    assert due.starts_at == utc(2026, 11, 1, 14, 0)


def test_a_monday_sync_belongs_to_the_local_week_not_the_utc_week():
    # Sunday 23:30 in New York is Monday 03:30 UTC: the meeting belongs to the local week.
    series = make_series(weekday=Weekday.SUNDAY, at=time(23, 30), zone="America/New_York")
    with time_machine.travel(utc(2026, 6, 7, 3, 30), tick=False):
        [due] = due_now(series)
    assert due.starts_at == utc(2026, 6, 8, 3, 30)
    assert due.week_start == date(2026, 6, 1), "the local Monday, not the UTC one"


def test_series_in_different_zones_fall_due_at_different_instants():
    berlin = make_series(weekday=Weekday.TUESDAY, at=time(10, 0), zone="Europe/Berlin")
    new_york = make_series(weekday=Weekday.TUESDAY, at=time(10, 0), zone="America/New_York")
    with time_machine.travel(utc(2026, 6, 1, 8, 0), tick=False):
        assert len(due_now(berlin)) == 1
        assert due_now(new_york) == []
    with time_machine.travel(utc(2026, 6, 1, 14, 0), tick=False):
        assert len(due_now(new_york)) == 1


def test_paused_series_and_projects_no_longer_active_are_never_due():
    make_series(weekday=Weekday.TUESDAY, paused=True)
    on_hold = make_series(weekday=Weekday.TUESDAY)
    on_hold.project.status = "on_hold"
    on_hold.project.save(update_fields=["status"])
    running = make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(utc(2026, 6, 1, 9, 0), tick=False):
        due = {d.series.pk for d in due_meetings(timezone.now())}
    assert due == {running.pk}


def test_a_reminder_for_a_time_skipped_by_the_spring_change_opens_just_after_the_jump():
    # A Monday 02:30 sync: Sunday 02:30 does not exist in Berlin on 29 March 2026. The wall
    # time is read with the winter offset (PEP 495, fold=0): 01:30 UTC, 03:30 CEST.
    series = make_series(weekday=Weekday.MONDAY, at=time(2, 30), zone="Europe/Berlin")
    starts_at = series.starts_at(date(2026, 3, 30))
    assert starts_at == utc(2026, 3, 30, 0, 30)
    assert reminder_opens_at(series, starts_at) == utc(2026, 3, 29, 1, 30)
