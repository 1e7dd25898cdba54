"""Builders and fixtures of the delivery tests (reminders, digests, calendar, exactly once).

Fixtures are imported by the test modules that use them (`from ... import smtp_sink`)."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from django.test import TestCase

from roleplan.alignment.models import SyncSeries
from tests.alignment.smtp_sink import SmtpSink
from tests.conftest import ROOT, worker_env
from tests.factories import UserFactory
from tests.projects.factories import approved_project


def make_series(
    *,
    product_owner=None,
    manager=None,
    weekday: int = 1,
    at: time = time(10, 0),
    zone: str = "Europe/Berlin",
    deliverables: int = 1,
    **fields,
) -> SyncSeries:
    """An approved (active) project serving a product, and the weekly series of its pair
    (`series.project`: that project, a convenience of the tests)."""
    # Approving makes the project active; its series is created once that commits (the
    # PROJECT_CHANGED event): run the on-commit callbacks, inside a test's transaction too.
    with TestCase.captureOnCommitCallbacks(execute=True):
        project = approved_project(
            product_owner=product_owner or UserFactory(),
            manager=manager or UserFactory(),
            deliverables=deliverables,
        )
    # Set the series to the week this test needs.
    pair = {"product_manager": project.product.asset.owner, "project_manager": project.manager}
    SyncSeries.objects.filter(**pair).update(weekday=weekday, time=at, time_zone=zone, **fields)
    series = SyncSeries.objects.with_people().get(**pair)
    series.project = project
    return series


def make_series_due_now(hours: int = 2, **fields) -> SyncSeries:
    """A series whose next meeting starts in `hours` hours of real time, so a worker (which runs
    on the real clock) finds its reminder due."""
    zone = fields.pop("zone", "Europe/Berlin")
    soon = (datetime.now(UTC) + timedelta(hours=hours)).astimezone(ZoneInfo(zone))
    return make_series(weekday=soon.weekday(), at=time(soon.hour, soon.minute), zone=zone, **fields)


def people(first: str, last: str, username: str | None = None):
    return UserFactory(
        username=username or f"{first}.{last}".lower(), first_name=first, last_name=last
    )


@pytest.fixture
def smtp_sink(settings) -> Iterator[SmtpSink]:
    """A real SMTP server on a free local port; this process's emails go to it over TCP."""
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield sink
    finally:
        sink.stop()


class Workers:
    """Real Celery workers in their own processes, on the real Redis broker and this test's
    database, sending mail to the sink. Each can be SIGKILLed and others started after it."""

    def __init__(self, database_name: str, sink: SmtpSink, tmp_path) -> None:
        self.database_name = database_name
        self.sink = sink
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **worker_env(self.database_name),
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.sink.port),
            "EMAIL_USE_TLS": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "DELIVERY_RETRY_SECONDS": "1",
            "DELIVERY_LEASE_SECONDS": "4",
            "CELERY_VISIBILITY_TIMEOUT": "4",
            "CELERY_RESTORE_INTERVAL": "1",
            **extra,
        }

    def start(self, **extra: str) -> subprocess.Popen:
        number = len(self.processes) + 1
        log = open(self.tmp_path / f"worker-{number}.log", "wb")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "roleplan",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"delivery-{number}-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env(**extra),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        proc.log = log  # type: ignore[attr-defined]
        self.processes.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def logs(self) -> str:
        return "\n".join(
            f"--- worker {n} ---\n" + path.read_text(errors="replace")
            for n, path in enumerate(sorted(self.tmp_path.glob("worker-*.log")), start=1)
        )

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            proc.log.close()  # type: ignore[attr-defined]


@pytest.fixture
def workers(transactional_db, smtp_sink, tmp_path) -> Iterator[Workers]:
    from django.db import connection

    # This run's own Redis database: drop queued and unacknowledged tasks of earlier tests.
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    pool = Workers(connection.settings_dict["NAME"], smtp_sink, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()
        redis.Redis.from_url(settings.REDIS_URL).flushdb()
