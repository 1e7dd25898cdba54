"""Webhooks through real Celery workers on the real Redis broker and PostgreSQL, to a real
local receiver: delivered after the commit and verified by the standardwebhooks library; a
worker SIGKILLed while the receiver holds the request neither loses the event nor sends it
under another id (a second copy, if any, carries the same webhook-id, as the specification
lets receivers drop it)."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from standardwebhooks.webhooks import Webhook

from roleplan.integrations import services
from roleplan.integrations.models import DeliveryStatus, WebhookDelivery
from tests.conftest import ROOT, wait_for, worker_env
from tests.integrations.receiver import Receiver
from tests.products.factories import make_item, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


class Workers:
    def __init__(self, database: str, tmp_path) -> None:
        self.database = database
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        env = {
            **worker_env(self.database),
            "WEBHOOKS_ALLOW_PRIVATE": "1",
            "WEBHOOK_LEASE_SECONDS": "3",
            "WEBHOOK_RETRY_SECONDS": "1",
            "WEBHOOK_TIMEOUT": "30",
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "CELERY_RESTORE_INTERVAL": "1",
        }
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "roleplan",
                "worker",
                "--pool=solo",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"webhooks-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def workers(transactional_db, tmp_path) -> Iterator[Workers]:
    from django.db import connection

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    pool = Workers(connection.settings_dict["NAME"], tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


def delivered(count: int):
    return lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == count


def test_an_event_is_delivered_by_a_worker_and_verifies(workers, receiver, owner):
    product = make_product(owner=owner)
    sub = services.subscription_create(
        owner=owner,
        product=product,
        target_url=receiver.url,
        kind="standard",
        events=["products.roadmap_item_created"],
    )
    workers.start()
    item = make_item(product, title="Through the broker")  # commits: the event is planned
    wait_for(delivered(1), timeout=60)
    assert len(receiver.received) == 1
    got = receiver.received[0]
    payload = Webhook(sub.secret).verify(got.body, got.headers)
    assert payload["data"]["id"] == item.pk
    assert payload["type"] == "products.roadmap_item_created"


def test_a_worker_killed_mid_delivery_neither_loses_nor_duplicates_the_event(
    workers, receiver, owner
):
    product = make_product(owner=owner)
    sub = services.subscription_create(
        owner=owner,
        product=product,
        target_url=receiver.url,
        kind="standard",
        events=["products.roadmap_item_created"],
    )
    receiver.hold = threading.Event()  # the first request waits: the worker is mid-delivery
    first = workers.start()
    make_item(product, title="Kill me")
    assert receiver.holding.wait(timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    row = WebhookDelivery.objects.get(subscription=sub)
    assert row.status == DeliveryStatus.SENDING  # the killed worker's claim
    receiver.hold.set()  # answer the dead worker's request (nobody reads it)
    receiver.hold = None
    workers.start()  # only the broker's redelivery (acks_late) and the lease bring it back
    wait_for(delivered(1), timeout=90)
    time.sleep(4)  # longer than the lease: another copy would have been claimed by now
    rows = list(WebhookDelivery.objects.all())
    assert len(rows) == 1
    assert rows[0].status == DeliveryStatus.DELIVERED
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert ids == {rows[0].event_id}, "one event id, however many times it was sent"
    assert 2 <= len(receiver.received) <= 3
    for got in receiver.received:
        Webhook(sub.secret).verify(got.body, got.headers)
