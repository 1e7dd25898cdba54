"""Celery tasks of the activity app: thin, taking ids, each calling one service, safe to run
twice (emails are claimed before they are sent: emails.py; notifications are unique per event
and person: notifications.py). Only the named transient errors of the mail server retry."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.utils import timezone

from roleplan.activity import emails, reactions

logger = logging.getLogger(__name__)

# The mail server is away or refused for now: worth trying again later.
TRANSIENT_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    name="activity.send_notification_email",
    acks_late=True,
    ignore_result=True,
    max_retries=8,
)
def send_notification_email(self, notification_id: int) -> bool:
    try:
        return emails.notification_email_send(notification_id=notification_id)
    except TRANSIENT_ERRORS as exc:
        logger.warning("notification email %d not sent: %s", notification_id, exc)
        if self.request.is_eager:
            return False  # in-process (make run): it stays in the inbox
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="activity.plan_weekly_digests", acks_late=True, ignore_result=True)
def plan_weekly_digests() -> int:
    """Monday (CELERY_BEAT_SCHEDULE): one digest per person with notifications waiting for
    it, each sent by its own task."""
    ids = emails.digests_plan(now=timezone.now())
    for digest_id in ids:
        send_digest.delay(digest_id)
    return len(ids)


@shared_task(
    bind=True, name="activity.send_digest", acks_late=True, ignore_result=True, max_retries=8
)
def send_digest(self, digest_id: int) -> bool:
    try:
        return emails.digest_send(digest_id=digest_id)
    except TRANSIENT_ERRORS as exc:
        logger.warning("activity digest %d not sent: %s", digest_id, exc)
        if self.request.is_eager:
            return False
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="activity.sweep_action_items", acks_late=True, ignore_result=True)
def sweep_action_items() -> int:
    """Every few minutes: tell owners of action items given to them or overdue (once each)."""
    return reactions.action_items_sweep(today=timezone.localdate())
