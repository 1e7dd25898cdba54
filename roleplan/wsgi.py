from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "roleplan.settings")

application = get_wsgi_application()

# What the process loaded to get here (Django, the apps, their modules) lives as long as the
# process. Frozen, the collector never walks it again: in-process, 1,000 in-place edits
# triggered one full collection of ~126,000 objects, which held the GIL for 80 ms (every request
# of the worker waited); after gc.freeze() none (tests/benchmarks/RESULTS.md, the edit's p99).
gc.freeze()
