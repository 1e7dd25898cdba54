"""Celery tasks of the projects app: thin, taking ids, each calling one service, safe to run
twice. Only the named transient errors of the mail server retry a task."""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task

from projects import services
from projects.services import watch

logger = logging.getLogger(__name__)

# The mail server is away or refused for now: worth trying again later.
TRANSIENT_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)


@shared_task(
    bind=True,
    name="projects.send_approval_request",
    acks_late=True,
    ignore_result=True,
    max_retries=8,
)
def send_approval_request(self, approval_id: int) -> bool:
    """Email the product's owner that a baseline awaits approval: once per request, however
    often this runs (services.approval_email_send claims it before sending)."""
    try:
        return services.approval_email_send(approval_id=approval_id)
    except TRANSIENT_ERRORS as exc:
        logger.warning("approval email %d not sent: %s", approval_id, exc)
        if self.request.is_eager:
            return False  # in-process (make run): the request stays on the project page
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries) from exc


@shared_task(name="projects.note_health", acks_late=True, ignore_result=True)
def note_health(project_ids: list[int] | None = None) -> list[int]:
    """Note the projects' health and announce each change once (services.health_note): after a
    write on a project's plan, and every hour for all of them (beat)."""
    return watch.health_note(project_ids=project_ids)
