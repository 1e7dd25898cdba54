"""Parts of a deployment run as local processes: PostgreSQL databases of a test's own, commands
in a fresh environment, services stopped with their whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
from django.conf import settings

from tests.conftest import ROOT

VENV_BIN = Path(sys.executable).parent
# The variables a deployment reads; a test's process starts from the machine's environment
# without them, then sets its own (nothing of the pytest run's configuration leaks in).
APP_VARIABLES = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "HTTPS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "BACKUP_DIR",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_environment(**env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
    # Commands named as in a container ("python", "celery", "gunicorn") are the venv's.
    base["PATH"] = f"{VENV_BIN}{os.pathsep}{base.get('PATH', '')}"
    return {**base, **env}


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def server() -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {"host": db["HOST"] or "127.0.0.1", "port": str(db["PORT"] or 5432), "user": db["USER"]}


def postgres_url(name: str) -> str:
    s = server()
    return f"postgres://{s['user']}@{s['host']}:{s['port']}/{name}"


def _admin() -> psycopg.Connection:
    s = server()
    return psycopg.connect(
        host=s["host"], port=s["port"], user=s["user"], dbname="postgres", autocommit=True
    )


@contextlib.contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """An empty database of this name for the test (dropped first if a crash left it), dropped
    afterwards even if sessions are still connected; yields its URL."""
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        with _admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def own_name(suffix: str) -> str:
    """A database name of this test run's own: the run's test database plus a suffix."""
    return f"{settings.DATABASES['default']['NAME']}_{suffix}"


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """A service in its own process group (its children: gunicorn's and Celery's workers)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM to the service's process group, SIGKILL if it has not exited in time."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    # Children that outlived their leader (a gunicorn worker, a Celery pool process).
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode
