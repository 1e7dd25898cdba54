"""Profile one page of the benchmark in-process, on the same data set as bench_pages.py.

    .venv/bin/python tests/benchmarks/pages_profile.py board [edit project meeting ...]

Page keys are those of pages_catalogue.py (all of them when none is named). Creates the
database roleplan_bench_profile (BENCH_DB_NAME), seeds the demo and the large data set, then
for each named page: times 30 requests through Django's test client (the
whole middleware included) and prints cProfile's top functions by cumulative and by own time.
Drops the database at the end. PROFILE_REQUESTS sets the number of requests; PROFILE_TOP the
number of rows; PROFILE_DUMP=dir writes each page's HTML there, to compare before and after.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("BENCH_DB_NAME", "roleplan_bench_profile")

from tests.benchmarks import bench_pages  # noqa: E402
from tests.benchmarks.pages_client import client_for, request_for  # noqa: E402

REQUESTS = int(os.environ.get("PROFILE_REQUESTS", "30"))
TOP = int(os.environ.get("PROFILE_TOP", "30"))


def main(keys: list[str]) -> None:
    static_root = tempfile.mkdtemp(prefix="roleplan-bench-static-")
    os.environ.update(bench_pages.bench_environment(static_root))
    os.environ.pop("REDIS_URL", None)
    os.chdir(bench_pages.ROOT)
    bench_pages.create_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        from tests.benchmarks.pages_catalogue import PAGES, find_objects
        from tests.benchmarks.pages_data import PRODUCT_SLUG, PROJECT_SLUG, seed_large

        seed_large()
        bench_pages.analyze()
        objects = find_objects(PRODUCT_SLUG, PROJECT_SLUG)
        by_key = {p.key: p for p in PAGES}
        clients = {}
        for key in keys or list(by_key):
            page = by_key[key]
            if page.who not in clients:
                clients[page.who] = client_for(page.who)

            request = request_for(clients[page.who], page, objects)
            response = request()
            assert response.status_code == 200, response.status_code
            if os.environ.get("PROFILE_DUMP"):
                out = Path(os.environ["PROFILE_DUMP"]) / f"{key}.html"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(response.content)
            backend = backend_pid()
            started, cpu = time.perf_counter(), time.process_time()
            db = backend_ticks(backend)
            for _ in range(REQUESTS):
                request()
            each = (time.perf_counter() - started) / REQUESTS * 1000
            cpu = (time.process_time() - cpu) / REQUESTS * 1000
            db = (backend_ticks(backend) - db) / os.sysconf("SC_CLK_TCK") / REQUESTS * 1000
            print(
                f"\n=== {page.label}: {each:.1f} ms per request, {cpu:.1f} ms of it on this "
                f"process's CPU, {db:.1f} ms on its PostgreSQL backend's "
                f"({REQUESTS} requests, {len(response.content) // 1024} KiB)"
            )
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(REQUESTS):
                request()
            profiler.disable()
            for order in ("cumulative", "tottime"):
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(TOP)
                print(text.getvalue())
    finally:
        from django.db import connections

        connections.close_all()
        bench_pages.drop_database()
        shutil.rmtree(static_root, ignore_errors=True)


def backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_ticks(pid: int) -> int:
    """CPU time (user + system, clock ticks) the PostgreSQL backend serving this process used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


if __name__ == "__main__":
    main(sys.argv[1:])
