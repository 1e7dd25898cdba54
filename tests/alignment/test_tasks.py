"""The Celery tasks in this process: a real worker in a thread of the test (Celery's testing
worker, solo pool), on the real Redis broker and this test's database, sending to the local
SMTP sink. The tasks chain as in production (the beat task queues the preparation, which queues
the sending), and their retries go through the broker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from roleplan.alignment import tasks
from roleplan.alignment.models import ActionItem, Delivery, DeliveryKind, DeliveryStatus
from roleplan.celery import app
from tests.alignment import delivery_fixtures
from tests.alignment.delivery_fixtures import make_series_due_now
from tests.alignment.smtp_sink import free_port
from tests.conftest import wait_for

smtp_sink = delivery_fixtures.smtp_sink


@pytest.fixture
def worker(transactional_db, smtp_sink, settings) -> Iterator[None]:
    settings.DELIVERY_RETRY_SECONDS = 1
    app.control.purge()  # nothing left over from another test reaches this one's worker
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ):
        yield
    app.control.purge()


@pytest.mark.postgresql  # a real worker on the Redis broker
def test_the_beat_task_prepares_due_syncs_and_their_reminders_are_sent(worker, smtp_sink):
    series = make_series_due_now()
    tasks.prepare_due_syncs.delay()
    received = smtp_sink.wait_for(2, timeout=30)
    people = {series.product_manager.email, series.project_manager.email}
    assert {r for message in received for r in message.recipients} == people
    wait_for(lambda: set(Delivery.objects.values_list("status", flat=True)) == {"sent"})
    assert Delivery.objects.get(recipient=series.project_manager).meeting.prepared_at


@pytest.mark.postgresql  # a real worker on the Redis broker
def test_the_weekly_digest_task_plans_and_sends_the_digests(worker, smtp_sink):
    series = make_series_due_now(hours=30)
    week = series.week_start(timezone.now() - timedelta(days=7))
    meeting = series.meetings.create(week_start=week, starts_at=series.starts_at(week))
    ActionItem.objects.create(
        meeting=meeting,
        text="Late",
        owner=series.project_manager,
        created_by=series.project_manager,
        due_date=date.today() - timedelta(days=3),
    )
    tasks.plan_weekly_digests.delay()
    wait_for(lambda: Delivery.objects.filter(kind=DeliveryKind.DIGEST).exists(), timeout=30)
    wait_for(
        lambda: set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    )
    digests = Delivery.objects.filter(kind=DeliveryKind.DIGEST)
    assert series.project_manager.pk in {d.recipient_id for d in digests}
    assert len(smtp_sink.received) == digests.count()
    assert series.project_manager.email in {r for m in smtp_sink.received for r in m.recipients}


@pytest.mark.postgresql  # a real worker on the Redis broker
def test_a_refused_reminder_is_retried_by_its_task_after_the_backoff(worker, smtp_sink):
    series = make_series_due_now()
    refused = series.product_manager.email
    first_time = threading.Event()

    def refuse_once(address: str) -> str | None:
        if address == refused and not first_time.is_set():
            first_time.set()
            return "451 4.3.0 try again later"
        return None

    smtp_sink.handler.refuse = refuse_once
    tasks.prepare_due_syncs.delay()
    smtp_sink.wait_for(2, timeout=30)
    row = Delivery.objects.get(recipient=series.product_manager)
    wait_for(lambda: Delivery.objects.get(pk=row.pk).status == DeliveryStatus.SENT)
    row.refresh_from_db()
    assert row.attempts == 2
    assert set(smtp_sink.per_recipient().values()) == {1}


@pytest.mark.postgresql  # a real worker on the Redis broker
def test_an_unreachable_mail_server_makes_the_task_retry_until_it_answers(
    worker, smtp_sink, settings
):
    series = make_series_due_now()
    settings.EMAIL_PORT = free_port()  # nothing listens there
    tasks.prepare_due_syncs.delay()
    wait_for(
        lambda: Delivery.objects.filter(last_error__contains="could not connect").count() == 2,
        timeout=30,
    )
    assert smtp_sink.received == []
    settings.EMAIL_PORT = smtp_sink.port  # the server is back: the task's retry sends
    received = smtp_sink.wait_for(2, timeout=30)
    assert {r for message in received for r in message.recipients} == {
        series.product_manager.email,
        series.project_manager.email,
    }
    wait_for(lambda: set(Delivery.objects.values_list("status", flat=True)) == {"sent"})


def test_in_process_a_task_leaves_refused_or_unreachable_sends_to_the_next_run(db, settings):
    """Without a broker (CELERY_TASK_ALWAYS_EAGER, make run) a retry would run at once: the
    task returns and the next send_reminders or sweep sends."""
    make_series_due_now()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    settings.EMAIL_TIMEOUT = 2
    from roleplan.alignment import delivery

    ids = delivery.reminders_prepare_due()
    assert tasks.send_deliveries.apply(args=[ids]).get() == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}
