"""Speed of roleplan's pages against the framework's floor (issue 7, points 1 to 3).

One run of this script (`make bench`, or `.venv/bin/python tests/benchmarks/bench_pages.py`):

1. installs wrk when it is missing (Debian's package, as root; otherwise it says what to do);
2. creates a fresh PostgreSQL database `roleplan_bench`, migrates, seeds the demo, counts the
   queries of every page on that small data set, then adds the large one
   (tests/benchmarks/pages_data.py) and counts again: the counts must be equal;
3. collects the static files and starts gunicorn on 127.0.0.1 as the Dockerfile does (2 workers,
   4 threads each, DEBUG off, persistent database connections), with the settings of
   tests/benchmarks/pages_settings.py: production's plus a bare view, the floor;
4. signs the product manager in (a session row, as a login makes) and drives each page with wrk
   from this second process, 4 connections, a warm-up and then a fixed duration;
5. does step 4 three times and reports the median of each figure: requests per second, p50,
   p99, the ratio of throughput to the floor's (measured again right after each page, since a
   shared machine's load drifts within a run), non-2xx answers and conflicts;
6. prints the table, writes it to tests/benchmarks/RESULTS.md with the machine's description,
   and stops gunicorn and drops the database, also when something fails.

Environment: BENCH_DURATION (seconds per page, 10), BENCH_WARMUP (2), BENCH_RUNS (3),
BENCH_PORT (8205), BENCH_DATABASE_SERVER (postgres://postgres@127.0.0.1:5432), BENCH_DB_NAME
(roleplan_bench; it is dropped and created),
BENCH_NO_RESULTS=1 to leave RESULTS.md alone (quick runs while profiling); BENCH_PAGES=base,asset
to measure only those pages and the floor (never written to RESULTS.md);
BENCH_GUNICORN_EXTRA="--worker-connections 2" adds gunicorn options (experiments only).
Everything targets 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_DB_NAME", "roleplan_bench")
SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PORT = int(os.environ.get("BENCH_PORT", "8205"))
DURATION = int(os.environ.get("BENCH_DURATION", "10"))
WARMUP = int(os.environ.get("BENCH_WARMUP", "2"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# BENCH_PAGES=base,asset measures only those pages (and the floor), and leaves RESULTS.md alone.
ONLY = {key for key in os.environ.get("BENCH_PAGES", "").split(",") if key}
FLOOR_SECONDS = max(DURATION // 2, 2)  # the floor measured again next to each page
CONNECTIONS = 4
WORKERS = 2
THREADS = 4
RESULTS = HERE / "RESULTS.md"
RAW = HERE / "results"
LUA = HERE / "pages_wrk.lua"
BASE = f"http://127.0.0.1:{PORT}"
COMMAND = ".venv/bin/python tests/benchmarks/bench_pages.py   # or: make bench"

# Issue 7, point 3: throughput ratios to the floor, and the edit's p99.
TARGET_RATIOS = {"roadmap": 0.08, "project": 0.25, "sync": 0.25, "asset": 0.25}
TARGET_EDIT_P99_MS = 50.0


@dataclass
class Page:
    key: str
    label: str
    small_path: str
    large_path: str
    post: bool = False
    small_items: list[int] = field(default_factory=list)
    large_items: list[int] = field(default_factory=list)
    small_slug: str = ""
    large_slug: str = ""
    size: int = 0  # bytes of the large page's body, from the test client


def say(message: str) -> None:
    print(f"[bench_pages] {message}", flush=True)


# The load tool ----------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit(
            "wrk is missing. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`) and run "
            "the benchmark again."
        )
    say("installing wrk (apt-get install -y wrk)")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], check=True, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, **quiet)
    return shutil.which("wrk") or sys.exit("wrk could not be installed.")


# The database -----------------------------------------------------------------------------------


def admin_connection():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    try:
        with admin_connection() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    except Exception as exc:  # cleanup must not hide the error that got us here
        say(f"could not drop {DB_NAME}: {exc}")


def bench_environment(static_root: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.pages_settings",
        "DATABASE_URL": f"{SERVER}/{DB_NAME}",
        "DB_CONN_MAX_AGE": "600",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "REDIS_URL": "",  # no broker: nothing on these pages enqueues a task
        "LOG_LEVEL": "WARNING",
        "DEMO_PASSWORD": secrets.token_urlsafe(12),
        "BENCH_STATIC_ROOT": static_root,
        "PYTHONPATH": str(ROOT),
    }
    return env


# Query counts, with Django's test client against the same database ----------------------------


def client_for(username: str):
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username=username))
    return client


def edit_data(item_id: int) -> dict[str, str]:
    from products.models import RoadmapItem

    item = RoadmapItem.objects.get(pk=item_id)
    return {f"item{item_id}-reach": str(item.reach + 1), f"item{item_id}-version": item.version}


def count_queries(client, page: Page, *, large: bool) -> tuple[int, int]:
    """(queries, bytes) of one request, after one warm-up request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    path = page.large_path if large else page.small_path

    def once(capture: CaptureQueriesContext | None = None):
        if page.post:
            data = edit_data((page.large_items if large else page.small_items)[0])
        with capture if capture is not None else CaptureQueriesContext(connection):
            if page.post:
                return client.post(path, data, HTTP_HX_REQUEST="true")
            return client.get(path)

    once()
    queries = CaptureQueriesContext(connection)
    response = once(queries)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} in the test client")
    return len(queries.captured_queries), len(response.content)


# The server -------------------------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv/bin/gunicorn"),
        "roleplan.wsgi:application",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--chdir",
        str(ROOT),
        "--error-logfile",
        str(log),
        "--graceful-timeout",
        "5",
        *os.environ.get("BENCH_GUNICORN_EXTRA", "").split(),
    ]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer on {BASE} within 30 s; see {log}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# The load ---------------------------------------------------------------------------------------


def wrk(tool: str, url: str, headers: list[str], seconds: int, args: list[str]) -> dict:
    command = [tool, f"-t{CONNECTIONS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    command += ["--latency"]
    command += [part for header in headers for part in ("-H", header)]
    command += ["-s", str(LUA), url, "--", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(min(1.0, seconds / 2))
    split = connection_split()
    stdout, stderr = process.communicate(timeout=seconds + 60)
    match = re.search(r"^BENCH-RESULT (.*)$", stdout, re.MULTILINE)
    if process.returncode != 0 or match is None:
        raise RuntimeError(f"wrk failed on {url}:\n{stdout}\n{stderr}")
    return {**json.loads(match.group(1)), "split": split}


def connection_split() -> str:
    """How wrk's connections are spread over gunicorn's workers, e.g. "3:1". A gthread worker
    keeps a keep-alive connection for its whole life, and each worker runs Python on one core at
    a time (the GIL): with 4 connections, a 4:0 split serves from one core what a 2:2 split
    serves from two. Read from /proc: the established sockets on the port, by owning process."""
    port = f"{PORT:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[1].endswith(f":{port}") and fields[3] == "01":  # local port, ESTABLISHED
                inodes.add(fields[9])
    counts = []
    for pid in worker_pids():
        held = 0
        try:
            for fd in os.scandir(f"/proc/{pid}/fd"):
                try:
                    target = os.readlink(fd.path)
                except OSError:
                    continue
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    held += 1
        except OSError:
            continue
        counts.append(held)
    return ":".join(str(n) for n in sorted(counts, reverse=True)) or "?"


def worker_pids() -> list[int]:
    """gunicorn's workers: the processes of the server's session other than the arbiter."""
    if not SERVER_SESSION:
        return []
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == SERVER_SESSION[0]:
            continue
        try:
            raw = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[3]) == SERVER_SESSION[0]:
            pids.append(int(entry.name))
    return pids


def post_args(page: Page) -> list[str]:
    from products.models import RoadmapItem

    items = RoadmapItem.objects.filter(pk__in=page.large_items).in_bulk()
    specs = [f"{pk}:{items[pk].version}:{items[pk].reach}" for pk in page.large_items]
    prefix = f"/products/{page.large_slug}/roadmap/items/"
    return ["post", prefix, *specs[:CONNECTIONS]]


# The server's session id (gunicorn is started in its own session), for the CPU accounting.
SERVER_SESSION: list[int] = []
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def cpu_ticks() -> tuple[int, int]:
    """CPU time used so far (user + system, in clock ticks) by gunicorn's processes and by the
    PostgreSQL server's processes. Sampled around a wrk run, it gives each side's CPU per
    request, which the machine's other load hardly changes (unlike throughput)."""
    app = db = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue  # gone meanwhile
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # fields[0] is field 3 of proc(5): state; session is field 6, utime 14, stime 15.
        used = int(fields[11]) + int(fields[12])
        if SERVER_SESSION and int(fields[3]) == SERVER_SESSION[0]:
            app += used
        elif name == "postgres" and f" {DB_NAME} " in process_title(entry.name):
            db += used  # a backend serving this benchmark's database, not another client's
    return app, db


def process_title(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def measure(tool: str, page: Page, headers: list[str], seconds: int = DURATION) -> dict:
    url = BASE + page.large_path
    args = post_args(page) if page.post else ["get"]
    if WARMUP and seconds == DURATION:
        wrk(tool, url, headers, WARMUP, args)
        if page.post:
            time.sleep(1)  # an edit still in flight when the warm-up stopped lands first
            args = post_args(page)
    app_before, db_before = cpu_ticks()
    result = wrk(tool, url, headers, seconds, args)
    app_after, db_after = cpu_ticks()
    seconds = result["duration_us"] / 1e6
    if not page.post and result["requests"]:
        # GET bodies are not read: an answer much smaller than the page is not the page.
        per_answer = result["bytes"] / result["requests"]
        if per_answer < 0.9 * page.size:
            result["non2xx"] = max(result["non2xx"], result["requests"])
    return {
        "rps": result["requests"] / seconds,
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "non2xx": result["non2xx"] + result["socket_errors"],
        "conflicts": result["conflicts"],
        "requests": result["requests"],
        "kb_per_request": result["bytes"] / max(result["requests"], 1) / 1024,
        "app_cpu_ms": (app_after - app_before) * TICK_MS / max(result["requests"], 1),
        "db_cpu_ms": (db_after - db_before) * TICK_MS / max(result["requests"], 1),
        "split": result["split"],
    }


# The report -------------------------------------------------------------------------------------


def machine() -> dict[str, str]:
    import django

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem_kb = int(line.split()[1])
    with admin_connection() as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    gunicorn = subprocess.run(
        [str(ROOT / ".venv/bin/gunicorn"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": f"{os.cpu_count()} (nproc), {cpu}",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres,
        "gunicorn": re.sub(r"[^0-9.]", "", gunicorn) or gunicorn,
        "wrk": (wrk_version.stdout + wrk_version.stderr).splitlines()[0].strip(),
        # The machine may be shared: other processes' load skews absolute figures (not ratios).
        "load average at the end (1, 5, 15 min)": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def median(values: list[float]) -> float:
    return statistics.median(values)


def cpu_of(result: dict) -> float:
    return result["app_cpu_ms"] + result["db_cpu_ms"]


def summarise(pages: list[Page], runs: list[dict], counts: dict) -> list[dict]:
    rows = []
    for page in pages:
        per_run = [run[page.key] for run in runs]
        ratios = [
            run[page.key]["rps"] / run[page.key].get("floor_rps", run["floor"]["rps"])
            for run in runs
        ]
        # The same comparison by CPU per request (gunicorn's and PostgreSQL's), against the
        # floor's in the same run: the connections' spread over the workers hardly moves it.
        cpu_ratios = [
            cpu_of(run["floor"]) / cpu_of(run[page.key])
            for run in runs
            if "floor" in run and cpu_of(run[page.key])
        ]
        rows.append(
            {
                "key": page.key,
                "label": page.label,
                "rps": median([r["rps"] for r in per_run]),
                "p50_ms": median([r["p50_ms"] for r in per_run]),
                "p99_ms": median([r["p99_ms"] for r in per_run]),
                "ratio": median(ratios),
                "cpu_ratio": median(cpu_ratios) if cpu_ratios else 0.0,
                "app_cpu_ms": median([r["app_cpu_ms"] for r in per_run]),
                "db_cpu_ms": median([r["db_cpu_ms"] for r in per_run]),
                "non2xx": max(r["non2xx"] for r in per_run),
                "conflicts": max(r["conflicts"] for r in per_run),
                "splits": " ".join(
                    r["split"] + (f"/{r['floor_split']}" if "floor_split" in r else "")
                    for r in per_run
                ),
                "requests": int(median([r["requests"] for r in per_run])),
                "kb": counts[page.key]["large_bytes"] / 1024,
                "queries_small": counts[page.key]["small"],
                "queries_large": counts[page.key]["large"],
            }
        )
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| page | req/s | p50 ms | p99 ms | × floor | × floor by CPU | app CPU ms | db CPU ms | "
        "queries (demo / large) | KiB | non-2xx | 409s | connections per worker |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in rows:
        same = "=" if r["queries_small"] == r["queries_large"] else "≠"
        lines.append(
            f"| {r['label']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | "
            f"{r['ratio'] * 100:.1f}% | {r['cpu_ratio'] * 100:.1f}% | "
            f"{r['app_cpu_ms']:.1f} | {r['db_cpu_ms']:.1f} | "
            f"{r['queries_small']} {same} {r['queries_large']} | "
            f"{r['kb']:.0f} | {r['non2xx']} | {r['conflicts']} | {r['splits']} |"
        )
    return "\n".join(lines)


def verdicts(rows: list[dict]) -> list[tuple[str, str, bool]]:
    by_key = {r["key"]: r for r in rows}
    out = []
    for key, ratio in TARGET_RATIOS.items():
        if key not in by_key:  # BENCH_PAGES left it out
            continue
        got = by_key[key]["ratio"]
        out.append(
            (f"{by_key[key]['label']}: ≥ {ratio:.0%} of the floor", f"{got:.1%}", got >= ratio)
        )
    for edit in [by_key["edit"]] if "edit" in by_key else []:
        answered = edit["requests"] > 0 and edit["non2xx"] == 0
        out.append(
            (
                f"in-place edit POST: p99 ≤ {TARGET_EDIT_P99_MS:.0f} ms at {CONNECTIONS} "
                "connections",
                f"{edit['p99_ms']:.1f} ms" if answered else "failed or timed out",
                answered and edit["p99_ms"] <= TARGET_EDIT_P99_MS,
            )
        )
    differing = [r["label"] for r in rows if r["queries_small"] != r["queries_large"]]
    out.append(
        (
            "query counts equal on the demo and the large data set",
            "all equal" if not differing else "differ: " + ", ".join(differing),
            not differing,
        )
    )
    return out


def report(rows: list[dict], facts: dict[str, str], runs: int) -> str:
    checks = "\n".join(
        f"- {'PASS' if ok else 'MISS'} · {what}: **{got}**" for what, got, ok in verdicts(rows)
    )
    described = "\n".join(f"| {k} | {v} |" for k, v in facts.items())
    return f"""## Pages against the floor (bench_pages.py)

Command: `{COMMAND}`. Median of {runs} runs; each page {DURATION} s after a {WARMUP} s warm-up,
wrk with {CONNECTIONS} connections from a second process; gunicorn {WORKERS} workers × {THREADS}
threads (the Dockerfile's command), DEBUG off, PostgreSQL, signed in as the product manager.
"× floor" is the page's throughput over the bare view's, measured again for {FLOOR_SECONDS} s right
after the page in the same run (the machine may be shared and its load drifts). "app CPU ms" and
"db CPU ms" are the CPU time gunicorn's processes and the PostgreSQL backends of the benchmark's
database used per request during the page's run (read from /proc: other load hardly moves them). Queries are counted
with Django's test client on the demo data and on the large data set. KiB is the page's size.
"× floor by CPU" is the floor's CPU per request (app + db) over the page's, in the same run: a
throughput ratio the machine would give if nothing but CPU limited both; the targets are judged
on "× floor". "connections per worker" is how wrk's {CONNECTIONS} keep-alive connections were spread over
gunicorn's {WORKERS} workers in each run, the page's / the floor's after it: a worker keeps a
connection for its life and runs Python on one core at a time, so 4:0 serves from one core
what 2:2 serves from two.

{table(rows)}

Targets (issue 7, point 3):

{checks}

| machine | |
|---|---|
{described}
"""


def write_results(text: str, name: str = "bench_pages") -> None:
    """Replace the block of RESULTS.md between `<!-- {name}:start -->` and its end marker,
    keeping everything else in the file (bench_reminders.py writes its own block)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start}\n{text.rstrip()}\n{end}"
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        _, tail = rest.split(end, 1)
        RESULTS.write_text(f"{head}{block}{tail}")
    else:
        RESULTS.write_text(f"{current.rstrip()}\n\n{block}\n")


# The run ----------------------------------------------------------------------------------------


def demo_pages() -> list[Page]:
    """Every measured page, with its demo (small) and large counterpart."""
    from products.models import Horizon, RoadmapItem
    from roleplan.alignment.models import SyncMeeting

    email = "email-marketing-platform"
    demo_meeting = (
        SyncMeeting.objects.filter(series__project__slug="replace-legacy-email-system")
        .order_by("-week_start")
        .values_list("pk", flat=True)
        .first()
    )
    demo_item = (
        RoadmapItem.objects.filter(product__asset__slug=email, horizon=Horizon.LATER)
        .values_list("pk", flat=True)
        .first()
    )
    return [
        Page("floor", "bare view (floor)", "/bench/floor/", ""),
        Page("base", "base.html, no content", "/bench/base/", ""),
        Page("dashboard", "dashboard", "/", ""),
        Page("roadmap", "roadmap board, 200 items", f"/products/{email}/roadmap/", ""),
        Page(
            "project",
            "project page, 300 deliverables",
            "/projects/replace-legacy-email-system/",
            "",
        ),
        Page(
            "scope",
            "project scope page, 300 deliverables",
            "/projects/replace-legacy-email-system/scope/",
            "",
        ),
        Page("sync", "sync page", f"/sync/{demo_meeting}/", ""),
        Page("registry", "registry, 1,000 assets", "/ownership/", ""),
        Page("asset", "asset page", f"/ownership/{email}/", ""),
        Page(
            "edit",
            "in-place edit (POST)",
            f"/products/{email}/roadmap/items/{demo_item}/fields/reach/",
            "",
            post=True,
            small_items=[demo_item],
            small_slug=email,
        ),
    ]


def analyze() -> None:
    """Give the planner its statistics, as autovacuum does on a live database within a minute of
    a bulk load: without them PostgreSQL plans the large data set's queries from guesses."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def large_paths(pages: list[Page], data) -> None:
    paths = {
        "floor": "/bench/floor/",
        "base": "/bench/base/",
        "dashboard": "/",
        "roadmap": f"/products/{data.product_slug}/roadmap/",
        "project": f"/projects/{data.project_slug}/",
        "scope": f"/projects/{data.project_slug}/scope/",
        "sync": f"/sync/{data.meeting_id}/",
        "registry": "/ownership/",
        "asset": f"/ownership/{data.asset_slug}/",
        "edit": f"/products/{data.product_slug}/roadmap/items/{data.edit_item_ids[0]}/fields/reach/",
    }
    for page in pages:
        page.large_path = paths[page.key]
    for edit in (p for p in pages if p.key == "edit"):
        edit.large_items = data.edit_item_ids
        edit.large_slug = data.product_slug


def main() -> int:
    tool = ensure_wrk()
    static_root = tempfile.mkdtemp(prefix="roleplan-bench-static-")
    env = bench_environment(static_root)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    os.chdir(ROOT)
    RAW.mkdir(exist_ok=True)
    log = RAW / "gunicorn.log"
    server = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    say(f"creating the database {DB_NAME}")
    create_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        pages = demo_pages()
        if ONLY:  # a quick look at some pages; the floor is always measured
            pages = [p for p in pages if p.key == "floor" or p.key in ONLY]
        say("counting queries on the demo data")
        client = client_for("product.manager")
        counts = {}
        for page in pages:
            queries, size = count_queries(client, page, large=False)
            counts[page.key] = {"small": queries, "small_bytes": size}
        say("generating the large data set")
        started = time.monotonic()
        from tests.benchmarks.pages_data import seed_large

        data = seed_large()
        analyze()
        say(f"generated in {time.monotonic() - started:.1f} s; counting queries again")
        large_paths(pages, data)
        for page in pages:
            queries, size = count_queries(client, page, large=True)
            counts[page.key].update(large=queries, large_bytes=size)
            page.size = size
        for page in pages:
            say(
                f"  {page.label}: {counts[page.key]['small']} / {counts[page.key]['large']} "
                f"queries, {counts[page.key]['large_bytes'] // 1024} KiB"
            )
        # A session like a login makes, and a CSRF secret sent as cookie and header.
        cookie_session = client_for("product.manager").cookies["sessionid"].value
        csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        headers = [f"Cookie: sessionid={cookie_session}; csrftoken={csrf}", f"X-CSRFToken: {csrf}"]
        connections.close_all()

        say(f"starting gunicorn on {BASE}")
        server = start_gunicorn(env, log)
        SERVER_SESSION[:] = [server.pid]
        runs = []
        for run in range(RUNS):
            results = {}
            floor = pages[0]
            for page in pages:
                results[page.key] = measure(tool, page, headers)
                if page is not floor:
                    # The floor again, right before or after the page: on a shared machine the
                    # load changes within a run, and the ratio should compare like with like.
                    again = measure(tool, floor, headers, seconds=FLOOR_SECONDS)
                    results[page.key]["floor_rps"] = again["rps"]
                    results[page.key]["floor_split"] = again["split"]
                r = results[page.key]
                say(
                    f"run {run + 1}/{RUNS} {page.label}: {r['rps']:.0f} req/s ({r['split']}), "
                    f"floor {r.get('floor_rps', r['rps']):.0f} ({r.get('floor_split', '')}), "
                    f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                    f"CPU app {r['app_cpu_ms']:.1f} ms + db {r['db_cpu_ms']:.1f} ms, "
                    f"non-2xx {r['non2xx']}, 409 {r['conflicts']}"
                )
            connections.close_all()
            runs.append(results)
        rows = summarise(pages, runs, counts)
        facts = machine()
        text = report(rows, facts, RUNS)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        (RAW / f"pages-{stamp}.json").write_text(
            json.dumps({"machine": facts, "runs": runs, "counts": counts, "rows": rows}, indent=1)
        )
        print()
        print(text)
        if os.environ.get("BENCH_NO_RESULTS") != "1" and not ONLY:
            write_results(text)
            say(f"written to {RESULTS.relative_to(ROOT)}")
        failures = [r["label"] for r in rows if r["non2xx"] and r["key"] != "edit"]
        edit = next((r for r in rows if r["key"] == "edit"), {"non2xx": 0})
        if failures or edit["non2xx"]:
            say(f"non-2xx answers on: {', '.join(failures) or 'the edit'}")
            return 1
        return 0
    finally:
        stop(server)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        drop_database()
        shutil.rmtree(static_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
