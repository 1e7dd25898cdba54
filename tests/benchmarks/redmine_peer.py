"""Redmine 5.0 as the page benchmark's peer (issue 14, point 6; ../shared/tools/redmine-peer.md).

Debian's `redmine` + `redmine-pgsql`, served by Debian's `puma` in cluster mode with 2 workers ×
4 threads (gunicorn's 2 × 4), on a PostgreSQL database of the benchmark's own: created, migrated
(`rake db:migrate`, `rake redmine:load_default_data`), seeded by tests/benchmarks/redmine_seed.rb
with the sizes of roleplan's large data set, and dropped at the end. Redmine is pointed at it by
DATABASE_URL (Rails merges it over /etc/redmine/default/database.yml), so no file of the system
is changed. When Redmine is missing, root installs it with dbconfig-common told not to create a
database (and drops `redmine_default` and its role if it made them anyway); anyone else is told
what to run.
"""

from __future__ import annotations

import html
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.pages_load import Server, apt_install, say

REDMINE = Path("/usr/share/redmine")
HERE = Path(__file__).resolve().parent
SEED = HERE / "redmine_seed.rb"
PASSWORD = "bench-pass-1"
PACKAGES = ("redmine", "redmine-pgsql", "puma")
PRESEED = "redmine redmine/instances/default/dbconfig-install boolean false"
INSTALL_HINT = (
    "Redmine, the benchmark's peer, is missing. As root, run:\n"
    f"  echo '{PRESEED}' | debconf-set-selections\n"
    "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
    + " ".join(PACKAGES)
    + "\nthen run the benchmark again as root (Redmine's config under /etc/redmine is readable by"
    " root and www-data only), or set BENCH_PEER=0 to measure roleplan alone."
)


@dataclass
class Seeded:
    """What redmine_seed.rb made, from its BENCH-SEED line."""

    login: str
    api_key: str
    list_project: str
    plan_project: str
    issues: int
    deliverables: int
    milestones: int
    issue_id: int
    edit_issue_ids: list[int]
    gantt: dict[str, int]


def installed() -> bool:
    if not (REDMINE / "config" / "environment.rb").exists() or not shutil.which("puma"):
        return False
    probe = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", "redmine-pgsql"], capture_output=True, text=True
    )
    return "install ok installed" in probe.stdout


def ensure_installed(admin_connection) -> None:
    if installed():
        return
    if os.geteuid() != 0:
        sys.exit(INSTALL_HINT)
    say("installing Redmine (apt-get install -y redmine redmine-pgsql puma); a few minutes")
    subprocess.run(["debconf-set-selections"], input=PRESEED + "\n", text=True, check=True)
    apt_install(*PACKAGES)
    # If dbconfig-common still made its database (an answer given before), drop it and its role:
    # the benchmark uses a database of its own.
    with admin_connection() as conn:
        conn.execute("DROP DATABASE IF EXISTS redmine_default WITH (FORCE)")
        conn.execute('DROP ROLE IF EXISTS "redmine/instances/default"')
    if not installed():
        sys.exit("Redmine could not be installed.\n" + INSTALL_HINT)


def version() -> str:
    probe = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", "redmine"], capture_output=True, text=True
    )
    return probe.stdout.strip() or "?"


def rails_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BENCH_"))}
    env.update(RAILS_ENV="production", DATABASE_URL=database_url, REDMINE_LANG="en")
    for name in ("PYTHONPATH", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "REDIS_URL"):
        env.pop(name, None)
    return env


def run(command: list[str], env: dict[str, str], log: Path) -> str:
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
    done = subprocess.run(command, cwd=REDMINE, env=env, capture_output=True, text=True)
    with log.open("a") as out:
        out.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}); see {log}")
    return done.stdout


def prepare(database_url: str, log: Path) -> Seeded:
    """Migrate the (empty) database, load Redmine's default data, seed the benchmark's data."""
    env = rails_env(database_url)
    run(["rake", "db:migrate"], env, log)
    run(["rake", "redmine:load_default_data"], env, log)
    out = run(["rails", "runner", str(SEED)], {**env, "BENCH_REDMINE_PASSWORD": PASSWORD}, log)
    match = re.search(r"^BENCH-SEED (.*)$", out, re.MULTILINE)
    if match is None:
        raise RuntimeError(f"redmine_seed.rb printed no BENCH-SEED line; see {log}")
    return Seeded(**json.loads(match.group(1)))


def start(server: Server, database_url: str, log: Path, workers: int, threads: int) -> None:
    command = [
        shutil.which("puma") or "puma",
        "-e",
        "production",
        "-w",
        str(workers),
        "-t",
        f"{threads}:{threads}",
        "-b",
        f"tcp://127.0.0.1:{server.port}",
    ]
    server.start(command, cwd=REDMINE, env=rails_env(database_url), log=log)
    server.wait_until_up("/login", 120, log)


def sign_in(base: str, login: str) -> str:
    """Sign in through /login with the form's authenticity_token; the session cookie, as a
    Cookie header's value."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login", timeout=30) as answer:
        form = answer.read().decode()
    token = re.search(r'name="authenticity_token" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("Redmine's sign-in form has no authenticity_token")
    data = urllib.parse.urlencode(
        {
            "username": login,
            "password": PASSWORD,
            "authenticity_token": html.unescape(token.group(1)),
            "back_url": f"{base}/my/page",
        }
    ).encode()
    with opener.open(f"{base}/login", data, timeout=30) as answer:
        if "/login" in answer.url:
            raise RuntimeError(f"Redmine refused the sign-in of {login}")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def paths(seeded: Seeded) -> dict[str, str]:
    """The Redmine page paired with each roleplan page."""
    g = seeded.gantt
    return {
        "issues": f"/projects/{seeded.list_project}/issues?set_filter=1&status_id=*&per_page=200",
        "overview": f"/projects/{seeded.plan_project}",
        # "All issues", every month of the project (the default shows open issues, 6 months).
        "gantt": (
            f"/projects/{seeded.plan_project}/issues/gantt?set_filter=1&status_id=*"
            f"&month={g['month']}&year={g['year']}&months={g['months']}"
        ),
        "issue": f"/issues/{seeded.issue_id}",
        "put": "/issues/{id}.json",
    }
