"""Celery tasks of the webhooks: thin, taking ids, safe to run twice (each row is claimed
before it is sent: roleplan/integrations/webhooks.py)."""

from __future__ import annotations

import math

from celery import shared_task
from django.utils import timezone

from roleplan.integrations import webhooks
from roleplan.integrations.models import DeliveryStatus

# Rows one sweep sends at most, so a sweep stays shorter than its schedule.
SWEEP_LIMIT = 200


@shared_task(
    bind=True,
    name="integrations.send_webhook",
    acks_late=True,
    ignore_result=True,
    max_retries=None,  # rows stop at WEBHOOK_MAX_ATTEMPTS: the task follows them
)
def send_webhook(self, delivery_id: int) -> str | None:
    """Send one delivery; when it failed, or another sender holds it, come back when it is due
    again. In-process (no broker) the sweep or the next event takes the rest."""
    status = webhooks.deliver(delivery_id)
    if self.request.is_eager:
        return status
    if status in (DeliveryStatus.DELIVERED, DeliveryStatus.ABANDONED):
        return status
    due = webhooks.next_attempt(delivery_id)
    if due is None:
        return status
    seconds = max(1, math.ceil((due - timezone.now()).total_seconds()))
    raise self.retry(countdown=seconds)


@shared_task(name="integrations.send_due_webhooks", acks_late=True, ignore_result=True)
def send_due_webhooks() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): retries after their backoff, and rows whose
    sender died and whose lease ran out."""
    sent = 0
    for pk in webhooks.due_ids(limit=SWEEP_LIMIT):
        if webhooks.deliver(pk) == DeliveryStatus.DELIVERED:
            sent += 1
    return sent
