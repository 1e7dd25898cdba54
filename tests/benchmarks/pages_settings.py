"""Settings of the page benchmark (tests/benchmarks/bench_pages.py): production's, unchanged,
plus the floor view's URL and a static folder of its own.

Everything is roleplan.settings, middleware included; only ROOT_URLCONF points at a URLconf that
adds the bare view before the real ones, so the floor never exists in a deployment, and
collectstatic writes to a temporary folder instead of the working tree.
"""

from __future__ import annotations

import os

from roleplan.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.pages_urls"
STATIC_ROOT = os.environ.get("BENCH_STATIC_ROOT", "/tmp/roleplan-bench-static")
