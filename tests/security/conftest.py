"""The demo, seeded once per test module: the walkers of this folder read it many times and
change nothing that outlives a test (each test runs in a transaction that is rolled back)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.management import call_command
from django.test import Client

from tests.security.demo import Demo, post_forms, seed
from tests.security.html import Form


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[Demo]:
    with django_db_blocker.unblock():
        seeded = seed()
    try:
        yield seeded
    finally:
        with django_db_blocker.unblock():
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def demo_forms(demo, django_db_blocker) -> dict[str, tuple[str, Form]]:
    """Every POST form of the demo's pages, by action path (see post_forms)."""
    with django_db_blocker.unblock():
        return post_forms(Client(), demo)
