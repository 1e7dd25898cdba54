"""The reminder's calendar invitation (one recurring event per pair's series, a stable UID, a
SEQUENCE counted up by every change, CANCEL when paused or ended), RFC 8058's one-click
unsubscribe, and the preview of what will be sent."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from icalendar import Calendar

from roleplan.alignment import delivery, reminders, services
from roleplan.alignment.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    ReminderSetting,
    SyncSeries,
    Weekday,
)
from tests.alignment.delivery_fixtures import make_series, people

# Monday 1 June 2026, 08:30 UTC: the Tuesday 10:00 Berlin sync's reminder window is open.
MONDAY_MORNING = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
def priya(db):
    return people("Priya", "Patel")


@pytest.fixture
def marco(db):
    return people("Marco", "Rossi")


@pytest.fixture
def series(priya, marco):
    return make_series(product_owner=priya, manager=marco, weekday=Weekday.TUESDAY, at=time(10))


def send(moment: datetime = MONDAY_MORNING) -> list:
    with time_machine.travel(moment, tick=False):
        delivery.reminders_prepare_due()
        delivery.deliveries_send()
    return mail.outbox


def calendar_of(message) -> tuple[Calendar, str]:
    (content, mimetype) = next(
        (c, m) for c, m in message.alternatives if m.startswith("text/calendar")
    )
    return Calendar.from_ical(content), mimetype


class CalendarApp:
    """What a calendar does with invitations (RFC 5546): an event is known by its UID; a
    REQUEST with a higher SEQUENCE replaces it, a CANCEL removes it."""

    def __init__(self) -> None:
        self.events: dict[str, tuple[int, object]] = {}

    def receive(self, cal: Calendar) -> None:
        method = str(cal["method"])
        for event in cal.walk("VEVENT"):
            uid, seq = str(event["uid"]), int(event.get("sequence", 0))
            known = self.events.get(uid)
            if known is not None and known[0] > seq:
                continue
            if method == "CANCEL":
                self.events.pop(uid, None)
            else:
                self.events[uid] = (seq, event)


def test_the_reminder_carries_the_series_as_one_recurring_event(series, priya, marco, settings):
    settings.SITE_URL = "http://127.0.0.1:9000"  # PORT=9000 make run: links follow
    sent = send()
    assert len(sent) == 2
    app = CalendarApp()
    for message in sent:
        cal, mimetype = calendar_of(message)
        assert mimetype == "text/calendar; method=REQUEST"
        app.receive(cal)
        app.receive(cal)  # imported twice: still one event
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.extra_headers["List-Unsubscribe"].startswith(
            "<http://127.0.0.1:9000/sync/unsubscribe/"
        )
        assert "http://127.0.0.1:9000/sync/" in message.body
    assert list(app.events) == [f"sync-series-{series.pk}@127.0.0.1"]
    _, event = app.events[f"sync-series-{series.pk}@127.0.0.1"]
    assert event["rrule"]["FREQ"] == ["WEEKLY"]
    start = event.decoded("dtstart")
    assert (start.hour, start.minute, str(start.tzinfo)) == (10, 0, "Europe/Berlin")
    assert start.weekday() == Weekday.TUESDAY
    attendees = {str(a) for a in event.get("attendee")}
    assert attendees == {f"mailto:{priya.email}", f"mailto:{marco.email}"}
    assert str(event["url"]) == "http://127.0.0.1:9000/sync/"


def test_a_new_time_updates_the_event_and_pausing_cancels_it(series, priya, marco):
    app = CalendarApp()
    for message in send():
        app.receive(calendar_of(message)[0])
    uid = f"sync-series-{series.pk}@127.0.0.1"
    assert app.events[uid][0] == 0
    with time_machine.travel(MONDAY_MORNING + timedelta(hours=2), tick=False):
        services.series_update(
            series_id=series.pk,
            expected_version=series.version,
            weekday=Weekday.WEDNESDAY,
            time=time(11, 0),
            time_zone="Europe/Berlin",
            duration_minutes=30,
            paused=False,
            by=priya,
        )
    series.refresh_from_db()
    assert series.sequence == 1
    ics = reminders.invitation(SyncSeries.objects.with_people().get(pk=series.pk), [])
    app.receive(Calendar.from_ical(ics))
    seq, event = app.events[uid]
    assert seq == 1
    assert event.decoded("dtstart").hour == 11
    # Paused: a cancellation goes to each person who was invited, once.
    mail.outbox.clear()
    with time_machine.travel(MONDAY_MORNING + timedelta(hours=3), tick=False):
        services.series_update(
            series_id=series.pk,
            expected_version=series.version,
            weekday=Weekday.WEDNESDAY,
            time=time(11, 0),
            time_zone="Europe/Berlin",
            duration_minutes=30,
            paused=True,
            by=priya,
        )
        delivery.deliveries_send()
        delivery.deliveries_send()
    cancels = Delivery.objects.filter(kind=DeliveryKind.CANCELLATION)
    assert {d.recipient_id for d in cancels} == {priya.pk, marco.pk}
    assert {d.status for d in cancels} == {DeliveryStatus.SENT}
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        cal, mimetype = calendar_of(message)
        assert mimetype == "text/calendar; method=CANCEL"
        assert message.subject.startswith("Cancelled: Weekly sync")
        assert "is paused" in message.body
        app.receive(cal)
    assert app.events == {}


def test_one_click_unsubscribe_turns_reminders_off_and_the_page_turns_them_on(
    client, series, priya, marco
):
    token = reminders.unsubscribe_token(marco.pk)
    url = reverse("alignment:unsubscribe", args=[token])
    # A mail client's one-click POST: no session, no CSRF token.
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "are <strong>off</strong>" in response.content.decode()
    assert ReminderSetting.objects.get(user=marco).reminders is False
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 200  # idempotent
    sent = send()
    assert [m.to[0] for m in sent] == [f"{priya.get_full_name()} <{priya.email}>"]
    # The page (GET changes nothing) offers to turn them on again.
    page = client.get(url).content.decode()
    assert "Turn them on again" in page
    on = client.post(reverse("alignment:resubscribe", args=[token]), follow=True)
    assert "are <strong>on</strong>" in on.content.decode()
    assert ReminderSetting.objects.get(user=marco).reminders is True


def test_the_sync_page_previews_the_reminder_and_when_it_goes_out(client, series, priya):
    with time_machine.travel(MONDAY_MORNING - timedelta(days=2), tick=False):
        meeting = services.meeting_prepare_current(series=series)
        client.force_login(priya)
        page = client.get(meeting.get_absolute_url()).content.decode()
        preview = client.get(reverse("alignment:reminder_preview", args=[meeting.pk]))
    assert "goes out Mon 1 Jun, 10:00 Europe/Berlin" in page
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Hello Priya," in html
    assert "with Marco Rossi is on" in html
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in html
    assert f"sync-series-{series.pk}@127.0.0.1" in html
    assert "FREQ=WEEKLY" in html
    assert not Delivery.objects.exists()  # a preview sends nothing
    outsider = people("Oscar", "Out")
    client.force_login(outsider)
    assert client.get(reverse("alignment:reminder_preview", args=[meeting.pk])).status_code == 404


def test_a_cancellation_that_cannot_be_rendered_fails_alone(series, priya, marco):
    """A series whose stored zone no calendar knows (written around the form): its
    cancellation fails and is retried later; the other emails of the batch go out."""
    send()
    mail.outbox.clear()
    SyncSeries.objects.filter(pk=series.pk).update(paused=True, sequence=1)
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=30), tick=False):
        services._plan_cancellation(SyncSeries.objects.with_people().get(pk=series.pk))
    broken = Delivery.objects.filter(kind=DeliveryKind.CANCELLATION).order_by("pk").first()
    SyncSeries.objects.filter(pk=series.pk).update(time_zone="Not/AZone")
    with time_machine.travel(MONDAY_MORNING + timedelta(hours=1), tick=False):
        report = delivery.deliveries_send()
    assert report.failed == 2
    broken.refresh_from_db()
    assert broken.status == DeliveryStatus.FAILED
    assert "Not/AZone" in broken.last_error


def test_a_token_that_does_not_verify_names_nobody(db, marco):
    from django.core import signing

    assert reminders.unsubscribe_user_id(reminders.unsubscribe_token(marco.pk)) == marco.pk
    assert reminders.unsubscribe_user_id("forged:token") is None
    assert reminders.unsubscribe_user_id(signing.dumps(marco.pk, salt="other")) is None
    text = signing.dumps("marco", salt=reminders.UNSUBSCRIBE_SALT)
    assert reminders.unsubscribe_user_id(text) is None


def test_the_reminder_lists_the_topics_either_person_added(series, priya, marco):
    with time_machine.travel(MONDAY_MORNING - timedelta(days=1), tick=False):
        meeting = services.meeting_prepare_current(series=series)
        services.topic_add(meeting=meeting, text="Hiring for Q3", by=marco)
    (message, _) = send()
    assert "Topics (1)\n  - Hiring for Q3 (Marco Rossi)" in message.body
    assert "Hiring for Q3" in message.alternatives[0][0]
