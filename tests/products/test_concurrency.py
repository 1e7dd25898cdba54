"""Concurrent moves and edits on PostgreSQL, each thread with its own connection."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from products import services
from products.models import Horizon, RoadmapItem
from roleplan.versioning import StaleEdit
from tests.factories import UserFactory
from tests.products.factories import make_item, make_product

# Row locks under real concurrent connections: about PostgreSQL itself.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def run_threads(workers: list) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def wrap(work):
        try:
            start.wait()
            work()
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_moves_keep_ranks_dense_and_lose_no_item():
    assert connection.vendor == "postgresql"
    owner = UserFactory()
    product = make_product(owner=owner, name="Busy", slug="busy")
    items = [make_item(product, title=f"i{n}", horizon=Horizon.values[n % 3]) for n in range(24)]
    ids = [i.pk for i in items]

    def mover(seed: int):
        def work():
            rng = random.Random(seed)
            for _ in range(15):
                services.roadmap_item_move(
                    item_id=rng.choice(ids),
                    by=owner,
                    horizon=rng.choice(Horizon.values),
                    position=rng.randint(0, 12),
                )

        return work

    errors = run_threads([mover(seed) for seed in range(8)])
    assert errors == []
    rows = list(RoadmapItem.objects.filter(product=product).values_list("pk", "horizon", "rank"))
    assert sorted(pk for pk, _, _ in rows) == sorted(ids)
    per_horizon = Counter(h for _, h, _ in rows)
    for horizon, count in per_horizon.items():
        assert sorted(r for _, h, r in rows if h == horizon) == list(range(count))


def test_two_people_saving_the_same_version_at_once_one_wins_one_sees_a_conflict():
    owner, editor = UserFactory(), UserFactory()
    product = make_product(owner=owner, name="Contested", slug="contested", editors=[editor])
    item = make_item(product, title="Cart", horizon="now")
    outcomes: list[str] = []

    def save(user, reach):
        def work():
            try:
                services.roadmap_item_update(
                    item_id=item.pk, version=1, by=user, data={"reach": reach}
                )
                outcomes.append(f"saved {reach}")
            except StaleEdit as exc:
                outcomes.append(f"conflict, theirs {exc.current.reach}")

        return work

    for _ in range(5):
        outcomes.clear()
        RoadmapItem.objects.filter(pk=item.pk).update(version=1, reach=0)
        errors = run_threads([save(owner, 100), save(editor, 200)])
        assert errors == []
        final = RoadmapItem.objects.get(pk=item.pk)
        assert final.version == 2
        assert sorted(outcomes) == sorted(
            [f"saved {final.reach}", f"conflict, theirs {final.reach}"]
        )
        assert item.changes.filter(version=2).count() == 1  # one history row: the winner's
        item.changes.filter(version=2).delete()
