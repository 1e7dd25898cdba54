from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.factories import UserFactory
from tests.projects.factories import approved_project


@pytest.fixture
def manager(db):
    return UserFactory(username="marco.manager", first_name="Marco", last_name="Rossi")


@pytest.fixture
def product_owner(db):
    return UserFactory(username="priya.owner", first_name="Priya", last_name="Patel")


@pytest.fixture
def project(manager, product_owner, editor):
    """An approved project: Marco manages it, Priya owns its product, Eddie edits it."""
    project = approved_project(manager=manager, product_owner=product_owner)
    project.editors.add(editor)
    return project


@pytest.fixture(autouse=True)
def _empty_cache():
    """The project page keeps its figures in the cache under the project's id, creation time and
    revision: with time frozen and a fresh database, another run's project can have all three."""
    cache.clear()


@pytest.fixture(scope="session")
def mpxj():
    """MPXJ on the JVM, started once for the whole run (about a second)."""
    from tests.projects import mpxj_plans

    mpxj_plans.start()
    return mpxj_plans
