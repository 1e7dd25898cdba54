"""Exactly once with the real thing: a Celery worker on the Redis broker sending to a real SMTP
server. A mention in a comment is one notification and one email, even when the email task is
queued again and a second worker runs it too."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from roleplan.activity import services, tasks
from roleplan.activity.models import Notification
from roleplan.activity.targets import TARGETS
from tests.activity.conftest import World

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


def test_a_mention_is_emailed_once_by_real_workers_however_often_it_is_queued(
    world: World,
    owner,
    viewer,
    workers,
    smtp_sink,
):
    with transaction.atomic():
        services.comment_add(
            target=TARGETS["product"], obj=world.product, by=owner, body=f"@{viewer.username} hi"
        )
    notification = Notification.objects.get(recipient=viewer)
    for _ in range(3):  # a retry, a duplicate delivery of the message, a second sweep
        tasks.send_notification_email.delay(notification.pk)
    workers.start()
    workers.start()
    received = smtp_sink.wait_for(1)
    time.sleep(3)  # long enough for the other queued runs to be taken and find the claim
    assert [r.recipients for r in smtp_sink.received] == [(viewer.email,)], workers.logs()
    assert "mentioned you on Email marketing platform" in received[0].subject
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert Notification.objects.filter(recipient=viewer).count() == 1
