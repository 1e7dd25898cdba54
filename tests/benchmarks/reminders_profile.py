"""Profile the reminder pipeline in-process, on bench_reminders.py's data set.

    .venv/bin/python tests/benchmarks/reminders_profile.py

Creates the database of bench_reminders.py (BENCH_SYNCS syncs; 300 here unless set), then, in
this process and without a worker: times and profiles preparing every due meeting
(delivery.reminders_prepare: agendas from live data and planned reminders), then sending them
(delivery.deliveries_send, to a local SMTP sink). Prints ms per meeting and per reminder and
cProfile's top functions (PROFILE_TOP). Drops the database at the end. The SMTP sink runs in a
thread of this process: "this thread's CPU" leaves it out. The URLconf is loaded before the
clock starts, as a worker process does once.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("BENCH_SYNCS", "300")

from tests.benchmarks import bench_reminders  # noqa: E402

TOP = int(os.environ.get("PROFILE_TOP", "35"))


def profiled(label: str, count: int, unit: str, work):
    profiler = cProfile.Profile()
    started, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
    profiler.enable()
    result = work()
    profiler.disable()
    wall = (time.perf_counter() - started) * 1000 / count
    cpu = (time.process_time() - cpu) * 1000 / count
    own = (time.thread_time() - own) * 1000 / count
    print(
        f"\n=== {label}: {wall:.2f} ms per {unit} ({cpu:.2f} ms of this process's CPU, "
        f"{own:.2f} ms of this thread's: without the SMTP sink's thread), {count}"
    )
    for order in ("cumulative", "tottime"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(TOP)
        print(text.getvalue())
    return result


def main() -> None:
    bench_reminders.create_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.test.utils import override_settings
        from django.urls import reverse

        from roleplan.alignment import delivery
        from tests.alignment.smtp_sink import SmtpSink

        call_command("migrate", verbosity=0)
        bench_reminders.seed(datetime.now(UTC))
        # What a worker process does once, not per meeting: load the URLconf.
        reverse("alignment:index")
        due = delivery.reminders_due()
        assert len(due) == bench_reminders.SYNCS, (len(due), bench_reminders.SYNCS)
        ids = profiled(
            "prepare (agenda + plan)",
            len(due),
            "meeting",
            lambda: delivery.reminders_prepare(due=due),
        )
        sink = SmtpSink().start()
        try:
            with override_settings(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=sink.port,
                EMAIL_USE_TLS=False,
            ):
                report = profiled(
                    "send", len(ids), "reminder", lambda: delivery.deliveries_send(ids=ids)
                )
            print(f"sent {report.sent} of {len(ids)}; the sink received {len(sink.received)}")
        finally:
            sink.stop()
    finally:
        bench_reminders.drop_database()


if __name__ == "__main__":
    main()
