"""Preparing 5,000 weekly syncs and sending their reminders with one Celery worker (issue 6,
point 8). A measurement, not a pass/fail test: it prints the figures and says whether the run
stayed under the 60-second budget.

One run (`make bench`, or `.venv/bin/python tests/benchmarks/bench_reminders.py`):

1. creates a fresh PostgreSQL database `roleplan_bench_reminders` and migrates it;
2. seeds (untimed) BENCH_SYNCS active projects (5,000), each serving a product, with a
   baseline, deliverables, milestones, a cost line, a risk, roadmap items and, for one project
   in five, an open change request; 1,000 product managers own the products, each project has
   its own project manager; the series meet in three time zones, each starting two hours from
   now in its own zone, so every reminder is due;
3. starts a real SMTP server on 127.0.0.1 that records each message (aiosmtpd, in this
   process) and ONE Celery worker on the real Redis broker, with Celery's default pool (one
   process per core; BENCH_CONCURRENCY=1 runs it with the solo pool, one task at a time);
4. times `alignment.prepare_due_syncs` from the moment it is queued: the worker prepares every
   meeting (agenda from live data), plans one reminder per person, queues the batches, and
   sends them, each batch over one SMTP connection (DELIVERY_BATCH_SIZE, 100);
5. checks what the sink got: every reminder once, one connection per batch;
6. runs the job again with the reminders planned afresh: the meetings are already prepared
   in their window, so this times planning and sending alone;
7. prints the table, and drops the database and the broker's queue, also when it fails.

Environment: BENCH_REMINDERS_DB_NAME (roleplan_bench_reminders; dropped and created), BENCH_SYNCS (5000), BENCH_CONCURRENCY (cores), BENCH_DATABASE_SERVER
(postgres://postgres@127.0.0.1:5432), BENCH_REDIS_URL (redis://127.0.0.1:6379/10; the script empties that Redis database).
Everything targets 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

DB_NAME = os.environ.get("BENCH_REMINDERS_DB_NAME", "roleplan_bench_reminders")
SERVER = os.environ.get("BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432").rstrip("/")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
SYNCS = int(os.environ.get("BENCH_SYNCS", "5000"))
# One Celery worker; its pool: prefork with one process per core (Celery's default), or solo.
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", str(os.cpu_count() or 1)))
POOL = "solo" if CONCURRENCY == 1 else "prefork"
PRODUCT_MANAGERS = max(1, SYNCS // 5)
ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo"]
BUDGET_SECONDS = 60
TIMEOUT_SECONDS = 1800

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "roleplan.settings",
        "DATABASE_URL": f"{SERVER}/{DB_NAME}",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-only",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
)


def admin_connection():
    import psycopg

    return psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=5)


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def seed(now: datetime) -> None:
    """The data set, written with bulk inserts (this part is not timed)."""
    from django.contrib.auth.models import User

    from products.models import Product, RoadmapItem
    from projects.models import (
        Baseline,
        ChangeRequest,
        CostLine,
        Deliverable,
        Milestone,
        Project,
        ProjectRisk,
    )
    from roleplan.alignment import services
    from roleplan.alignment.models import SyncSeries
    from roleplan.ownership.models import Asset

    today = now.date()
    start, deadline = today - timedelta(days=60), today + timedelta(days=90)
    pms = User.objects.bulk_create(
        User(
            username=f"pm{i:05d}",
            email=f"pm{i:05d}@example.com",
            first_name="Pat",
            last_name=f"Product {i}",
        )
        for i in range(PRODUCT_MANAGERS)
    )
    managers = User.objects.bulk_create(
        User(
            username=f"mgr{i:05d}",
            email=f"mgr{i:05d}@example.com",
            first_name="Max",
            last_name=f"Project {i}",
        )
        for i in range(SYNCS)
    )
    assets = Asset.objects.bulk_create(
        Asset(
            kind="product",
            name=f"Product {i:05d}",
            slug=f"product-{i:05d}",
            owner=pms[i % PRODUCT_MANAGERS],
            confirmed_at=now if i % 10 else None,
        )
        for i in range(SYNCS)
    )
    products = Product.objects.bulk_create(Product(asset=a) for a in assets)
    RoadmapItem.objects.bulk_create(
        RoadmapItem(
            product=p,
            title=f"Item {k} of {p.asset.name}",
            horizon=h,
            rank=k,
            status="planned",
            reach=100 * (k + 1),
        )
        for p in products
        for k, h in enumerate(["now", "now", "next"])
    )
    projects = Project.objects.bulk_create(
        Project(
            name=f"Project {i:05d}",
            slug=f"project-{i:05d}",
            product=products[i],
            manager=managers[i],
            start_date=start,
            deadline=deadline,
            budget=Decimal("100000"),
            status="active",
            benefits="Benefits.",
            outcomes="Outcomes.",
            approved_at=now,
            approved_by=pms[i % PRODUCT_MANAGERS],
        )
        for i in range(SYNCS)
    )
    Baseline.objects.bulk_create(
        Baseline(
            project=p,
            number=1,
            kind="approval",
            is_current=True,
            start_date=start,
            deadline=deadline,
            budget=p.budget,
            currency="EUR",
            created_by=p.approved_by,
        )
        for p in projects
    )
    Deliverable.objects.bulk_create(
        Deliverable(
            project=p,
            title=f"Deliverable {k}",
            start_date=start,
            due_date=today + timedelta(days=10 * k - 5),
            estimate_days=Decimal("5"),
        )
        for p in projects
        for k in range(3)
    )
    Milestone.objects.bulk_create(
        Milestone(project=p, title=title, due_date=today + timedelta(days=days))
        for p in projects
        for title, days in (("Design signed off", -3), ("Go live", 80))
    )
    CostLine.objects.bulk_create(
        CostLine(
            project=p,
            category="labour",
            description="Team",
            planned=Decimal("20000"),
            actual=Decimal("22000"),
            date=today - timedelta(days=10),
        )
        for p in projects
    )
    ProjectRisk.objects.bulk_create(
        ProjectRisk(
            project=p,
            number=1,
            title="Vendor late",
            category="vendor",
            probability=4,
            impact=4,
            owner=p.manager,
            review_date=today - timedelta(days=2),
        )
        for p in projects
    )
    ChangeRequest.objects.bulk_create(
        ChangeRequest(
            project=p,
            number=1,
            title="Feature XYZ",
            description="On top of ABC",
            why="Black Friday",
            requested_by=p.approved_by,
        )
        for p in projects[::5]
    )
    services.series_ensure_for_active_projects()
    for n, zone in enumerate(ZONES):
        soon = (now + timedelta(hours=2)).astimezone(ZoneInfo(zone))
        pairs = [(p.product.asset.owner_id, p.manager_id) for p in projects[n :: len(ZONES)]]
        SyncSeries.objects.filter(
            pk__in=[
                s.pk
                for s in SyncSeries.objects.all()
                if (s.product_manager_id, s.project_manager_id) in set(pairs)
            ]
        ).update(
            weekday=soon.weekday(),
            time=soon.time().replace(second=0, microsecond=0),
            time_zone=zone,
        )


def start_worker(sink_port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(sink_port),
        "EMAIL_USE_TLS": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DB_CONN_MAX_AGE": "600",
        # As docker-compose.yml's worker: its commits need not wait for the disk.
        "PGOPTIONS": "-c synchronous_commit=off",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "roleplan",
            "worker",
            f"--pool={POOL}",
            f"--concurrency={CONCURRENCY}",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-{uuid.uuid4().hex[:6]}@%h",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def wait_until(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"gave up waiting for {what} after {timeout:.0f} s")


def results_block(rows: list[tuple[str, str]]) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    return "\n".join(
        [
            "## Reminders at scale (bench_reminders.py)",
            "",
            f"Command: `.venv/bin/python tests/benchmarks/bench_reminders.py   # or: make bench`."
            f" {SYNCS:,} weekly syncs due at once, one Celery worker ({POOL} pool, concurrency"
            f" {CONCURRENCY}) on the real Redis broker, a real SMTP server on 127.0.0.1; one run.",
            "",
            "| measure | value |",
            "|---|---|",
            *(f"| {label} | {value} |" for label, value in rows),
            f"| date | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC |",
            f"| cpus | {os.cpu_count()} (nproc), {cpu} |",
        ]
    )


def write_results(text: str) -> None:
    from tests.benchmarks.bench_pages import write_results as write_block

    write_block(text, name="bench_reminders")


def main() -> int:
    import django
    import redis

    create_database()
    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    from roleplan.alignment.models import Delivery, DeliveryStatus, SyncMeeting
    from roleplan.alignment.tasks import prepare_due_syncs
    from roleplan.celery import ping
    from tests.alignment.smtp_sink import SmtpSink

    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    worker = sink = None
    log = ROOT / "tests" / "benchmarks" / "results" / "reminders-worker.log"
    log.parent.mkdir(exist_ok=True)
    try:
        call_command("migrate", verbosity=0)
        now = datetime.now(UTC)
        started = time.perf_counter()
        seed(now)
        seeded = time.perf_counter() - started

        sink = SmtpSink().start()
        worker = start_worker(sink.port, log)
        token = uuid.uuid4().hex
        ping.delay(token)
        wait_until(lambda: cache.get(f"ping:{token}"), 120, "the worker to start")

        t0 = time.perf_counter()
        prepare_due_syncs.delay()
        expected = 2 * SYNCS
        prepared = wait_until(
            lambda: (
                SyncMeeting.objects.filter(prepared_at__isnull=False).count() == SYNCS
                and time.perf_counter()
            ),
            TIMEOUT_SECONDS,
            "the meetings",
        )
        done = wait_until(
            lambda: (
                Delivery.objects.filter(status=DeliveryStatus.SENT).count() == expected
                and time.perf_counter()
            ),
            TIMEOUT_SECONDS,
            "the reminders",
        )
        total = done - t0
        counts = sink.per_recipient()
        duplicates = sum(n - 1 for n in counts.values())
        received = len(sink.received)
        connections = sink.connections

        # Second run, the delivery path alone: the meetings are prepared within their window,
        # so the same job only plans and sends (the reminders are planned afresh).
        Delivery.objects.all().delete()
        t1 = time.perf_counter()
        prepare_due_syncs.delay()
        resent = wait_until(
            lambda: (
                Delivery.objects.filter(status=DeliveryStatus.SENT).count() == expected
                and time.perf_counter()
            ),
            TIMEOUT_SECONDS,
            "the second run",
        )
        batches = -(-expected // 100)
        rows = [
            ("syncs prepared (agenda built)", f"{SYNCS:,}"),
            ("reminders sent", f"{received:,} (expected {expected:,})"),
            ("sent twice", f"{duplicates}"),
            ("SMTP connections", f"{connections} (batches of 100: {batches})"),
            ("seeding (not timed)", f"{seeded:.1f} s"),
            ("all meetings prepared", f"{prepared - t0:.1f} s after the job was queued"),
            ("total, queued to last reminder sent", f"{total:.1f} s"),
            ("throughput", f"{expected / total:,.0f} reminders/s"),
            ("budget", f"{BUDGET_SECONDS} s: {'within' if total < BUDGET_SECONDS else 'OVER'}"),
            ("plan + send only (meetings already prepared)", f"{resent - t1:.1f} s"),
            ("load average at the end (1 min)", f"{os.getloadavg()[0]:.1f}"),
        ]
        print(
            f"\nReminders benchmark · {platform.node()} · {os.cpu_count()} cores · "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC · one worker ({POOL} pool, concurrency {CONCURRENCY})"
        )
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            print(f"  {label:<{width}}  {value}")
        ok = duplicates == 0 and received == expected
        if "BENCH_SYNCS" not in os.environ:  # only the standard run goes into RESULTS.md
            write_results(results_block(rows))
        return 0 if ok else 1
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        if sink is not None:
            sink.stop()
        broker.flushdb()
        drop_database()


if __name__ == "__main__":
    sys.exit(main())
