"""Celery tasks of the weekly sync: thin, taking ids, each calling one service, safe to run twice.

Every task acknowledges late (a task lost with its worker is delivered again) and can run any
number of times: planning inserts with ON CONFLICT DO NOTHING, and sending claims each row
before it sends it (roleplan/alignment/delivery.py). Only the named transient errors of the
mail server retry a task; anything else is a bug and fails loudly.
"""

from __future__ import annotations

import logging
import math
import smtplib
from datetime import date

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from roleplan.alignment import delivery

logger = logging.getLogger(__name__)

# The mail server is away or refused for now: worth trying again later.
TRANSIENT_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
# Batches one sweep sends at most, so a sweep stays shorter than its schedule.
SWEEP_BATCHES = 50
# Preparing waits behind sending (on Redis, 0 is the first served and the default): a worker
# free to take a task sends the reminders of a prepared chunk before it prepares the next, so
# the reminders go out while later meetings are prepared, and a process waiting on the mail
# server leaves the CPU to one preparing agendas.
PREPARE_PRIORITY = 9


def dispatch(delivery_ids: list[int]) -> int:
    """Enqueue the sending of these deliveries, one task (one SMTP connection) per batch, so
    several workers share a large run. Returns the number of tasks."""
    size = settings.DELIVERY_BATCH_SIZE
    batches = [delivery_ids[i : i + size] for i in range(0, len(delivery_ids), size)]
    for batch in batches:
        send_deliveries.delay(batch)
    return len(batches)


@shared_task(name="alignment.prepare_due_syncs", acks_late=True, ignore_result=True)
def prepare_due_syncs() -> int:
    """Every few minutes (CELERY_BEAT_SCHEDULE): find the meetings starting within a local day
    and queue their preparation in chunks, so several workers share a large run and the first
    reminders go out while later meetings are still being prepared."""
    due = delivery.reminders_due()
    size = max(1, settings.DELIVERY_BATCH_SIZE // 2)  # two people a meeting: one send batch
    for start in range(0, len(due), size):
        prepare_meetings.apply_async(
            [[[series_id, week.isoformat()] for series_id, week in due[start : start + size]]],
            priority=PREPARE_PRIORITY,
        )
    return len(due)


@shared_task(name="alignment.prepare_meetings", acks_late=True, ignore_result=True)
def prepare_meetings(due: list[list]) -> int:
    """Prepare these meetings ([series id, week start] pairs) and send their reminders."""
    ids = delivery.reminders_prepare(
        due=[(int(series_id), date.fromisoformat(week)) for series_id, week in due]
    )
    dispatch(ids)
    return len(ids)


@shared_task(name="alignment.plan_weekly_digests", acks_late=True, ignore_result=True)
def plan_weekly_digests() -> int:
    """Every Monday morning: one digest per person with something waiting on them."""
    ids = delivery.digests_plan_current()
    dispatch(ids)
    return len(ids)


def _countdown(due) -> int:
    seconds = (due - timezone.now()).total_seconds() if due else 0
    return max(1, math.ceil(seconds))


@shared_task(
    bind=True,
    name="alignment.send_deliveries",
    acks_late=True,
    ignore_result=True,
    # Each retry follows an attempt or a lease, and rows stop at DELIVERY_MAX_ATTEMPTS; a bound
    # all the same, should a row never become due.
    max_retries=20,
)
def send_deliveries(self, delivery_ids: list[int]) -> int:
    """Send these deliveries over one SMTP connection. Rows already sent, or held by another
    sender, are skipped; refused ones are tried again when their backoff is over.

    In-process (no broker: CELERY_TASK_ALWAYS_EAGER) a retry would run at once, so there the
    task leaves the rest to the next run of send_reminders or of the sweep."""
    try:
        report = delivery.deliveries_send(ids=delivery_ids)
    except TRANSIENT_ERRORS as exc:
        logger.warning("sending %d deliveries was interrupted: %s", len(delivery_ids), exc)
        if self.request.is_eager:
            return 0
        raise self.retry(
            exc=exc, countdown=_countdown(delivery.next_attempt(delivery_ids))
        ) from exc
    if report.next_due is not None and not self.request.is_eager:
        # Some were refused for now, or are held by a sender that may have died: come back.
        raise self.retry(countdown=_countdown(report.next_due))
    return report.sent


@shared_task(name="alignment.send_due_deliveries", acks_late=True, ignore_result=True)
def send_due_deliveries() -> int:
    """Every minute: send whatever is due and was not sent by its own task (retries after a
    backoff, rows whose sender died and whose lease ran out)."""
    try:
        return delivery.deliveries_send(max_batches=SWEEP_BATCHES).sent
    except TRANSIENT_ERRORS as exc:
        # The rows were released or failed with a backoff; the next sweep tries again.
        logger.warning("the delivery sweep was interrupted: %s", exc)
        return 0
