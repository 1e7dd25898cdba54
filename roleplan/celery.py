"""The Celery application. Without REDIS_URL, tasks run in-process (CELERY_TASK_ALWAYS_EAGER)."""

from __future__ import annotations

import os
import socket

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roleplan.settings")

app = Celery("roleplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="roleplan.ping")
def ping(token: str) -> None:
    """Leave a trace in the shared cache: proves a worker took a task from the broker."""
    from django.core.cache import cache

    cache.set(f"ping:{token}", socket.gethostname(), timeout=300)
