"""/healthz: the database and the broker decide the status code; workers and beat are named with
how long ago they were heard from, and listed in "degraded" when none is alive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connections

from roleplan.health import BEAT_KEY, WORKERS_KEY, record_beat, record_worker
from tests.conftest import ROOT, wait_for, worker_env


@pytest.fixture
def heartbeats() -> Iterator[redis.Redis]:
    """The heartbeats in this run's Redis, emptied before and after: other tests' workers beat
    into the same keys."""
    client = redis.Redis.from_url(django_settings.REDIS_URL, decode_responses=True)
    client.delete(WORKERS_KEY, BEAT_KEY)
    try:
        yield client
    finally:
        client.delete(WORKERS_KEY, BEAT_KEY)
        client.close()


def heard(client: redis.Redis, host: str, seconds_ago: float, state: str = "running") -> None:
    client.hset(WORKERS_KEY, host, json.dumps({"at": time.time() - seconds_ago, "state": state}))


def beat_heard(client: redis.Redis, seconds_ago: float, state: str = "running") -> None:
    at = time.time() - seconds_ago
    client.set(BEAT_KEY, json.dumps({"at": at, "state": state, "host": "scheduler1"}))


@pytest.mark.postgresql  # the heartbeats live in Redis
def test_healthz_answers_ok_naming_the_live_workers_and_beats_last_tick(client, db, heartbeats):
    record_worker("celery@worker1")
    record_beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "ok",
        "workers": "ok: 1 alive (celery@worker1)",
        "beat": "ok: last tick 0 s ago",
        "degraded": [],
    }


@pytest.mark.postgresql  # the heartbeats live in Redis
def test_a_worker_silent_past_the_window_is_named_stale_with_200(client, db, heartbeats, settings):
    settings.HEALTH_STALE_SECONDS = 90
    heard(heartbeats, "celery@worker1", 312)
    record_beat()
    response = client.get("/healthz")
    assert response.status_code == 200  # pages still work; reminders wait
    body = response.json()
    assert body["workers"] == "stale: celery@worker1 last seen 312 s ago"
    assert body["degraded"] == ["workers"]


@pytest.mark.postgresql  # the heartbeats live in Redis
def test_a_worker_that_stopped_cleanly_is_named_stopped(client, db, heartbeats):
    heard(heartbeats, "celery@worker1", 40, state="stopped")
    body = client.get("/healthz").json()
    assert body["workers"] == "stopped: celery@worker1 stopped 40 s ago"
    assert "workers" in body["degraded"]


@pytest.mark.postgresql  # the heartbeats live in Redis
def test_one_live_worker_keeps_workers_ok_and_names_the_lost_one(client, db, heartbeats):
    heard(heartbeats, "celery@worker1", 2)
    heard(heartbeats, "celery@worker2", 200)
    record_beat()
    body = client.get("/healthz").json()
    assert (
        body["workers"] == "ok: 1 alive (celery@worker1); gone: celery@worker2 last seen 200 s ago"
    )
    assert body["degraded"] == []


@pytest.mark.postgresql  # the heartbeats live in Redis
def test_a_worker_gone_longer_than_the_forget_window_is_dropped(db, heartbeats, settings):
    settings.HEALTH_FORGET_SECONDS = 3600
    heard(heartbeats, "celery@scaled-down", 4000)
    record_worker("celery@worker1")
    assert set(heartbeats.hgetall(WORKERS_KEY)) == {"celery@worker1"}


@pytest.mark.postgresql  # the heartbeats live in Redis
def test_beat_is_named_when_stale_stopped_or_never_seen(client, db, heartbeats, settings):
    settings.HEALTH_STALE_SECONDS = 90
    record_worker("celery@worker1")
    assert client.get("/healthz").json()["beat"] == "none seen"
    beat_heard(heartbeats, 300)
    assert client.get("/healthz").json()["beat"] == "stale: last tick 300 s ago on scheduler1"
    beat_heard(heartbeats, 10, state="stopped")
    response = client.get("/healthz")
    assert response.json()["beat"] == "stopped: 10 s ago on scheduler1"
    assert response.json()["degraded"] == ["beat"]
    assert response.status_code == 200


@pytest.mark.postgresql  # the heartbeats live in Redis
def test_no_worker_ever_seen_is_said_so(client, db, heartbeats):
    body = client.get("/healthz").json()
    assert body["workers"] == "none seen"
    assert body["degraded"] == ["workers", "beat"]


def test_healthz_says_not_configured_without_redis(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "database": "ok",
        "broker": "not configured",
        "workers": "not configured",
        "beat": "not configured",
        "degraded": [],
    }


def test_healthz_answers_503_naming_the_broker_when_redis_is_unreachable(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")
    assert body["workers"] == "unknown: broker unreachable"


@pytest.fixture
def unreachable_database(django_db_blocker):
    """Point the default connection at a closed port: a real refused connection."""
    with django_db_blocker.unblock():
        conn = connections["default"]
        conn.close()
        saved = conn.settings_dict["PORT"]
        conn.settings_dict["PORT"] = "1"
        try:
            yield
        finally:
            conn.close()
            conn.settings_dict["PORT"] = saved


@pytest.mark.postgresql
def test_healthz_answers_503_naming_the_database_when_postgres_is_unreachable(
    client, unreachable_database
):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"].startswith("error")
    assert body["broker"] == "ok"


def test_healthz_is_public_and_never_cached(client, db):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_whatever_the_host_and_nothing_else_does(client, db, settings):
    """The compose healthcheck asks http://127.0.0.1:8000/healthz while ALLOWED_HOSTS holds
    the public name; a load balancer probes by address too."""
    settings.ALLOWED_HOSTS = ["roleplan.example.com"]
    assert client.get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
    assert client.get("/healthz", HTTP_HOST="10.1.2.3").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.post("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/healthz/", HTTP_HOST="127.0.0.1:8000").status_code == 400
    assert client.get("/accounts/login/", HTTP_HOST="roleplan.example.com").status_code == 200


# -- A real worker ------------------------------------------------------------------------------


def start_worker(name: str) -> subprocess.Popen:
    from django.db import connection

    env = worker_env(connection.settings_dict["NAME"])
    env["HEALTH_HEARTBEAT_SECONDS"] = "0.5"
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "roleplan", "worker", "--pool=solo"),
            *("--without-heartbeat", "--without-gossip", "--without-mingle"),
            *("-n", name, "--loglevel=WARNING"),
        ],
        cwd=ROOT,
        env=env,
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_healthz_names_a_worker_that_was_stopped_and_one_that_was_killed(
    client, heartbeats, settings
):
    settings.HEALTH_STALE_SECONDS = 3
    polite, killed = (f"{kind}-{uuid.uuid4().hex[:6]}@test" for kind in ("polite", "killed"))
    workers = [start_worker(polite), start_worker(killed)]
    try:

        def workers_field() -> str:
            return client.get("/healthz").json()["workers"]

        wait_for(lambda: workers_field().startswith("ok: 2 alive"), timeout=60)

        stop(workers[0])  # docker compose stop: SIGTERM, a clean shutdown
        wait_for(lambda: f"{polite} stopped" in workers_field(), timeout=30)
        assert workers_field().startswith(f"ok: 1 alive ({killed})")

        stop(workers[1], signal.SIGKILL)  # no goodbye: only its silence tells
        started = time.monotonic()
        response = wait_for(
            lambda: (r := client.get("/healthz")).json()["workers"].startswith("stale") and r,
            timeout=30,
        )
        waited = time.monotonic() - started
        body = response.json()
        assert response.status_code == 200
        assert f"{killed} last seen" in body["workers"]
        assert f"{polite} stopped" in body["workers"]
        assert body["degraded"] == ["workers", "beat"]
        print(f"\nkilled worker reported stale {waited:.1f} s after SIGKILL (window 3 s)")
    finally:
        for proc in workers:
            stop(proc, signal.SIGKILL)
