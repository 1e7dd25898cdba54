"""docker-compose.yml proven without Docker: each service's command, with the environment compose
would give it, runs as a local process against the local PostgreSQL and Redis.

The file is read as compose reads it: the `x-app` anchor merged into each service, `.env`
(here .env.example with SECRET_KEY filled, as an operator's copy) as the env_file and as the
source of `${VAR:-default}` / `${VAR:?error}` in `environment`. What a container gives that a
local process lacks is mapped, and only that: the service names `db` and `redis` in URLs become
the local servers (a database and Redis db number of this test's own), the container's port 8000
a free local port (in the web command and its healthcheck alike), and each container's private
/tmp a folder of the service's own. The web service has no command of its own in the compose
file: it is the image's, the Dockerfile's CMD (gunicorn), which the test reads from there.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import yaml
from django.conf import settings

from roleplan.health import BEAT_KEY, WORKERS_KEY
from tests.conftest import ROOT, wait_for
from tests.deploy.processes import (
    clean_environment,
    free_port,
    own_name,
    postgres_database,
    server,
    start,
    stop,
)

CONTAINER_PORT = "8000"


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as compose reads an env_file (comments and blank lines skipped)."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def interpolate(value: str, dotenv: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}, from the .env file."""

    def substitute(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        found = dotenv.get(name, "")
        if op == ":?" and not found:
            pytest.fail(f"compose would refuse to start: {name}: {arg}")
        if op == ":-" and not found:
            return arg
        return found

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", substitute, value)


def dockerfile_cmd() -> list[str]:
    """The image's command: the Dockerfile's last CMD, in its JSON (exec) form."""
    cmds = re.findall(r"^CMD\s+(\[.*\])\s*$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert cmds, "the Dockerfile has no CMD in exec form"
    return json.loads(cmds[-1])


class Deployment:
    """The compose file's services as local processes, with their logs."""

    def __init__(self, tmp_path: Path, database_url: str, redis_url: str) -> None:
        self.tmp = tmp_path
        self.compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.services = self.compose["services"]
        # The operator's .env: the example with a real secret, and heartbeats every second
        # (HEALTH_HEARTBEAT_SECONDS, a tuning variable) so beat's ticks show within the test.
        self.dotenv = {
            **read_env_file(ROOT / ".env.example"),
            "SECRET_KEY": secrets.token_urlsafe(50),
            "HEALTH_HEARTBEAT_SECONDS": "1",
        }
        self.port = free_port()
        self.local = {"db": database_url, "redis": redis_url}
        self.procs: dict[str, subprocess.Popen] = {}

    def env(self, service: str) -> dict[str, str]:
        spec = self.services[service]
        env: dict[str, str] = {}
        for entry in spec.get("env_file", []):
            path = entry["path"] if isinstance(entry, dict) else entry
            assert path == ".env", path  # the operator's copy of .env.example
            env.update(self.dotenv)
        for key, value in (spec.get("environment") or {}).items():
            env[key] = interpolate(str(value), self.dotenv)
        return clean_environment(**{k: self.to_local(v) for k, v in env.items()})

    def to_local(self, value: str) -> str:
        """A URL naming another service (db, redis) names the local server instead."""
        parts = urlsplit(value)
        if parts.scheme and parts.hostname in self.local:
            return self.local[parts.hostname]
        return value

    def localize(self, service: str, arg: str) -> str:
        """The container's port and its private /tmp, for a local process."""
        arg = arg.replace(f"0.0.0.0:{CONTAINER_PORT}", f"127.0.0.1:{self.port}")
        arg = arg.replace(f"127.0.0.1:{CONTAINER_PORT}", f"127.0.0.1:{self.port}")
        private = self.tmp / service
        private.mkdir(exist_ok=True)
        return re.sub(r"(?<![\w.])/tmp/", f"{private}/", arg)

    def command(self, service: str) -> list[str]:
        command = self.services[service].get("command") or dockerfile_cmd()
        if isinstance(command, str):
            command = shlex.split(command)
        return [self.localize(service, arg) for arg in command]

    def run(self, service: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.command(service),
            cwd=ROOT,
            env=self.env(service),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, service: str) -> None:
        self.procs[service] = start(
            self.command(service), self.env(service), self.tmp / f"{service}.log"
        )

    def healthcheck(self, service: str) -> subprocess.CompletedProcess:
        test = self.services[service]["healthcheck"]["test"]
        if test[0] == "CMD-SHELL":
            argv = ["sh", "-c", self.localize(service, test[1])]
        else:
            assert test[0] == "CMD", test
            argv = [self.localize(service, arg) for arg in test[1:]]
        return subprocess.run(
            argv, cwd=ROOT, env=self.env(service), capture_output=True, text=True, timeout=30
        )

    def logs(self) -> str:
        return "\n".join(
            f"--- {log.stem}\n{log.read_text(errors='replace')[-3000:]}"
            for log in sorted(self.tmp.glob("*.log"))
        )

    def stop_all(self) -> dict[str, int]:
        return {name: stop(proc) for name, proc in self.procs.items()}


def own_redis_url() -> str:
    """This run's Redis database (each engineer's run and CI have their own number)."""
    return settings.REDIS_URL


@pytest.mark.postgresql
def test_compose_services_run_as_local_processes_come_up_healthy_and_work_together(tmp_path):
    parts = urlsplit(own_redis_url())
    broker = redis.Redis.from_url(own_redis_url(), decode_responses=True)
    broker.delete(WORKERS_KEY, BEAT_KEY)
    broker.delete("celery")  # tasks earlier tests left queued are not this deployment's
    with postgres_database(own_name("compose")) as database_url:
        deployment = Deployment(tmp_path, database_url, urlunsplit(parts))
        assert deployment.env("web")["ALLOWED_HOSTS"] == "roleplan.example.com"
        assert deployment.env("web")["DATABASE_URL"] == database_url
        assert server()["host"] in deployment.env("worker")["DATABASE_URL"]
        try:
            migrate = deployment.run("migrate")
            assert migrate.returncode == 0, migrate.stdout + migrate.stderr

            for service in ("web", "worker", "beat"):
                deployment.start(service)
            assert deployment.command("web")[0] == "gunicorn"

            # web: its own healthcheck passes with .env.example's ALLOWED_HOSTS.
            started = time.monotonic()
            wait_for(lambda: deployment.healthcheck("web").returncode == 0, timeout=90)
            healthy_after = time.monotonic() - started
            # gunicorn's control socket is the instance's own (in the container's /tmp), not
            # the ~/.gunicorn/gunicorn.ctl every gunicorn of the same user would share.
            assert (tmp_path / "web" / "gunicorn.ctl").is_socket()

            # A task enqueued with web's configuration is run by worker.
            token = uuid.uuid4().hex
            enqueue = subprocess.run(
                [
                    "python",
                    "manage.py",
                    "shell",
                    "-v",
                    "0",
                    "-c",
                    f"from roleplan.celery import ping; ping.delay('{token}')",
                ],
                cwd=ROOT,
                env=deployment.env("web"),
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert enqueue.returncode == 0, enqueue.stderr
            wait_for(lambda: broker.exists(f"roleplan:1:ping:{token}"), timeout=60)

            # beat ticks (its heartbeat moves on), and web's /healthz sees worker and beat.
            first = wait_for(lambda: broker.get(BEAT_KEY), timeout=60)
            wait_for(lambda: broker.get(BEAT_KEY) != first, timeout=30)
            url = f"http://127.0.0.1:{deployment.port}/healthz"
            with urllib.request.urlopen(url, timeout=5) as response:
                health = json.loads(response.read())
            assert health["database"] == health["broker"] == "ok", health
            assert health["workers"].startswith("ok: 1 alive (celery@"), health
            assert health["beat"].startswith("ok: last tick"), health
            assert health["degraded"] == []
            print(f"\ncompose web healthy {healthy_after:.1f} s after start; {health}")
        except BaseException:
            print(deployment.logs())
            raise
        finally:
            exits = deployment.stop_all()
        # Each stopped on SIGTERM as `docker compose stop` asks, and worker and beat said so.
        assert all(code in (0, -15) for code in exits.values()), (exits, deployment.logs())
        assert json.loads(broker.get(BEAT_KEY))["state"] == "stopped"
        assert [json.loads(v)["state"] for v in broker.hgetall(WORKERS_KEY).values()] == ["stopped"]
    broker.delete(WORKERS_KEY, BEAT_KEY)
