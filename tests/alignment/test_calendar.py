"""The private calendar feed, read back with the icalendar parser as a calendar app reads it,
and the profile page where its address is shown, replaced and turned off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from icalendar import Calendar

from roleplan.alignment import calendar
from roleplan.alignment.models import CalendarToken, SyncMeeting, Weekday
from tests.alignment.delivery_fixtures import make_series, people
from tests.projects.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 18 March 2026, before the spring change (29 March).
NOW = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def priya(db):
    return people("Priya", "Patel")


@pytest.fixture
def marco(db):
    return people("Marco", "Rossi")


@pytest.fixture
def series(priya, marco):
    return make_series(product_owner=priya, manager=marco, weekday=Weekday.TUESDAY, at=time(10))


def read(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(cal: Calendar, category: str) -> list:
    return [e for e in cal.walk("VEVENT") if category in e.categories]


def feed_of(user) -> Calendar:
    token = calendar.calendar_token_regenerate(user=user)
    return read(Client().get(reverse("alignment:calendar_feed", args=[token.token])))


def test_the_feed_is_public_at_its_secret_address_and_parses_as_icalendar(series, priya):
    token = calendar.calendar_token_regenerate(user=priya)
    url = reverse("alignment:calendar_feed", args=[token.token])
    assert url == f"/sync/calendar/{token.token}.ics"
    response = Client().get(url)  # no session: calendar apps do not sign in
    cal = read(response)
    assert str(cal["x-wr-calname"]) == "roleplan · Priya Patel"
    assert response["Cache-Control"] == "private, max-age=300"
    assert "noindex" in response["X-Robots-Tag"]


def test_an_unknown_or_revoked_address_is_not_found(series, priya, client):
    assert Client().get("/sync/calendar/not-a-token.ics").status_code == 404
    token = calendar.calendar_token_regenerate(user=priya).token
    assert calendar.calendar_token_revoke(user=priya) is True
    assert Client().get(f"/sync/calendar/{token}.ics").status_code == 404
    assert calendar.calendar_token_revoke(user=priya) is False


def test_replacing_the_address_stops_the_old_one_at_once(series, priya):
    old = calendar.calendar_token_regenerate(user=priya).token
    new = calendar.calendar_token_regenerate(user=priya).token
    assert new != old
    assert Client().get(f"/sync/calendar/{old}.ics").status_code == 404
    assert Client().get(f"/sync/calendar/{new}.ics").status_code == 200
    assert CalendarToken.objects.filter(user=priya).count() == 1


def test_a_deactivated_person_has_no_feed(series, priya):
    token = calendar.calendar_token_regenerate(user=priya).token
    priya.is_active = False
    priya.save()
    assert Client().get(f"/sync/calendar/{token}.ics").status_code == 404


def test_syncs_keep_their_local_time_across_the_spring_change(series, marco):
    syncs = events(feed_of(marco), "Sync")
    starts = {e.decoded("dtstart").date(): e.decoded("dtstart") for e in syncs}
    before, after = starts[date(2026, 3, 24)], starts[date(2026, 3, 31)]
    assert before.tzinfo.key == after.tzinfo.key == "Europe/Berlin"
    assert (before.hour, after.hour) == (10, 10)
    assert before.astimezone(UTC).hour == 9
    assert after.astimezone(UTC).hour == 8
    assert [e.decoded("dtend") - e.decoded("dtstart") for e in syncs][0] == timedelta(minutes=30)
    assert len(syncs) == calendar.FUTURE_WEEKS
    assert len({str(e["uid"]) for e in syncs}) == len(syncs)
    text = feed_of(marco).to_ical().decode()
    assert "BEGIN:VTIMEZONE" in text
    assert "TZID:Europe/Berlin" in text


def test_a_held_meeting_keeps_its_time_and_links_to_its_page(series, marco, settings):
    settings.SITE_URL = "https://plan.example.com"
    held = SyncMeeting.objects.create(
        series=series,
        week_start=date(2026, 3, 9),
        starts_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
    )
    [event] = [
        e
        for e in events(feed_of(marco), "Sync")
        if e.decoded("dtstart").date() == date(2026, 3, 10)
    ]
    assert str(event["url"]) == f"https://plan.example.com/sync/{held.pk}/"
    assert str(event["uid"]).startswith(f"sync-{series.pk}-20260309@plan.example.com")
    assert "Marco Rossi" in str(event["description"])
    assert "Priya Patel" in str(event["description"])


def test_milestones_and_deadlines_of_the_person_projects_are_all_day_events(series, marco):
    MilestoneFactory(project=series.project, title="Go live", due_date=date(2026, 11, 23))
    MilestoneFactory(
        project=series.project,
        title="Contract",
        due_date=date(2026, 3, 2),
        done_on=date(2026, 3, 1),
    )
    stranger = ProjectFactory(name="Someone else's")
    MilestoneFactory(project=stranger, title="Not mine")
    cal = feed_of(marco)
    milestones = {str(e["summary"]): e for e in events(cal, "Milestone")}
    assert set(milestones) == {
        f"Go live · {series.project.name}",
        f"Contract (done) · {series.project.name}",
    }
    go_live = milestones[f"Go live · {series.project.name}"]
    assert go_live.decoded("dtstart") == date(2026, 11, 23)
    assert go_live.decoded("dtend") == date(2026, 11, 24)
    [deadline] = events(cal, "Deadline")
    assert str(deadline["summary"]) == f"Deadline · {series.project.name}"
    assert deadline.decoded("dtstart") == series.project.deadline


def test_the_product_owner_sees_the_same_sync_events_as_the_manager(series, priya, marco):
    uids = {str(e["uid"]) for e in events(feed_of(priya), "Sync")}
    assert uids == {str(e["uid"]) for e in events(feed_of(marco), "Sync")}
    assert uids


def test_a_paused_series_has_no_coming_syncs_but_keeps_its_past_ones(series, marco):
    SyncMeeting.objects.create(
        series=series,
        week_start=date(2026, 3, 9),
        starts_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
    )
    series.paused = True
    series.save()
    syncs = events(feed_of(marco), "Sync")
    assert [e.decoded("dtstart").date() for e in syncs] == [date(2026, 3, 10)]


def test_the_feed_reads_the_same_number_of_queries_whatever_its_size(
    series, marco, django_assert_num_queries
):
    token = calendar.calendar_token_regenerate(user=marco).token
    url = f"/sync/calendar/{token}.ics"
    client = Client()
    with django_assert_num_queries(5):
        small = read(client.get(url))
    for n in range(5):
        extra = make_series(manager=marco, weekday=n, at=time(9))
        for k in range(10):
            MilestoneFactory(project=extra.project, title=f"M{n}-{k}")
        SyncMeeting.objects.create(
            series=extra,
            week_start=date(2026, 3, 9),
            starts_at=extra.starts_at(date(2026, 3, 9)),
        )
    with django_assert_num_queries(5):
        large = read(client.get(url))
    assert len(list(large.walk("VEVENT"))) > len(list(small.walk("VEVENT"))) + 50


# --- the profile page ----------------------------------------------------------------------


@pytest.fixture
def signed_in(client, priya):
    client.force_login(priya)
    return client


def test_the_profile_page_needs_a_signed_in_person(series):
    response = Client().get("/sync/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_without_a_feed_the_profile_offers_to_create_one(series, signed_in):
    page = signed_in.get("/sync/profile/").content.decode()
    assert "No calendar feed yet" in page
    assert 'action="/sync/profile/calendar/regenerate/"' in page
    response = signed_in.post("/sync/profile/calendar/regenerate/")
    assert response.status_code == 302
    assert response["Location"] == "/sync/profile/"
    page = signed_in.get("/sync/profile/").content.decode()
    token = CalendarToken.objects.get()
    assert f"http://127.0.0.1:8000/sync/calendar/{token.token}.ics" in page
    assert f"webcal://127.0.0.1:8000/sync/calendar/{token.token}.ics" in page
    assert "Your calendar address is ready." in page


def test_the_profile_shows_the_address_what_the_feed_holds_and_the_syncs(series, priya, signed_in):
    MilestoneFactory(project=series.project, title="Go live")
    calendar.calendar_token_regenerate(user=priya)
    page = signed_in.get("/sync/profile/").content.decode()
    assert "Your private address" in page
    assert "26 coming; next Tuesday 24 March 2026, 10:00" in page
    assert "1 open" in page
    assert "Tuesdays 10:00 Europe/Berlin" in page
    assert priya.email in page
    assert 'data-copy-target="feed-url"' in page
    assert "js/sync-profile.js" in page


def test_replacing_the_address_asks_for_confirmation_first(series, priya, signed_in):
    old = calendar.calendar_token_regenerate(user=priya).token
    confirm = signed_in.get("/sync/profile/calendar/regenerate/")
    assert confirm.status_code == 200
    assert "stop updating at once" in confirm.content.decode()
    assert CalendarToken.objects.get().token == old, "looking at the question changes nothing"
    response = signed_in.post("/sync/profile/calendar/regenerate/", follow=True)
    assert CalendarToken.objects.get().token != old
    assert "was replaced" in response.content.decode()


def test_turning_the_feed_off_asks_for_confirmation_then_removes_the_address(
    series, priya, signed_in
):
    token = calendar.calendar_token_regenerate(user=priya).token
    confirm = signed_in.get("/sync/profile/calendar/revoke/")
    assert "Turn off your calendar feed?" in confirm.content.decode()
    assert CalendarToken.objects.exists()
    response = signed_in.post("/sync/profile/calendar/revoke/", follow=True)
    assert not CalendarToken.objects.exists()
    assert "Your calendar feed is off." in response.content.decode()
    assert Client().get(f"/sync/calendar/{token}.ics").status_code == 404


def test_confirming_without_a_feed_goes_back_to_the_profile_and_unknown_changes_are_404(
    series, signed_in
):
    assert signed_in.get("/sync/profile/calendar/revoke/")["Location"] == "/sync/profile/"
    assert signed_in.get("/sync/profile/calendar/explode/").status_code == 404
    assert signed_in.post("/sync/profile/calendar/explode/").status_code == 404


def test_one_person_cannot_change_another_persons_address(series, priya, marco, signed_in):
    theirs = calendar.calendar_token_regenerate(user=marco).token
    signed_in.post("/sync/profile/calendar/revoke/")
    signed_in.post("/sync/profile/calendar/regenerate/")
    assert CalendarToken.objects.get(user=marco).token == theirs


def test_the_profile_page_reads_the_same_number_of_queries_with_more_syncs_and_emails(
    series, priya, marco, signed_in, django_assert_num_queries
):
    from roleplan.alignment.models import Delivery, DeliveryKind

    calendar.calendar_token_regenerate(user=priya)
    signed_in.get("/sync/profile/")  # warm the session

    def add(n: int) -> None:
        for _ in range(n):
            extra = make_series(product_owner=priya, weekday=Weekday.FRIDAY)
            meeting = SyncMeeting.objects.create(
                series=extra,
                week_start=date(2026, 3, 9),
                starts_at=extra.starts_at(date(2026, 3, 9)),
            )
            MilestoneFactory(project=extra.project)
            Delivery.objects.create(kind=DeliveryKind.REMINDER, meeting=meeting, recipient=priya)

    add(1)
    with django_assert_num_queries(QUERIES := 8):
        assert signed_in.get("/sync/profile/").status_code == 200
    add(8)
    with django_assert_num_queries(QUERIES):
        assert signed_in.get("/sync/profile/").status_code == 200
