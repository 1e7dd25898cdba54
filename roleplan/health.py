"""What /healthz reports: the database, the broker, the Celery workers and beat.

Workers and beat cannot be asked cheaply (a broadcast ping waits for its whole timeout when
nobody answers), so they leave a heartbeat in Redis instead: every worker writes its hostname
and the time every HEALTH_HEARTBEAT_SECONDS from its event loop (roleplan/celery.py), and beat
writes the time of its last scheduler pass. /healthz reads both with one round trip.

Only what the web process itself needs decides the status code: the database, and the broker
when one is configured (a page that enqueues a task would fail without it) answer 503 when
down. Workers and beat are reported by name ("stale: celery@worker1 last seen 312 s ago") and
listed in "degraded", with 200: the pages still work, reminders wait. A load balancer keeps
sending traffic; a monitor alerts on "degraded".

This module imports no app: the health middleware (roleplan/middleware.py) serves it before
any of them.
"""

from __future__ import annotations

import json
import logging
import socket

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

WORKERS_KEY = "roleplan:health:workers"  # hash: hostname -> {"at": epoch, "state": ...}
BEAT_KEY = "roleplan:health:beat"  # {"at": epoch, "state": ..., "host": ...}
# Parts whose failure answers 503: the web process cannot serve without them.
REQUIRED = ("database", "broker")


def redis_client() -> redis.Redis:
    # Short timeouts: a health check that hangs is worse than one that says "error".
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1, decode_responses=True
    )


# -- Writing heartbeats (from the worker and beat processes) ---------------------------------


def redis_now(client: redis.Redis) -> float:
    """Redis's clock: heartbeats written on one host and read on another compare alike."""
    seconds, microseconds = client.time()
    return seconds + microseconds / 1e6


def record_worker(hostname: str, state: str = "running") -> None:
    """Write one worker's heartbeat; never raises (a worker must not die of its heartbeat)."""
    try:
        client = redis_client()
        try:
            now = redis_now(client)
            value = json.dumps({"at": now, "state": state})
            client.hset(WORKERS_KEY, hostname, value)
            # Forget workers gone for longer than HEALTH_FORGET_SECONDS (scaled down, renamed).
            forget = [
                host
                for host, raw in client.hgetall(WORKERS_KEY).items()
                if now - _load(raw).get("at", 0) > settings.HEALTH_FORGET_SECONDS
            ]
            if forget:
                client.hdel(WORKERS_KEY, *forget)
        finally:
            client.close()
    except redis.RedisError as exc:
        logger.warning("worker heartbeat not written: %s", exc)


def record_beat(state: str = "running") -> None:
    """Write beat's heartbeat (the time of its last scheduler pass); never raises."""
    try:
        client = redis_client()
        try:
            at = redis_now(client)
            value = json.dumps({"at": at, "state": state, "host": socket.gethostname()})
            client.set(BEAT_KEY, value, ex=int(settings.HEALTH_FORGET_SECONDS))
        finally:
            client.close()
    except redis.RedisError as exc:
        logger.warning("beat heartbeat not written: %s", exc)


def _load(raw: str | None) -> dict:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# -- Reading them (in /healthz) ---------------------------------------------------------------


def check_database() -> str:
    try:
        # Raw SQL because the ORM cannot say it: every ORM query reads a model's table, and
        # /healthz must prove the server answers without one (SELECT 1 reads nothing).
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "unreachable" to a load balancer
        return f"error: {type(exc).__name__}"
    return "ok"


def ago(seconds: float) -> str:
    return f"{max(seconds, 0):.0f} s ago"


def describe_workers(beats: dict[str, str], now: float) -> str:
    stale_after = settings.HEALTH_STALE_SECONDS
    workers = sorted(
        ((host, _load(raw)) for host, raw in beats.items()),
        key=lambda pair: pair[1].get("at", 0),
        reverse=True,
    )
    alive = [
        host
        for host, beat in workers
        if beat.get("state") == "running" and now - beat.get("at", 0) <= stale_after
    ]
    gone = [
        f"{host} stopped {ago(now - beat.get('at', 0))}"
        if beat.get("state") == "stopped"
        else f"{host} last seen {ago(now - beat.get('at', 0))}"
        for host, beat in workers
        if host not in alive
    ]
    if alive:
        text = f"ok: {len(alive)} alive ({', '.join(alive)})"
        return f"{text}; gone: {', '.join(gone)}" if gone else text
    if not workers:
        return "none seen"
    _, newest = workers[0]
    kind = "stopped" if newest.get("state") == "stopped" else "stale"
    return f"{kind}: {', '.join(gone)}"


def describe_beat(raw: str | None, now: float) -> str:
    beat = _load(raw)
    if not beat:
        return "none seen"
    age = now - beat.get("at", 0)
    if beat.get("state") == "stopped":
        return f"stopped: {ago(age)} on {beat.get('host', '?')}"
    if age > settings.HEALTH_STALE_SECONDS:
        return f"stale: last tick {ago(age)} on {beat.get('host', '?')}"
    return f"ok: last tick {ago(age)}"


def check_celery() -> dict[str, str]:
    """The broker, and the workers and beat as their heartbeats in it tell."""
    if not settings.REDIS_URL:
        # make run: tasks run in the web process itself, there is no worker or beat to watch.
        return {"broker": "not configured", "workers": "not configured", "beat": "not configured"}
    client = redis_client()
    try:
        with client.pipeline(transaction=False) as pipe:
            pipe.time().hgetall(WORKERS_KEY).get(BEAT_KEY)
            (seconds, microseconds), workers, beat = pipe.execute()
    except redis.RedisError as exc:
        unknown = "unknown: broker unreachable"
        return {"broker": f"error: {type(exc).__name__}", "workers": unknown, "beat": unknown}
    finally:
        client.close()
    now = seconds + microseconds / 1e6
    return {
        "broker": "ok",
        "workers": describe_workers(workers, now),
        "beat": describe_beat(beat, now),
    }


def is_healthy(value: str) -> bool:
    return value == "not configured" or value.partition(":")[0] == "ok"


def status() -> tuple[dict, int]:
    report: dict = {"database": check_database(), **check_celery()}
    failing = [part for part, value in report.items() if not is_healthy(value)]
    report["degraded"] = [part for part in failing if part not in REQUIRED]
    return report, 503 if any(part in REQUIRED for part in failing) else 200


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the web process can serve (workers or beat missing are listed in
    "degraded"); 503 naming the database or broker when one does not answer."""
    report, code = status()
    return JsonResponse(report, status=code)
