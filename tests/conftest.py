"""Test-wide setup: the real services must be there, and the people of every access test."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def flush_like_truncate(sql_flush):
    """SQLite's flush (between transactional tests) is DELETE, which the history tables'
    append-only triggers refuse; PostgreSQL's is TRUNCATE, which fires no row trigger. Make
    SQLite's flush do what TRUNCATE does: set the triggers aside, empty the tables, put them back."""

    def flush(self, style, tables, **kwargs):
        statements = sql_flush(self, style, tables, **kwargs)
        if not statements:
            return statements
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            triggers = cursor.fetchall()
        return [
            *(f"DROP TRIGGER {self.quote_name(name)};" for name, _ in triggers),
            *statements,
            *(f"{sql};" for _, sql in triggers),
        ]

    return flush


def pytest_configure(config: pytest.Config) -> None:
    # From base, not operations: operations imports base, which imports operations, a cycle
    # that resolves only when base comes first (on PostgreSQL nothing has imported it yet).
    from django.db.backends.sqlite3.base import DatabaseOperations

    DatabaseOperations.sql_flush = flush_like_truncate(DatabaseOperations.sql_flush)
    # Production serves hashed static names from collectstatic; tests serve the source files.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Hashing every test user's password with PBKDF2 would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail at once, saying what to start, when a service the suite needs is missing.

    `make test` runs the suite twice: on PostgreSQL with Redis (everything), then on SQLite with
    no Redis, as `make run` serves (the page and form tests: everything not marked
    `postgresql`, which is deselected there, never skipped)."""
    if not on_postgresql():
        if "not postgresql" not in (session.config.option.markexpr or ""):
            pytest.exit(
                "On SQLite only the tests not marked `postgresql` run: add -m 'not postgresql' "
                "(make test does), or set DATABASE_URL=postgres://postgres@127.0.0.1:5432/roleplan.",
                returncode=3,
            )
        return
    db = settings.DATABASES["default"]
    import psycopg

    try:
        psycopg.connect(
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT']} ({exc}).\n"
            "Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
            returncode=3,
        )
    if not settings.REDIS_URL:
        pytest.exit(
            "The tests need Redis: set REDIS_URL or run them with `make test`.", returncode=3
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {settings.REDIS_URL} ({exc}).\n"
            'Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" '
            "--appendonly no",
            returncode=3,
        )


# Fixtures that start parts of the deployment (a Celery worker on the Redis broker): a test
# using one is about the deployment and runs in the PostgreSQL pass only.
DEPLOYMENT_FIXTURES = {"celery_worker_process"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if DEPLOYMENT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture
def owner(db):
    return UserFactory(username="olivia.owner")


@pytest.fixture
def editor(db):
    return UserFactory(username="eddie.editor")


@pytest.fixture
def viewer(db):
    return UserFactory(username="vera.viewer")


@pytest.fixture
def outsider(db):
    return UserFactory(username="oscar.outsider")


@pytest.fixture
def staff(db):
    return UserFactory(username="stella.staff", is_staff=True)


def worker_env(database_name: str) -> dict[str, str]:
    """The environment of a worker that shares the test run's database and broker."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{database_name}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": "test-only",
        "DEBUG": "0",
        "DB_CONN_MAX_AGE": "0",
    }


@pytest.fixture
def celery_worker_process(transactional_db) -> Iterator[subprocess.Popen]:
    """A real Celery worker in its own process, consuming from the real Redis broker and
    writing to this test's database. The queue is purged first so earlier runs cannot leak in."""
    from django.db import connection

    from roleplan.celery import app

    app.control.purge()
    hostname = f"test-{uuid.uuid4().hex[:8]}@%h"
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
            hostname,
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=worker_env(connection.settings_dict["NAME"]),
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail with the time waited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout} s")
