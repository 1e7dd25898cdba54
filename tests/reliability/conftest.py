from __future__ import annotations

# The delivery tests' real workers and SMTP sink serve the drills too.
from tests.alignment.delivery_fixtures import smtp_sink, workers  # noqa: F401
