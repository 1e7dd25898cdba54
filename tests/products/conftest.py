from __future__ import annotations

import pytest

from roleplan import events
from roleplan.events import Event
from tests.products.factories import KpiFactory, make_item, make_product


@pytest.fixture
def product(owner, editor):
    return make_product(owner=owner, name="Email platform", slug="email", editors=[editor])


@pytest.fixture
def kpi(product):
    return KpiFactory(product=product, name="Repurchase rate")


@pytest.fixture
def item(product, kpi):
    return make_item(product, title="Abandoned-cart journeys", horizon="now", kpi=kpi, reach=1000)


@pytest.fixture(autouse=True)
def products_alone(monkeypatch):
    """The product side's pages as products draws them, without what the apps above it
    registered (products/extensions.py: the projects app's delivery lookup and panel); the
    tests that need a registration make their own (test_extensions.py)."""
    from products import extensions

    monkeypatch.setattr(extensions, "EXTENSIONS", extensions.Extensions())


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The people of these tests sign in with force_login; hashing their passwords slowly
    would only make the suite slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def announced():
    """What the product services announce, as (event, payload), once their transaction commits."""
    heard: list[tuple[Event, dict]] = []
    handlers = {
        event: (lambda event=event, **payload: heard.append((event, payload)))
        for event in (
            Event.ROADMAP_ITEM_CREATED,
            Event.ROADMAP_ITEM_UPDATED,
            Event.ROADMAP_ITEM_MOVED,
        )
    }
    for event, handler in handlers.items():
        events.subscribe(event, handler)
    yield heard
    for event, handler in handlers.items():
        events._handlers[event].remove(handler)
