from __future__ import annotations

import uuid

from django.core.cache import cache

from roleplan.celery import ping
from tests.conftest import wait_for


def test_task_travels_through_redis_to_a_real_worker(celery_worker_process):
    token = uuid.uuid4().hex
    ping.delay(token)
    hostname = wait_for(lambda: cache.get(f"ping:{token}"), timeout=60)
    assert hostname
    assert celery_worker_process.poll() is None, "the worker died"
