"""A sync's first agenda and a decision recorded in it are announced (issue 18's events 'sync
prepared' and 'decision recorded'): one webhook delivery each, to a subscriber who may see the
sync; refreshing the agenda is not news."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from roleplan.alignment import services
from roleplan.events import Event
from roleplan.integrations.models import WebhookDelivery
from roleplan.integrations.services import subscription_create
from tests.alignment.sync_factories import make_meeting, make_series
from tests.factories import UserFactory

# The deliveries' sends are queued on the Redis broker after commit, not run in-process.
pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

MOMENT = datetime(2026, 5, 25, 8, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def hooked(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    series = make_series()
    staff = UserFactory(is_staff=True)
    subscription = subscription_create(
        owner=staff,
        target_url="http://127.0.0.1:9/hook",
        kind="standard",
        events=[str(Event.SYNC_PREPARED), str(Event.DECISION_RECORDED)],
    )
    return series, subscription


def deliveries(subscription) -> list[tuple[str, dict]]:
    return [
        (row.event_type, json.loads(row.body)["data"])
        for row in WebhookDelivery.objects.filter(subscription=subscription).order_by("pk")
    ]


def test_the_first_agenda_is_announced_once_and_a_decision_each_time(
    hooked, django_capture_on_commit_callbacks
):
    series, subscription = hooked
    with django_capture_on_commit_callbacks(execute=True):
        meeting = make_meeting(series, MOMENT)
    with django_capture_on_commit_callbacks(execute=True):
        make_meeting(series, MOMENT)  # the agenda refreshed: no second announcement
    assert [(kind, data["id"]) for kind, data in deliveries(subscription)] == [
        (str(Event.SYNC_PREPARED), meeting.pk)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        decision = services.decision_add(
            meeting=meeting,
            text="Keep ABC; XYZ waits for the next quarter.",
            change_request=None,
            by=series.product_manager,
        )
    kind, data = deliveries(subscription)[-1]
    assert kind == str(Event.DECISION_RECORDED)
    assert data["id"] == decision.pk
    assert "XYZ waits" in data["text"]
