"""Planning, claiming and sending reminders: one row and one email per (meeting, recipient),
sent in the series' time zone over a real SMTP connection to a local sink."""

from __future__ import annotations

import smtplib
import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, connection, transaction

from roleplan.alignment import delivery
from roleplan.alignment.models import (
    ActionItem,
    AgendaEntry,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    SyncMeeting,
    Weekday,
)
from roleplan.ownership.models import Asset
from tests.alignment import delivery_fixtures
from tests.alignment.delivery_fixtures import make_series, people
from tests.alignment.sync_factories import series_of

smtp_sink = delivery_fixtures.smtp_sink

# Tuesday 2 June 2026, 10:00 in Berlin (CEST) is 08:00 UTC; its reminder opens on Monday.
MONDAY_MORNING = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)
MEETING_WEEK = date(2026, 6, 1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def priya(db):
    return people("Priya", "Patel")


@pytest.fixture
def marco(db):
    return people("Marco", "Rossi")


@pytest.fixture
def series(priya, marco):
    return make_series(product_owner=priya, manager=marco, weekday=Weekday.TUESDAY, at=time(10, 0))


def prepare_and_plan(now: datetime = MONDAY_MORNING) -> list[int]:
    with time_machine.travel(now, tick=False):
        return delivery.reminders_prepare_due()


def send_all(**kwargs) -> delivery.SendReport:
    return delivery.deliveries_send(**kwargs)


@pytest.mark.django_db
def test_preparing_due_syncs_builds_the_agenda_and_plans_one_reminder_per_person(
    series, priya, marco
):
    ids = prepare_and_plan()
    meeting = SyncMeeting.objects.get(series=series)
    assert meeting.week_start == MEETING_WEEK
    assert meeting.starts_at == utc(2026, 6, 2, 8, 0)
    assert meeting.prepared_at is not None
    assert AgendaEntry.objects.filter(meeting=meeting).exists()
    rows = Delivery.objects.filter(pk__in=ids)
    assert {(d.kind, d.meeting_id, d.recipient_id, d.status) for d in rows} == {
        (DeliveryKind.REMINDER, meeting.pk, priya.pk, DeliveryStatus.PENDING),
        (DeliveryKind.REMINDER, meeting.pk, marco.pk, DeliveryStatus.PENDING),
    }


@pytest.mark.django_db
def test_preparing_again_in_the_same_window_plans_nothing_new_and_keeps_the_agenda(series):
    first = prepare_and_plan()
    meeting = SyncMeeting.objects.get(series=series)
    prepared_at = meeting.prepared_at
    second = prepare_and_plan(MONDAY_MORNING + timedelta(hours=3))
    assert second == first
    assert Delivery.objects.count() == 2
    meeting.refresh_from_db()
    assert meeting.prepared_at == prepared_at, "prepared once per reminder window"


@pytest.mark.django_db
def test_nothing_is_prepared_before_the_reminder_window_opens(series):
    assert prepare_and_plan(utc(2026, 6, 1, 7, 59)) == []
    assert not SyncMeeting.objects.exists()
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_reminder_run_creates_a_series_an_active_project_lacks(priya, marco):
    """Approval creates the series; should one be missing (deleted by hand, an old database),
    the reminder run creates it before planning the week."""
    from tests.projects.factories import approved_project

    project = approved_project(product_owner=priya, manager=marco)
    series_of(project).delete()
    # The default series meets on Tuesday at 10:00 Europe/Berlin.
    ids = prepare_and_plan()
    assert len(ids) == 2
    assert SyncMeeting.objects.get().series == series_of(project).get()


@pytest.mark.django_db
def test_the_database_refuses_a_second_reminder_for_the_same_meeting_and_person(series, priya):
    prepare_and_plan()
    meeting = SyncMeeting.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(kind=DeliveryKind.REMINDER, meeting=meeting, recipient=priya)


@pytest.mark.django_db
def test_a_person_in_both_roles_has_no_sync_and_no_reminder(priya):
    """An owner managing her own project is a role conflict (ownership shows it), not a sync."""
    from tests.projects.factories import approved_project

    approved_project(product_owner=priya, manager=priya)
    assert prepare_and_plan() == []
    assert not SyncMeeting.objects.exists()


@pytest.mark.django_db
def test_people_without_an_address_or_deactivated_get_no_reminder(priya, marco):
    marco.email = ""
    marco.save()
    make_series(product_owner=priya, manager=marco, weekday=Weekday.TUESDAY)
    deactivated = people("Dee", "Active")
    deactivated.is_active = False
    deactivated.save()
    make_series(product_owner=deactivated, manager=priya, weekday=Weekday.TUESDAY)
    ids = prepare_and_plan()
    assert set(Delivery.objects.filter(pk__in=ids).values_list("recipient_id", flat=True)) == {
        priya.pk
    }
    assert len(ids) == 2


@pytest.mark.django_db
def test_after_a_handover_the_new_product_owner_is_reminded_too(series, priya):
    prepare_and_plan()
    sofia = people("Sofia", "Lind")
    Asset.objects.filter(pk=series.project.product.asset_id).update(owner=sofia)
    ids = prepare_and_plan(MONDAY_MORNING + timedelta(hours=1))
    recipients = set(Delivery.objects.filter(pk__in=ids).values_list("recipient_id", flat=True))
    assert sofia.pk in recipients
    assert Delivery.objects.filter(recipient=priya).count() == 1


@pytest.mark.django_db
def test_reminders_say_when_in_the_series_time_zone_and_link_to_the_meeting(
    series, priya, marco, settings, smtp_sink
):
    settings.SITE_URL = "https://plan.example.com"
    prepare_and_plan()
    meeting = SyncMeeting.objects.get()
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=1), tick=False):
        report = send_all()
    assert (report.sent, report.failed) == (2, 0)
    received = smtp_sink.received
    assert sorted(r.recipients[0] for r in received) == sorted([priya.email, marco.email])
    for item in received:
        msg = item.message()
        person = priya if priya.email in item.recipients else marco
        assert msg["From"] == settings.DEFAULT_FROM_EMAIL
        assert msg["To"] == f"{person.get_full_name()} <{person.email}>"
        assert msg.get_content_type() == "multipart/alternative"
        # (Non-ASCII: the header is folded into encoded words, read back after a space.)
        pair = f"{priya.get_full_name()} × {marco.get_full_name()}"
        assert msg["Subject"].strip() == f"Weekly sync Tuesday 10:00 Europe/Berlin: {pair}"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        assert "Tuesday 2 June 2026, 10:00 Europe/Berlin (CEST)" in text
        assert f"https://plan.example.com/sync/{meeting.pk}/" in text
        assert f'href="https://plan.example.com/sync/{meeting.pk}/"' in html
        # The agenda by product, then project.
        product = series.project.product.asset.name
        for words in (f"== {product} ==", f"-- {series.project.name} --", "Status\r\n"):
            assert words in text
        assert html.index(f">{product}</h3>") < html.index(f">{series.project.name}</h4>")
        assert msg["Auto-Submitted"] == "auto-generated"
        # RFC 8058: a one-click unsubscribe for this person; the series' invitation attached.
        unsubscribe = msg["List-Unsubscribe"].strip()  # (a long header is folded)
        assert unsubscribe.startswith("<https://plan.example.com/sync/unsubscribe/")
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        invite = next(p for p in msg.walk() if p.get_content_type() == "text/calendar")
        assert invite.get_param("method") == "REQUEST"
        assert f"UID:sync-series-{series.pk}@plan.example.com" in invite.get_content()
    rows = {d.recipient_id: d for d in Delivery.objects.all()}
    assert {r.message_id for r in received} == {d.message_id for d in rows.values()}
    assert all(d.status == DeliveryStatus.SENT and d.sent_at for d in rows.values())
    assert all(d.attempts == 1 for d in rows.values())


@pytest.mark.django_db
def test_a_reminder_names_the_other_person_and_the_agenda_and_carried_action_items(
    series, priya, marco
):
    last_week = SyncMeeting.objects.create(
        series=series, week_start=date(2026, 5, 25), starts_at=utc(2026, 5, 26, 8, 0)
    )
    ActionItem.objects.create(
        meeting=last_week,
        text="Ask legal about consent import",
        owner=marco,
        created_by=priya,
        due_date=date(2026, 5, 29),
    )
    ActionItem.objects.create(
        meeting=last_week,
        text="Already done item",
        owner=marco,
        created_by=priya,
        done_at=utc(2026, 5, 27),
        done_by=marco,
    )
    prepare_and_plan()
    meeting = SyncMeeting.objects.get(week_start=MEETING_WEEK)
    AgendaEntry.objects.create(
        meeting=meeting, section="problems", key="test:1", title="CR-7 Feature XYZ", position=99
    )
    AgendaEntry.objects.create(
        meeting=meeting,
        section="problems",
        key="test:2",
        title="Old stale line",
        stale=True,
        position=100,
    )
    send_all()
    to_priya = next(m for m in mail.outbox if priya.email in m.to[0])
    assert "with Marco Rossi" in to_priya.body
    assert "CR-7 Feature XYZ" in to_priya.body
    assert "Old stale line" not in to_priya.body
    assert "Ask legal about consent import (Marco Rossi, due Fri 29 May)" in to_priya.body
    assert "Already done item" not in to_priya.body
    assert to_priya.to == [f"Priya Patel <{priya.email}>"]


@pytest.mark.django_db
def test_sending_again_sends_nothing(series, smtp_sink):
    prepare_and_plan()
    assert send_all().sent == 2
    assert send_all().sent == 0
    assert len(prepare_and_plan(MONDAY_MORNING + timedelta(hours=2))) == 0
    assert send_all().sent == 0
    assert len(smtp_sink.received) == 2


@pytest.mark.django_db
def test_a_batch_goes_over_one_smtp_connection(smtp_sink, settings):
    settings.DELIVERY_BATCH_SIZE = 4
    for _ in range(5):
        make_series(weekday=Weekday.TUESDAY)
    ids = prepare_and_plan()
    assert len(ids) == 10
    report = send_all()
    assert report.sent == 10
    assert len(smtp_sink.received) == 10
    assert smtp_sink.connections == 3, "10 emails in batches of 4: three connections"
    assert set(smtp_sink.per_recipient().values()) == {1}


@pytest.mark.django_db
def test_a_refused_recipient_is_retried_after_a_backoff_and_then_sent_once(
    series, priya, marco, smtp_sink, settings
):
    settings.DELIVERY_RETRY_SECONDS = 60
    smtp_sink.handler.refuse = lambda a: "451 4.3.0 try again later" if a == priya.email else None
    prepare_and_plan()
    start = MONDAY_MORNING + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        report = send_all()
    assert (report.sent, report.failed) == (1, 1)
    failed = Delivery.objects.get(recipient=priya)
    assert failed.status == DeliveryStatus.FAILED
    assert failed.attempts == 1
    assert "451" in failed.last_error
    assert failed.next_attempt_at == start + timedelta(seconds=60)
    smtp_sink.handler.refuse = lambda a: None
    with time_machine.travel(start + timedelta(seconds=59), tick=False):
        assert send_all().sent == 0, "not before the backoff"
    with time_machine.travel(start + timedelta(seconds=60), tick=False):
        assert send_all().sent == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (DeliveryStatus.SENT, 2, "")
    assert smtp_sink.per_recipient() == {
        (failed.message_id, priya.email): 1,
        (Delivery.objects.get(recipient=marco).message_id, marco.email): 1,
    }


@pytest.mark.django_db
def test_the_backoff_doubles_and_a_permanent_refusal_is_not_retried(
    series, priya, smtp_sink, settings
):
    settings.DELIVERY_RETRY_SECONDS = 60
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert delivery.backoff(30) == timedelta(hours=6)
    smtp_sink.handler.refuse = lambda a: "550 5.1.1 no such user" if a == priya.email else None
    prepare_and_plan()
    send_all()
    row = Delivery.objects.get(recipient=priya)
    assert row.status == DeliveryStatus.FAILED
    assert row.attempts == settings.DELIVERY_MAX_ATTEMPTS
    with time_machine.travel(MONDAY_MORNING + timedelta(days=1), tick=False):
        assert send_all().claimed == 0


@pytest.mark.django_db
def test_an_unreachable_mail_server_releases_the_batch_unattempted(series, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # discard: nothing listens there
    settings.EMAIL_USE_TLS = False
    prepare_and_plan()
    with pytest.raises(ConnectionRefusedError):
        send_all()
    rows = list(Delivery.objects.all())
    assert {(d.status, d.attempts, d.claimed_by) for d in rows} == {(DeliveryStatus.PENDING, 0, "")}
    assert all("could not connect" in d.last_error for d in rows)


@pytest.mark.django_db
def test_a_server_going_away_mid_batch_keeps_what_was_sent_and_releases_the_rest(
    smtp_sink, settings
):
    for _ in range(3):
        make_series(weekday=Weekday.TUESDAY)
    prepare_and_plan()
    smtp_sink.handler.drop_after = 2
    with pytest.raises(smtplib.SMTPSenderRefused):
        send_all()
    statuses = sorted(Delivery.objects.values_list("status", flat=True))
    assert statuses == ["failed", "pending", "pending", "pending", "sent", "sent"]
    smtp_sink.handler.drop_after = None
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1), tick=False):
        assert send_all().sent == 4
    assert len(smtp_sink.received) == 6
    assert set(smtp_sink.per_recipient().values()) == {1}


@pytest.mark.django_db
def test_a_sending_row_is_reclaimed_only_after_its_lease(series, settings):
    settings.DELIVERY_LEASE_SECONDS = 600
    prepare_and_plan()
    start = MONDAY_MORNING + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        claimed = delivery.deliveries_claim(token="dead-worker", limit=10)
    assert len(claimed) == 2
    with time_machine.travel(start + timedelta(seconds=599), tick=False):
        assert send_all().claimed == 0
    with time_machine.travel(start + timedelta(seconds=601), tick=False):
        report = send_all()
    assert report.sent == 2
    assert {d.attempts for d in Delivery.objects.all()} == {2}
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_sender_stops_before_its_lease_runs_out(series, settings):
    prepare_and_plan()
    claimed = delivery.deliveries_claim(token="slow", limit=10)
    long_ago = datetime.now(UTC) - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    report = delivery._send_batch(claimed, "slow", long_ago)
    assert (report.sent, report.released) == (0, 2)
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_message_that_cannot_be_rendered_fails_alone(series, monkeypatch):
    prepare_and_plan()
    from roleplan.alignment import reminders

    original = reminders.reminder_message
    broken = Delivery.objects.order_by("pk").first()

    def render(row, context):
        if row.pk == broken.pk:
            raise ValueError("template exploded")
        return original(row, context)

    monkeypatch.setattr(reminders, "reminder_message", render)
    report = send_all()
    assert (report.sent, report.failed) == (1, 1)
    broken.refresh_from_db()
    assert broken.status == DeliveryStatus.FAILED
    assert "template exploded" in broken.last_error


@pytest.mark.postgresql  # SKIP LOCKED under real concurrent connections
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_reminder_once(smtp_sink):
    for _ in range(10):
        make_series(weekday=Weekday.TUESDAY)
    ids = prepare_and_plan()
    assert len(ids) == 20
    barrier = threading.Barrier(4)
    reports = []
    errors = []

    def run():
        try:
            barrier.wait()
            reports.append(delivery.deliveries_send(ids=ids, batch_size=3))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(r.sent for r in reports) == 20
    assert len(smtp_sink.received) == 20
    assert set(smtp_sink.per_recipient().values()) == {1}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.postgresql  # ON CONFLICT under real concurrent connections
@pytest.mark.django_db(transaction=True)
def test_two_planners_at_once_leave_one_row_per_meeting_and_person():
    for _ in range(5):
        make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        delivery.reminders_prepare_due()
    meeting_ids = list(SyncMeeting.objects.values_list("pk", flat=True))
    Delivery.objects.all().delete()
    barrier = threading.Barrier(4)
    errors = []

    def run():
        try:
            barrier.wait()
            delivery.deliveries_plan_reminders(meeting_ids=meeting_ids)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Delivery.objects.count() == 10


@pytest.mark.django_db
def test_the_sent_mark_is_refused_without_a_time_by_the_database(series):
    prepare_and_plan()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.update(status=DeliveryStatus.SENT)


@pytest.mark.django_db
def test_the_message_id_is_stable_per_delivery(series, settings):
    settings.EMAIL_MESSAGE_DOMAIN = "plan.example.com"
    prepare_and_plan()
    row = Delivery.objects.order_by("pk").first()
    assert row.message_id == f"<roleplan-delivery-{row.pk}@plan.example.com>"
    send_all()
    assert {m.extra_headers["Message-ID"] for m in mail.outbox} == {
        d.message_id for d in Delivery.objects.all()
    }
