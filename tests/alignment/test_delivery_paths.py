"""The delivery's rarer paths, for real: a series deleted between finding and preparing, a mail
server that stops answering mid-message, one that goes away on the last message of a batch, a
digest that cannot be rendered, a sender whose lease is over before it starts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from roleplan.alignment import delivery
from roleplan.alignment.models import (
    ActionItem,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    SyncMeeting,
    SyncSeries,
    Weekday,
)
from tests.alignment import delivery_fixtures
from tests.alignment.delivery_fixtures import make_series, people

smtp_sink = delivery_fixtures.smtp_sink

# Tuesday 2 June 2026, 10:00 in Berlin is 08:00 UTC; its reminder window opens on Monday.
MONDAY_MORNING = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


def plan(now: datetime = MONDAY_MORNING) -> list[int]:
    with time_machine.travel(now, tick=False):
        return delivery.reminders_prepare_due()


@pytest.mark.django_db
def test_a_series_deleted_after_it_was_found_due_is_skipped():
    kept, gone = make_series(weekday=Weekday.TUESDAY), make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        due = delivery.reminders_due()
        assert {series_id for series_id, _ in due} == {kept.pk, gone.pk}
        SyncSeries.objects.filter(pk=gone.pk).delete()
        ids = delivery.reminders_prepare(due=due)
    assert {d.meeting.series_id for d in Delivery.objects.filter(pk__in=ids)} == {kept.pk}
    assert SyncMeeting.objects.get().series_id == kept.pk


@pytest.mark.django_db
def test_a_server_that_stops_answering_fails_that_message_and_releases_the_rest(
    smtp_sink, settings
):
    for _ in range(2):
        make_series(weekday=Weekday.TUESDAY)
    plan()
    smtp_sink.handler.delay = 2.0  # each DATA takes longer than the client waits
    settings.EMAIL_TIMEOUT = 0.5
    with pytest.raises(delivery.CONNECTION_ERRORS) as raised:
        delivery.deliveries_send()
    statuses = sorted(Delivery.objects.values_list("status", "attempts"))
    assert statuses == [("failed", 1), ("pending", 0), ("pending", 0), ("pending", 0)]
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert type(raised.value).__name__ in failed.last_error
    assert Delivery.objects.filter(last_error=failed.last_error).count() == 4


@pytest.mark.django_db
def test_a_server_going_away_on_the_last_message_leaves_nothing_to_release(smtp_sink):
    make_series(weekday=Weekday.TUESDAY)
    ids = plan()
    assert len(ids) == 2
    smtp_sink.handler.drop_after = 1  # the second (last) message gets 421 and the line closes
    with pytest.raises(delivery.MESSAGE_ERRORS) as raised:
        delivery.deliveries_send()
    assert raised.value.smtp_code == 421
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["failed", "sent"]
    assert len(smtp_sink.received) == 1


@pytest.mark.django_db
def test_a_sender_whose_lease_is_over_hands_everything_back_and_stops(series_due, settings):
    plan()
    settings.DELIVERY_LEASE_SECONDS = 0  # no time to send anything: every row goes back
    report = delivery.deliveries_send()
    assert (report.claimed, report.sent, report.failed, report.released) == (2, 0, 0, 2)
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 0)}


@pytest.fixture
def series_due(db):
    return make_series(weekday=Weekday.TUESDAY)


@pytest.mark.django_db
def test_a_digest_that_cannot_be_rendered_fails_alone_and_the_others_are_sent(smtp_sink):
    """A series whose stored time zone no longer exists (tzdata dropped it) breaks the digest
    of its two people, not the others'."""
    priya, marco = people("Priya", "Patel"), people("Marco", "Rossi")
    broken = make_series(product_owner=priya, manager=marco, weekday=Weekday.TUESDAY)
    fine = make_series(weekday=Weekday.TUESDAY)
    week = date(2026, 6, 1)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        meeting = SyncMeeting.objects.create(
            series=fine, week_start=week, starts_at=fine.starts_at(week)
        )
        ActionItem.objects.create(
            meeting=meeting,
            text="Late",
            owner=fine.project.manager,
            created_by=fine.project.manager,
            due_date=date(2026, 5, 20),
        )
        SyncSeries.objects.filter(pk=broken.pk).update(time_zone="Mars/Olympus")
        for person in (priya, fine.project.manager):
            Delivery.objects.create(kind=DeliveryKind.DIGEST, digest_week=week, recipient=person)
        report = delivery.deliveries_send()
    assert (report.sent, report.failed) == (1, 1)
    failed = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert failed.recipient == priya
    assert "could not render" in failed.last_error
    assert "Mars/Olympus" in failed.last_error
    assert failed.attempts == delivery.settings.DELIVERY_MAX_ATTEMPTS  # not retried
    assert [r.recipients for r in smtp_sink.received] == [(fine.project.manager.email,)]


@pytest.mark.django_db
def test_only_smtp_answers_decide_whether_a_refusal_is_permanent():
    import smtplib

    assert delivery._is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (550, b"no")}))
    assert not delivery._is_permanent(smtplib.SMTPRecipientsRefused({"a@x": (451, b"later")}))
    assert not delivery._is_permanent(smtplib.SMTPRecipientsRefused({}))
    assert delivery._is_permanent(smtplib.SMTPDataError(554, b"rejected"))
    assert not delivery._is_permanent(smtplib.SMTPSenderRefused(421, b"bye", "a@x"))
    assert delivery.next_attempt([]) is None
    assert delivery.next_attempt([10**9]) is None
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert delivery.digest_week(before).weekday() == 0
