"""The product services: compare-and-set saves, dense ranks, history."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from products import services
from products.models import Kpi, KpiMeasurement, RoadmapItem, RoadmapItemChange
from roleplan.events import Event
from roleplan.versioning import StaleEdit
from tests.products.factories import make_item


def ranks(product, horizon: str) -> list[tuple[str, int]]:
    return list(RoadmapItem.objects.in_horizon(product.pk, horizon).values_list("title", "rank"))


def test_new_items_go_to_the_end_of_their_horizon(product):
    for title in ["a", "b", "c"]:
        make_item(product, title=title, horizon="next")
    assert ranks(product, "next") == [("a", 0), ("b", 1), ("c", 2)]


def test_moving_within_a_horizon_reorders_and_keeps_ranks_dense(product, owner):
    a, b, c = (make_item(product, title=t, horizon="now") for t in "abc")
    services.roadmap_item_move(item_id=c.pk, by=owner, horizon="now", position=0)
    assert ranks(product, "now") == [("c", 0), ("a", 1), ("b", 2)]
    services.roadmap_item_move(item_id=c.pk, by=owner, horizon="now", position=99)
    assert ranks(product, "now") == [("a", 0), ("b", 1), ("c", 2)]


def test_moving_across_horizons_closes_the_gap_it_leaves(product, owner):
    a, b, c = (make_item(product, title=t, horizon="next") for t in "abc")
    make_item(product, title="x", horizon="now")
    services.roadmap_item_move(item_id=b.pk, by=owner, horizon="now", position=0)
    assert ranks(product, "now") == [("b", 0), ("x", 1)]
    assert ranks(product, "next") == [("a", 0), ("c", 1)]


def test_a_move_names_its_neighbour_so_a_filtered_board_places_it_right(product, owner):
    a, b, c, d = (make_item(product, title=t, horizon="later") for t in "abcd")
    # The board shows only a and d; the user drops d just above... a's successor is hidden.
    services.roadmap_item_move(item_id=d.pk, by=owner, horizon="later", position=1, after_id=a.pk)
    assert ranks(product, "later") == [("a", 0), ("d", 1), ("b", 2), ("c", 3)]
    services.roadmap_item_move(item_id=a.pk, by=owner, horizon="later", position=0, before_id=c.pk)
    assert ranks(product, "later") == [("d", 0), ("b", 1), ("a", 2), ("c", 3)]


def test_a_move_is_recorded_in_the_history_and_bumps_the_version(item, owner):
    moved = services.roadmap_item_move(item_id=item.pk, by=owner, horizon="later", position=0)
    assert moved.version == item.version + 1
    change = RoadmapItemChange.objects.filter(item=item).first()
    assert change.action == "moved"
    assert change.changes == [
        {"field": "rank", "label": "Position", "old": "Now #1", "new": "Later #1"}
    ]


def test_update_saves_and_records_who_changed_what(item, editor):
    updated = services.roadmap_item_update(
        item_id=item.pk,
        version=item.version,
        by=editor,
        data={"reach": 2500, "status": "planned", "title": item.title},
    )
    assert updated.version == item.version + 1
    assert updated.updated_by == editor
    change = RoadmapItemChange.objects.filter(item=item).first()
    assert change.by == editor
    assert change.action == "edited"
    assert change.version == updated.version
    assert sorted(change.changes, key=lambda r: r["field"]) == [
        {"field": "reach", "label": "Reach", "old": "1000", "new": "2500"},
        {"field": "status", "label": "Status", "old": "Idea", "new": "Planned"},
    ]


def test_a_stale_update_is_refused_with_the_other_persons_change(item, owner, editor):
    services.roadmap_item_update(
        item_id=item.pk, version=item.version, by=owner, data={"reach": 2000}
    )
    with pytest.raises(StaleEdit) as caught:
        services.roadmap_item_update(
            item_id=item.pk, version=item.version, by=editor, data={"reach": 3000}
        )
    stale = caught.value
    assert stale.changed_by == owner
    assert [(d.label, d.saved, d.yours) for d in stale.differences] == [("Reach", "2000", "3000")]
    assert [c.changes[0]["new"] for c in stale.changes] == ["2000"]
    assert RoadmapItem.objects.get(pk=item.pk).reach == 2000


def test_changing_the_horizon_by_edit_appends_the_item_there(product, owner):
    a, b = (make_item(product, title=t, horizon="now") for t in "ab")
    make_item(product, title="c", horizon="next")
    services.roadmap_item_update(
        item_id=a.pk, version=a.version, by=owner, data={"horizon": "next"}
    )
    assert ranks(product, "now") == [("b", 0)]
    assert ranks(product, "next") == [("c", 0), ("a", 1)]


def test_an_update_that_changes_nothing_writes_nothing(item, owner):
    same = services.roadmap_item_update(
        item_id=item.pk, version=item.version, by=owner, data={"reach": item.reach}
    )
    assert same.version == item.version
    assert RoadmapItemChange.objects.filter(item=item).count() == 1  # the creation


def test_update_refuses_fields_that_are_not_editable(item, owner):
    with pytest.raises(ValueError, match="rank"):
        services.roadmap_item_update(
            item_id=item.pk, version=item.version, by=owner, data={"rank": 5}
        )


def test_deleting_an_item_closes_the_gap(product):
    a, b, c = (make_item(product, title=t, horizon="now") for t in "abc")
    services.roadmap_item_delete(item=b)
    assert ranks(product, "now") == [("a", 0), ("c", 1)]


def test_a_delete_or_move_with_a_stale_version_changes_nothing(product, owner):
    """The API's If-Match: the service compares the version under its locks."""
    a, b = (make_item(product, title=t, horizon="now") for t in "ab")
    with pytest.raises(StaleEdit):
        services.roadmap_item_delete(item=b, version=b.version + 1)
    with pytest.raises(StaleEdit):
        services.roadmap_item_move(
            item_id=b.pk, by=owner, horizon="now", position=0, version=b.version + 1
        )
    assert ranks(product, "now") == [("a", 0), ("b", 1)]
    services.roadmap_item_move(item_id=b.pk, by=owner, horizon="now", position=0, version=1)
    b = RoadmapItem.objects.get(pk=b.pk)
    services.roadmap_item_delete(item=b, version=b.version)
    assert ranks(product, "now") == [("a", 0)]


def test_stale_kpi_and_product_saves_are_refused(product, kpi, owner, editor):
    services.kpi_update(kpi_id=kpi.pk, version=1, by=owner, data={"target_value": Decimal("25")})
    with pytest.raises(StaleEdit) as caught:
        services.kpi_update(
            kpi_id=kpi.pk, version=1, by=editor, data={"target_value": Decimal("30")}
        )
    assert [(d.saved, d.yours) for d in caught.value.differences] == [("25", "30")]
    assert Kpi.objects.get(pk=kpi.pk).target == Decimal("25")

    services.product_update(product_id=product.pk, version=1, by=owner, data={"vision": "A"})
    with pytest.raises(StaleEdit):
        services.product_update(product_id=product.pk, version=1, by=editor, data={"vision": "B"})


def test_recording_a_day_again_replaces_its_value(kpi, owner):
    from datetime import date

    services.measurement_record(kpi=kpi, by=owner, date=date(2026, 9, 1), value=Decimal("18.2"))
    services.measurement_record(kpi=kpi, by=owner, date=date(2026, 9, 1), value=Decimal("18.6"))
    assert list(KpiMeasurement.objects.filter(kpi=kpi).values_list("value", flat=True)) == [
        Decimal("18.6")
    ]
    assert kpi.progress(Decimal("18.6")) == 10
    assert kpi.progress(Decimal("30")) == 100
    assert kpi.progress(Decimal("10")) == 0


def test_a_saved_item_has_the_scores_the_database_computed_and_its_history_row(item, editor):
    saved = services.roadmap_item_update(
        item_id=item.pk, version=1, by=editor, data={"reach": 2500, "title": item.title}
    )
    stored = RoadmapItem.objects.get(pk=item.pk)
    assert (stored.reach, stored.version, stored.updated_by) == (2500, 2, editor)
    assert (saved.rank, saved.rice_score, saved.ice_score) == (
        stored.rank,
        stored.rice_score,
        stored.ice_score,
    )
    assert saved.rice_score == 2000  # 2500 × 1 × 80% ÷ 1, by the database
    assert saved.rice_score != item.rice_score
    change = RoadmapItemChange.objects.filter(item=item).first()
    assert (change.by, change.version) == (editor, 2)
    assert change.changes == [{"field": "reach", "label": "Reach", "old": "1000", "new": "2500"}]
    assert change.at == stored.updated_at


def test_a_stale_update_writes_nothing_and_lists_the_saves_since_that_version(item, owner, editor):
    services.roadmap_item_update(item_id=item.pk, version=1, by=owner, data={"reach": 2000})
    services.roadmap_item_update(item_id=item.pk, version=2, by=owner, data={"status": "planned"})
    with pytest.raises(StaleEdit) as caught:
        services.roadmap_item_update(item_id=item.pk, version=1, by=editor, data={"reach": 3000})
    stale = caught.value
    assert stale.current.version == 3
    assert [(c.by, c.changes[0]["label"]) for c in stale.changes] == [
        (owner, "Reach"),
        (owner, "Status"),
    ]
    assert RoadmapItem.objects.get(pk=item.pk).reach == 2000
    assert RoadmapItemChange.objects.filter(item=item).count() == 3  # creation, two saves


@pytest.mark.postgresql  # SQLite has no row locks: select_for_update() is a no-op there
def test_a_horizon_change_by_edit_takes_the_products_lock(product, owner):
    a, b = (make_item(product, title=t, horizon="now") for t in "ab")
    with CaptureQueriesContext(connection) as captured:
        saved = services.roadmap_item_update(
            item_id=a.pk, version=1, by=owner, data={"horizon": "next"}
        )
    locked = [q["sql"] for q in captured if "FOR UPDATE" in q["sql"]]
    assert any('FROM "products_product"' in sql for sql in locked)
    assert ranks(product, "now") == [("b", 0)]
    assert ranks(product, "next") == [("a", 0)]
    assert saved.rank == 0


def test_creating_editing_and_moving_an_item_announce_it(
    product, owner, announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = make_item(product, title="Loyalty points", horizon="later")
    with django_capture_on_commit_callbacks(execute=True):
        services.roadmap_item_update(item_id=item.pk, version=1, by=owner, data={"reach": 10})
    with django_capture_on_commit_callbacks(execute=True):
        services.roadmap_item_move(item_id=item.pk, by=owner, horizon="now", position=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.roadmap_item_update(item_id=item.pk, version=3, by=owner, data={"horizon": "next"})
    assert announced == [
        (Event.ROADMAP_ITEM_CREATED, {"item_id": item.pk}),
        (Event.ROADMAP_ITEM_UPDATED, {"item_id": item.pk}),
        (Event.ROADMAP_ITEM_MOVED, {"item_id": item.pk}),
        (Event.ROADMAP_ITEM_MOVED, {"item_id": item.pk}),
        (Event.ROADMAP_ITEM_UPDATED, {"item_id": item.pk}),
    ]


def test_a_refused_edit_announces_nothing(
    item, owner, editor, announced, django_capture_on_commit_callbacks
):
    services.roadmap_item_update(item_id=item.pk, version=1, by=owner, data={"reach": 2000})
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(StaleEdit):
        services.roadmap_item_update(item_id=item.pk, version=1, by=editor, data={"reach": 5})
    assert announced == []
