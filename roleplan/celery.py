"""The Celery application. Without REDIS_URL, tasks run in-process (CELERY_TASK_ALWAYS_EAGER).

Workers and beat leave heartbeats in Redis for /healthz (roleplan/health.py): a worker from its
event loop, so a worker whose loop is stuck goes stale too; beat from each scheduler pass.
"""

from __future__ import annotations

import os
import socket

from celery import Celery, bootsteps
from celery.beat import PersistentScheduler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roleplan.settings")

app = Celery("roleplan")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="roleplan.ping")
def ping(token: str) -> None:
    """Leave a trace in the shared cache: proves a worker took a task from the broker."""
    from django.core.cache import cache

    cache.set(f"ping:{token}", socket.gethostname(), timeout=300)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Write this worker's heartbeat every HEALTH_HEARTBEAT_SECONDS, and 'stopped' on a clean
    shutdown. It runs on the worker's timer, which the consumer's event loop drives: a worker
    killed, frozen or wedged stops beating and /healthz reports it stale."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker) -> None:
        from django.conf import settings

        from roleplan.health import record_worker

        if not settings.REDIS_URL:
            return
        record_worker(worker.hostname)
        self.tref = worker.timer.call_repeatedly(
            settings.HEALTH_HEARTBEAT_SECONDS, record_worker, (worker.hostname,), priority=10
        )

    def stop(self, worker) -> None:
        from roleplan.health import record_worker

        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
            record_worker(worker.hostname, "stopped")


app.steps["worker"].add(WorkerHeartbeat)


class HeartbeatScheduler(PersistentScheduler):
    """The default scheduler (schedule kept in the --schedule file) that writes the time of each
    pass for /healthz. Beat passes at least every CELERY_BEAT_MAX_LOOP_INTERVAL seconds, which
    settings tie to HEALTH_HEARTBEAT_SECONDS, so an idle beat still beats."""

    def tick(self, *args, **kwargs) -> float:
        from roleplan.health import record_beat

        record_beat()
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        from roleplan.health import record_beat

        try:
            super().close()
        finally:
            record_beat("stopped")
