"""Reliability drills with real processes: two beat schedulers at once, and Redis restarted in
the middle of a run. (A worker SIGKILLed mid-batch is drilled in
tests/alignment/test_delivery_exactly_once.py; PostgreSQL going away in tests/security/.)"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis
from celery import Celery

from roleplan.alignment.models import AgendaEntry, Delivery, SyncMeeting
from tests.alignment.delivery_fixtures import make_series_due_now
from tests.alignment.smtp_sink import free_port
from tests.conftest import ROOT

# Celery workers, beat and Redis under faults: about the deployment, run on PostgreSQL only.
pytestmark = pytest.mark.postgresql


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def assert_exactly_once(sink, expected: int) -> None:
    pairs = sink.per_recipient()
    assert sum(pairs.values()) == expected, pairs
    assert set(pairs.values()) == {1}, [p for p, n in pairs.items() if n > 1]
    assert Delivery.objects.filter(status="sent").count() == expected


@pytest.mark.django_db(transaction=True)
def test_two_beat_schedulers_at_once_make_no_duplicate_meeting_agenda_or_email(
    workers, smtp_sink, tmp_path
):
    series = [make_series_due_now(hours=3) for _ in range(4)]
    expected = 2 * len(series)
    for _ in range(2):
        workers.start()
    beats = []
    for n in (1, 2):
        log = open(tmp_path / f"beat-{n}.log", "wb")  # noqa: SIM115 - closed below
        beats.append(
            (
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "roleplan",
                        "beat",
                        "-s",
                        str(tmp_path / f"beat-{n}-schedule"),
                        "--loglevel=INFO",
                    ],
                    cwd=ROOT,
                    env=workers.env(
                        SYNC_PREPARE_EVERY_SECONDS="1", DELIVERY_SWEEP_EVERY_SECONDS="1"
                    ),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
                log,
            )
        )
    try:
        smtp_sink.wait_for(expected, timeout=90)
        # Let both schedulers fire several more times over the finished work.
        time.sleep(6)
    finally:
        for proc, log in beats:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()
    fired = [
        len(
            re.findall(
                r"Sending due task alignment-prepare-due-syncs",
                (tmp_path / f"beat-{n}.log").read_text(),
            )
        )
        for n in (1, 2)
    ]
    print(f"\nbeats fired prepare_due_syncs {fired} times; {len(smtp_sink.received)} emails")
    assert min(fired) >= 3, (fired, workers.logs())
    assert_exactly_once(smtp_sink, expected)
    for s in series:
        assert SyncMeeting.objects.filter(series=s).count() == 1
    keys = list(AgendaEntry.objects.values_list("meeting_id", "key"))
    assert len(keys) == len(set(keys)) > 0


@pytest.fixture
def private_redis(tmp_path) -> Iterator[dict]:
    """A Redis of this test alone, with append-only persistence, that the test can restart."""
    port = free_port()
    data = tmp_path / "redis"
    data.mkdir()
    state: dict = {"url": f"redis://127.0.0.1:{port}/0", "proc": None}

    def start() -> None:
        state["proc"] = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(data),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(state["url"], socket_connect_timeout=1)
        wait_until(lambda: _pings(client), 20, "the private Redis to start")

    def restart() -> None:
        redis.Redis.from_url(state["url"]).shutdown()  # writes the append-only file, then exits
        state["proc"].wait(timeout=20)
        start()

    state["restart"] = restart
    start()
    try:
        yield state
    finally:
        if state["proc"].poll() is None:
            state["proc"].terminate()
            state["proc"].wait(timeout=20)


def _pings(client) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.mark.django_db(transaction=True)
def test_redis_restarted_during_a_run_loses_nothing(workers, smtp_sink, private_redis):
    series = [make_series_due_now(hours=3) for _ in range(8)]
    expected = 2 * len(series)
    smtp_sink.handler.delay = 0.3  # keep the queue busy long enough to restart Redis under it
    workers.start(REDIS_URL=private_redis["url"], DELIVERY_BATCH_SIZE="2")
    app = Celery(broker=private_redis["url"])
    app.send_task("alignment.prepare_due_syncs")
    smtp_sink.wait_for(3, timeout=60)
    broker = redis.Redis.from_url(private_redis["url"])
    # Tasks of every priority: kombu keeps one list per priority step ("celery", "celery\x06\x169").
    queued = sum(
        broker.llen(key) for key in broker.scan_iter("celery*") if broker.type(key) == b"list"
    )
    private_redis["restart"]()
    smtp_sink.wait_for(expected, timeout=120)
    time.sleep(6)  # redelivered tasks (visibility timeout 4 s) find everything sent
    print(f"\nRedis restarted with {queued} tasks queued; {len(smtp_sink.received)} emails")
    assert queued > 0, "the restart happened after the queue drained: the drill proved nothing"
    assert_exactly_once(smtp_sink, expected)
