from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roleplan.settings")

application = get_wsgi_application()

# What the process loaded to get here (Django, the apps, their modules) lives as long as the
# process. Frozen, the collector never walks it again: a full collection of the loaded app
# took ~80 ms of one request's time on the benchmark machine, and it comes every few thousand
# requests in each worker (tests/benchmarks/RESULTS.md, the in-place edit's p99).
gc.freeze()
