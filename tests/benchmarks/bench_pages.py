"""roleplan's pages, side by side with Redmine 5.0 and against budgets (issue 14, point 6).

One run (`make bench`, or `.venv/bin/python tests/benchmarks/bench_pages.py`):

1. installs wrk and Chromium when they are missing, and Redmine (Debian's redmine,
   redmine-pgsql, puma) when root (otherwise it says what to run); the machine's other
   databases are left alone;
2. creates the PostgreSQL database `roleplan_bench`, migrates, seeds the demo, counts the
   queries of every page (pages_catalogue.py: every page a manager reaches from the
   navigation) with Django's test client, adds the large data set (pages_data.py: a 200-item
   roadmap, a project with 300 deliverables and 40 milestones, its weekly sync, 1,000 more
   assets) and counts again;
3. starts gunicorn as the Dockerfile does (2 workers × 4 threads, DEBUG off, persistent
   connections), signs the product manager and the project manager in, and reads each page
   once over HTTP (its KiB and gzip KiB);
4. creates the database `bench_redmine`, migrates it, seeds it with the same sizes
   (redmine_seed.rb) and serves it with puma, 2 workers × 4 threads (redmine_peer.py);
5. three times (BENCH_RUNS): the bare Django view and base.html (references), each pair of
   roleplan page and Redmine page one after the other (the order flips every run), then every
   other page; each with wrk, 4 connections, a warm-up and BENCH_DURATION seconds (longer for
   a page too slow to answer 40 times in that: at most 4×, or 30 s), then a wait until both servers
   are idle again; CPU per request of each server and of its PostgreSQL backends from /proc;
6. loads each paired page in Chromium (median of 5 warm-cache loads; pages_browser.py);
7. adds the scale data (a roadmap of 1,000 and of 5,000 items, a project with 2,000
   deliverables, the registry at 50,000 assets), counts the queries again and measures those
   pages three times;
8. prints the tables, writes them to tests/benchmarks/RESULTS.md (its own marked block) and the
   raw figures to tests/benchmarks/results/, then stops both servers and drops both databases,
   also when something fails or on SIGTERM.

Environment (all optional):
  BENCH_DURATION=10 seconds per measurement; BENCH_WARMUP=2; BENCH_RUNS=3
  BENCH_PAGES=board,edit    only these roleplan pages (keys in pages_catalogue.py), with their
                            Redmine pairs and scale rows; RESULTS.md is then left alone
  BENCH_PEER=0              no Redmine (no pairs); BENCH_SCALE=0 no scale rows;
  BENCH_BROWSER=0           no Chromium loads; BENCH_EVERY=0 only the pairs, not every page
  BENCH_NO_RESULTS=1        leave RESULTS.md alone (quick runs)
  BENCH_PORT=8205 (gunicorn), BENCH_PEER_PORT=8206 (puma)
  BENCH_DATABASE_SERVER=postgres://postgres@127.0.0.1:5432
  BENCH_DB_NAME=roleplan_bench, BENCH_PEER_DB_NAME=bench_redmine (both dropped and created)
  BENCH_SLOW_LIMIT=5         a page (not of a pair) whose one request alone takes longer is
                            not load-tested; its row fails and says how long it took
  BENCH_GUNICORN_EXTRA="..." more gunicorn options (experiments only)
Everything targets 127.0.0.1 and stops by itself. A full run takes about an hour on a busy
2-CPU machine (57 min on 2026-12-07); `BENCH_DURATION=3 BENCH_RUNS=1` about a third of that.
"""

from __future__ import annotations

import gzip
import json
import os
import platform
import re
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tests.benchmarks import pages_report as report  # noqa: E402
from tests.benchmarks import redmine_peer  # noqa: E402
from tests.benchmarks.pages_catalogue import (  # noqa: E402
    PAGES,
    PAIRS,
    PROJECT_MANAGER,
    REFERENCES,
    SCALE,
    Objects,
    PageSpec,
    by_key,
    find_objects,
    path_of,
)
from tests.benchmarks.pages_client import (  # noqa: E402
    client_for,
    count_all,
    count_queries,
    edit_specs,
    move_specs,
)
from tests.benchmarks.pages_load import (  # noqa: E402
    CONNECTIONS,
    Server,
    Target,
    ensure_wrk,
    measure,
    say,
)
from tests.benchmarks.pages_report import write_results  # noqa: E402

DB_NAME = os.environ.get("BENCH_DB_NAME", "roleplan_bench")
PEER_DB_NAME = os.environ.get("BENCH_PEER_DB_NAME", "bench_redmine")
SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PORT = int(os.environ.get("BENCH_PORT", "8205"))
PEER_PORT = int(os.environ.get("BENCH_PEER_PORT", "8206"))
DURATION = float(os.environ.get("BENCH_DURATION", "10"))
WARMUP = float(os.environ.get("BENCH_WARMUP", "2"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
ONLY = [key for key in os.environ.get("BENCH_PAGES", "").split(",") if key]
PEER = os.environ.get("BENCH_PEER", "1") != "0"
SCALE_ON = os.environ.get("BENCH_SCALE", "1") != "0"
BROWSER = os.environ.get("BENCH_BROWSER", "1") != "0"
EVERY = os.environ.get("BENCH_EVERY", "1") != "0"
MIN_REQUESTS = 40
SLOW_LIMIT = float(os.environ.get("BENCH_SLOW_LIMIT", "5"))
WORKERS = 2
THREADS = 4
RAW = HERE / "results"
DEMO_PRODUCT = "email-marketing-platform"
DEMO_PROJECT = "replace-legacy-email-system"
COMMAND = ".venv/bin/python tests/benchmarks/bench_pages.py   # or: make bench"


# The database -----------------------------------------------------------------------------------


def admin_connection() -> psycopg.Connection:

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)


def create_database(name: str = DB_NAME) -> None:
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_database(name: str = DB_NAME) -> None:
    try:
        with admin_connection() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    except Exception as exc:  # cleanup must not hide the error that got us here
        say(f"could not drop {name}: {exc}")


def bench_environment(static_root: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.pages_settings",
        "DATABASE_URL": f"{SERVER}/{DB_NAME}",
        "DB_CONN_MAX_AGE": "600",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HTTPS": "0",
        # No broker: the cache is each worker's memory and tasks run in the request, as in
        # `make run`; nothing on these pages enqueues a task.
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
        "DEMO_PASSWORD": secrets.token_urlsafe(12),
        "BENCH_STATIC_ROOT": static_root,
        "PYTHONPATH": str(ROOT),
    }


def analyze() -> None:
    """Give the planner its statistics, as autovacuum does on a live database within a minute of
    a bulk load: without them PostgreSQL plans the large data set's queries from guesses."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# Over HTTP: sign-in headers, weights --------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: list[str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    for header in headers:
        name, value = header.split(":", 1)
        request.add_header(name.strip(), value.strip())
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def weigh(target: Target) -> dict:
    """The page's size as served, raw and gzipped, and how long one request alone takes (the
    faster of two when the first is over SLOW_LIMIT)."""
    alone = []
    for _ in range(2):
        began = time.monotonic()
        status, body = fetch(target.server.base + target.path, target.headers)
        alone.append(time.monotonic() - began)
        if status != 200:
            raise RuntimeError(f"{target.server.name} {target.path} answered {status} over HTTP")
        if alone[0] <= SLOW_LIMIT:
            break
    target.size = len(body)
    return {"bytes": len(body), "gzip": len(gzip.compress(body, 6)), "alone_s": min(alone)}


def too_slow(key: str, weights: dict, counts: dict) -> bool:
    """A page whose one request alone takes over SLOW_LIMIT is not load-tested (4 connections
    would queue minutes of work); its row says how long one request took, and fails."""
    alone = weights.get(key, {}).get("alone_s", 0.0)
    if alone <= SLOW_LIMIT:
        return False
    counts.setdefault(key, {})["error"] = (
        f"one request alone took {alone:.1f} s: not load-tested (BENCH_SLOW_LIMIT {SLOW_LIMIT:g} s)"
    )
    say(f"  {key}: {counts[key]['error']}")
    return True


def roleplan_headers(username: str) -> tuple[list[str], str]:
    """A session like a login makes, and a CSRF secret sent as cookie and header."""
    session = client_for(username).cookies["sessionid"].value
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    return [f"Cookie: sessionid={session}; csrftoken={csrf}", f"X-CSRFToken: {csrf}"], session


# The servers -------------------------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], log: Path, control_socket: Path) -> Server:
    server = Server("roleplan", f"http://127.0.0.1:{PORT}", DB_NAME)
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
        # gunicorn 27's default control socket (~/.gunicorn/gunicorn.ctl) is shared by every
        # gunicorn one user starts: a second one would take it over from the first.
        "--control-socket",
        str(control_socket),
        *os.environ.get("BENCH_GUNICORN_EXTRA", "").split(),
    ]
    server.start(command, cwd=ROOT, env={**os.environ, **env}, log=log)
    server.wait_until_up("/healthz", 60, log)
    return server


# The run -----------------------------------------------------------------------------------------


def selected_pages() -> list[PageSpec]:
    if not ONLY:
        return list(PAGES)
    unknown = [key for key in ONLY if key not in {p.key for p in PAGES}]
    if unknown:
        sys.exit(f"BENCH_PAGES: unknown page keys {unknown}; see pages_catalogue.py")
    return [p for p in PAGES if p.key in ONLY]


def roleplan_target(spec: PageSpec, server: Server, objects: Objects, headers, client) -> Target:
    target = Target(spec.key, spec.label, server, path_of(spec, objects), mode=spec.kind)
    target.headers = list(headers[spec.who])
    if spec.htmx:
        target.headers.append("HX-Request: true")
    if spec.kind == "edit":
        target.refresh = lambda: edit_specs(client, spec, objects)
    elif spec.kind == "move":
        target.specs = move_specs(spec, objects)
    return target


def measured(tool: str, target: Target) -> dict:
    result = measure(tool, target, seconds=DURATION, warmup=WARMUP, min_requests=MIN_REQUESTS)
    say(
        f"  {target.server.name} {target.label}: {result['rps']:.1f} req/s, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, CPU "
        f"{result['app_cpu_ms']:.1f} + {result['db_cpu_ms']:.1f} ms/req, "
        f"{result['requests']} in {result['seconds']} s ({result['split']}; idle again after "
        f"{result['drained_s']} s), "
        f"non-2xx {result['non2xx']}, 409 {result['conflicts']}"
    )
    return result


def machine(peer: bool) -> dict[str, str]:
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
    commit = subprocess.run(
        ["git", "log", "-1", "--format=%h %cd", "--date=format:%Y-%m-%d %H:%M"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    facts = {
        "commit measured": commit + (" (with uncommitted changes)" if dirty else ""),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": f"{os.cpu_count()} (nproc), {cpu}",
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": platform.platform(),
        "python / django": f"{platform.python_version()} / {django.get_version()}",
        "postgresql": postgres,
        "gunicorn": re.sub(r"[^0-9.]", "", gunicorn) or gunicorn,
        "wrk": (wrk_version.stdout + wrk_version.stderr).splitlines()[0].strip(),
    }
    if peer:
        facts["redmine (Debian)"] = redmine_peer.version()
        ruby = subprocess.run(["ruby", "-v"], capture_output=True, text=True).stdout.split()
        facts["ruby / puma"] = f"{ruby[1] if len(ruby) > 1 else '?'} / " + (
            subprocess.run(["puma", "--version"], capture_output=True, text=True).stdout.strip()
        )
    facts["load average at the end (1, 5, 15 min)"] = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return facts


def main() -> int:
    started_at = time.monotonic()
    tool = ensure_wrk()
    peer = PEER
    if peer:
        redmine_peer.ensure_installed(admin_connection)
    if BROWSER:
        from tests.benchmarks.pages_browser import ensure_chromium

        ensure_chromium()
    static_root = tempfile.mkdtemp(prefix="roleplan-bench-static-")
    control_socket = Path(tempfile.mkdtemp(prefix="roleplan-bench-")) / "gunicorn.ctl"
    env = bench_environment(static_root)
    os.environ.update(env)
    os.environ.pop("REDIS_URL", None)
    os.chdir(ROOT)
    RAW.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log = RAW / f"servers-{stamp}.log"
    servers: list[Server] = []
    peer_db_made = False
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
        specs = selected_pages()
        if not EVERY:
            paired = {pair.key for pair in PAIRS}
            specs = [s for s in specs if s.key in paired]
        users = {spec.who for spec in specs} | {PROJECT_MANAGER}
        clients = {who: client_for(who) for who in users}
        counts: dict[str, dict] = {}
        say("counting queries on the demo data")
        demo = find_objects(DEMO_PRODUCT, DEMO_PROJECT)
        count_all(REFERENCES + specs, clients, demo, counts, "small")
        say("generating the large data set")
        began = time.monotonic()
        from tests.benchmarks.pages_data import PRODUCT_SLUG, PROJECT_SLUG, seed_large

        seed_large()
        analyze()
        say(f"generated in {time.monotonic() - began:.1f} s; counting queries again")
        large = find_objects(PRODUCT_SLUG, PROJECT_SLUG)
        count_all(REFERENCES + specs, clients, large, counts, "large")
        headers: dict[str, list[str]] = {}
        for who in users:
            headers[who], _ = roleplan_headers(who)
        connections.close_all()

        say(f"starting gunicorn on 127.0.0.1:{PORT}")
        roleplan = start_gunicorn(env, log, control_socket)
        servers.append(roleplan)
        targets: dict[str, Target] = {}
        weights: dict[str, dict] = {}
        for spec in REFERENCES + specs:
            if "error" in counts.get(spec.key, {}):
                continue
            target = roleplan_target(spec, roleplan, large, headers, clients[spec.who])
            try:
                if spec.kind == "get":
                    weights[spec.key] = weigh(target)
            except RuntimeError as exc:
                counts.setdefault(spec.key, {})["error"] = str(exc)
                say(f"  {spec.key}: {exc}")
                continue
            targets[spec.key] = target
        for spec in specs:
            if spec.key in weights:
                w = weights[spec.key]
                say(f"  {spec.label}: {counts[spec.key]} queries, {w['bytes'] // 1024} KiB")

        pairs = [pair for pair in PAIRS if pair.key in targets] if peer else []
        peer_targets: dict[str, Target] = {}
        redmine: Server | None = None
        if pairs:
            say(f"creating the database {PEER_DB_NAME} and seeding Redmine (about a minute)")
            create_database(PEER_DB_NAME)
            peer_db_made = True
            began = time.monotonic()
            seeded = redmine_peer.prepare(f"{SERVER}/{PEER_DB_NAME}", log)
            say(f"Redmine seeded in {time.monotonic() - began:.1f} s: {seeded}")
            redmine = Server("redmine", f"http://127.0.0.1:{PEER_PORT}", PEER_DB_NAME)
            servers.append(redmine)
            say(f"starting puma on 127.0.0.1:{PEER_PORT}")
            redmine_peer.start(redmine, f"{SERVER}/{PEER_DB_NAME}", log, WORKERS, THREADS)
            cookie = redmine_peer.sign_in(redmine.base, seeded.login)
            paths = redmine_peer.paths(seeded)
            for pair in pairs:
                if pair.peer == "put":
                    target = Target(f"peer:{pair.key}", pair.peer_label, redmine, "/", "put")
                    target.headers = [f"X-Redmine-API-Key: {seeded.api_key}"]
                    target.specs = [
                        paths["put"].format(id=issue) + f"|{10 + n}"
                        for n, issue in enumerate(seeded.edit_issue_ids[:CONNECTIONS])
                    ]
                    target.path = target.specs[0].split("|")[0]
                else:
                    target = Target(f"peer:{pair.key}", pair.peer_label, redmine, paths[pair.peer])
                    target.headers = [f"Cookie: {cookie}"]
                    weights[f"peer:{pair.key}"] = weigh(target)
                peer_targets[pair.key] = target

        runs: list[dict] = []
        paired_keys = {pair.key for pair in pairs}
        for run in range(RUNS):
            say(f"run {run + 1}/{RUNS}")
            results: dict[str, dict] = {}
            for key in ("floor", "base"):
                if key in targets:
                    results[key] = measured(tool, targets[key])
            for pair in pairs:
                order = [targets[pair.key], peer_targets[pair.key]]
                for target in order if run % 2 == 0 else order[::-1]:
                    results[target.key] = measured(tool, target)
            for spec in specs:
                if spec.key in targets and spec.key not in paired_keys:
                    if run == 0 and too_slow(spec.key, weights, counts):
                        del targets[spec.key]
                        continue
                    results[spec.key] = measured(tool, targets[spec.key])
            runs.append(results)

        browser: dict[str, dict] = {}
        if BROWSER:
            from tests.benchmarks.pages_browser import Load, load_times

            say("loading the paired pages in Chromium")
            loads = []
            for pair in PAIRS:
                if not pair.browser or pair.key not in targets:
                    continue
                target = targets[pair.key]
                session = target.headers[0].split("sessionid=")[1].split(";")[0]
                cookies = [{"name": "sessionid", "value": session, "url": roleplan.base}]
                loads.append(Load(pair.key, roleplan.base + target.path, cookies))
                if pair.key in peer_targets and redmine is not None:
                    peer_target = peer_targets[pair.key]
                    cookies = [
                        {"name": name, "value": value, "url": redmine.base}
                        for name, value in (
                            part.split("=", 1) for part in cookie.split("; ") if "=" in part
                        )
                    ]
                    loads.append(Load(f"peer:{pair.key}", redmine.base + peer_target.path, cookies))
            browser = load_times(loads)
            for key, figures in browser.items():
                say(
                    f"  {key}: load {figures['load_ms']:.0f} ms {figures['loads_ms']}, "
                    f"{figures['js_errors']} JS errors {figures['errors']}"
                )

        scale_runs: list[dict] = []
        chosen = {spec.key for spec in specs}
        scale = [row for row in SCALE if row[1] in chosen and row[1] in targets]
        if SCALE_ON and scale:
            scale_runs = scale_phase(tool, roleplan, scale, clients, headers, counts, weights)

        facts = machine(bool(pairs))
        intro = (
            f"Command: `{COMMAND}`. Median of {len(runs)} run{'s' if len(runs) > 1 else ''}; "
            f"each measurement {DURATION:g} s "
            f"after a {WARMUP:g} s warm-up (longer for a page that answers fewer than "
            f"{MIN_REQUESTS} times in that, at most 4× or 30 s), wrk with {CONNECTIONS} connections "
            f"from a second process. gunicorn and puma both {WORKERS} workers × {THREADS} "
            "threads, production settings, PostgreSQL on the same machine. CPU ms/req is the "
            "server's processes + the PostgreSQL backends of its database, from /proc. Method "
            "and caveats: below the block."
        )
        text = report.render(
            runs, scale_runs, pairs, specs, REFERENCES, counts, weights, browser, facts, intro
        )
        elapsed = time.monotonic() - started_at
        text += f"\nThe whole run took {elapsed / 60:.0f} min.\n"
        (RAW / f"pages-{stamp}.json").write_text(
            json.dumps(
                {
                    "machine": facts,
                    "runs": runs,
                    "scale_runs": scale_runs,
                    "counts": counts,
                    "weights": weights,
                    "browser": browser,
                },
                indent=1,
            )
        )
        print()
        print(text)
        if os.environ.get("BENCH_NO_RESULTS") != "1" and not ONLY:
            write_results(text)
            say(f"written to {report.RESULTS.relative_to(ROOT)}")
        return 0
    finally:
        for server in reversed(servers):
            server.stop()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up yet
            pass
        drop_database()
        if peer_db_made:
            drop_database(PEER_DB_NAME)
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(control_socket.parent, ignore_errors=True)


def scale_phase(
    tool: str,
    roleplan: Server,
    scale: list[tuple[str, str, str]],
    clients,
    headers,
    counts,
    weights,
) -> list[dict]:
    """The scale rows: more data, the same pages, the same query counts."""
    from django.db import connections

    from tests.benchmarks.pages_data import seed_scale

    say(
        "generating the scale data (1,000- and 5,000-item roadmaps, 2,000 deliverables, "
        "50,000 assets)"
    )
    began = time.monotonic()
    data = seed_scale()
    analyze()
    say(f"generated in {time.monotonic() - began:.1f} s; counting queries")
    project_objects = find_objects(data.project_product_slug, data.project_slug)
    objects = {
        size: Objects(**{**project_objects.__dict__, "product_slug": slug})
        for size, slug in data.roadmaps.items()
    }
    targets: dict[str, Target] = {}
    for key, page, _label in scale:
        spec = by_key(page)
        size = int(key.rsplit("_", 1)[1])
        on = objects.get(size, project_objects)
        entry = counts.setdefault(key, {"small": counts.get(page, {}).get("small")})
        try:
            entry["large"] = count_queries(clients[spec.who], spec, on)
            target = roleplan_target(spec, roleplan, on, headers, clients[spec.who])
            target.key, target.label = key, _label
            weights[key] = weigh(target)
        except Exception as exc:  # reported in the table, not fatal
            entry["error"] = f"{type(exc).__name__}: {str(exc)[:120]}"
            say(f"  {key}: {entry['error']}")
            continue
        targets[key] = target
        say(f"  {_label}: {entry} queries, {weights[key]['bytes'] // 1024} KiB")
    connections.close_all()
    targets = {k: t for k, t in targets.items() if not too_slow(k, weights, counts)}
    runs = []
    for run in range(RUNS):
        say(f"scale run {run + 1}/{RUNS}")
        runs.append({key: measured(tool, target) for key, target in targets.items()})
    return runs


if __name__ == "__main__":
    sys.exit(main())
