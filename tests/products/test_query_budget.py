"""Pages issue a fixed number of queries, whatever the amount of data (templates run none)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import Horizon, KpiMeasurement, RoadmapItem, RoadmapItemChange, Status
from tests.factories import UserFactory
from tests.products.factories import KpiFactory, RiskFactory, card_data, make_product

HORIZONS = list(Horizon.values)
STATUSES = list(Status.values)


def fill_roadmap(product, count: int) -> None:
    kpis = [KpiFactory(product=product, name=f"KPI {n}") for n in range(3)]
    items = []
    for n in range(count):
        horizon = HORIZONS[n % 3]
        items.append(
            RoadmapItem(
                product=product,
                title=f"Item {n}",
                horizon=horizon,
                rank=n // 3,
                status=STATUSES[n % len(STATUSES)],
                kpi=kpis[n % 3] if n % 4 else None,
                reach=(n * 37) % 1000,
            )
        )
    RoadmapItem.objects.bulk_create(items)
    for kpi in kpis:
        KpiMeasurement.objects.bulk_create(
            KpiMeasurement(kpi=kpi, date=date(2026, 1, 1) + timedelta(days=d), value=18 + d / 10)
            for d in range(count // 10)
        )
    for n in range(count // 10):
        RiskFactory(product=product, owner=product.asset.owner, title=f"Risk {n}")


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    ("page", "budget"),
    [
        ("roadmap", 7),
        ("roadmap?status=idea&kpi={kpi}", 7),
        ("roadmap?show_later=100", 7),
        ("roadmap?view=table", 7),
        ("roadmap?view=table&sort=title&dir=asc&status=idea&page=2", 7),
        ("roadmap?view=table&sort=kpi&page=99", 7),
        ("detail", 11),  # 10, and the hypotheses' counts by status
    ],
)
def test_product_pages_cost_the_same_queries_at_20_and_500_items(
    client, owner, django_assert_num_queries, page, budget
):
    small = make_product(owner=owner, name="Small", slug="small")
    large = make_product(owner=owner, name="Large", slug="large")
    fill_roadmap(small, 20)
    fill_roadmap(large, 500)
    client.force_login(owner)

    paths = [path_of(p, page) for p in (small, large)]
    client.get(paths[0])  # the session row is written once, on the first request
    counts = [count_queries(client, path) for path in paths]
    assert counts[0] == counts[1], counts
    assert counts[0] <= budget, counts
    with django_assert_num_queries(counts[0]):
        assert client.get(paths[1]).status_code == 200


def path_of(product, page: str) -> str:
    name, _, query = page.partition("?")
    kpi = product.kpis.first()
    query = query.format(kpi=kpi.pk if kpi else "")
    return reverse(f"products:{name}", args=[product.slug]) + (f"?{query}" if query else "")


def test_show_more_costs_the_same_queries_at_1000_and_5000_items(client, owner):
    counts = []
    client.force_login(owner)
    for size in (1000, 5000):
        product = make_product(owner=owner, name=f"Size {size}", slug=f"size-{size}")
        fill_roadmap(product, size)
        url = reverse("products:roadmap_column", args=[product.slug, "next"])
        client.get(url, {"offset": 50}, headers=HX)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"offset": 50, "status": "planned"}, headers=HX)
        assert response.status_code == 200
        planned_in_next = len([n for n in range(size) if n % 3 == 1 and n % 5 == 1])
        cards = response.content.decode().count('class="card-item"')
        assert cards == max(0, min(50, planned_in_next - 50))
        counts.append(len(captured))
    assert counts[0] == counts[1] <= 6, counts


def test_product_list_costs_the_same_queries_for_2_and_30_products(client, owner):
    client.force_login(owner)
    path = reverse("products:index")
    for n in range(2):
        fill_roadmap(make_product(name=f"P{n}"), 5)
    client.get(path)
    few = count_queries(client, path)
    for n in range(28):
        fill_roadmap(make_product(owner=owner if n % 2 else None, name=f"Q{n}"), 5)
    assert count_queries(client, path) == few <= 5


def test_item_page_costs_the_same_queries_with_a_long_history(client, owner):
    product = make_product(owner=owner, name="History", slug="history")
    fill_roadmap(product, 3)
    item = RoadmapItem.objects.filter(product=product).first()
    path = reverse("products:item", args=[product.slug, item.pk])
    client.force_login(owner)
    client.get(path)
    short = count_queries(client, path)
    people = [UserFactory() for _ in range(5)]
    RoadmapItemChange.objects.bulk_create(
        RoadmapItemChange(
            item=item,
            by=people[v % 5],
            action="edited",
            version=v,
            changes=[{"field": "reach", "label": "Reach", "old": "1", "new": "2"}],
        )
        for v in range(2, 200)
    )
    assert count_queries(client, path) == short <= 8


def test_dashboard_card_costs_the_same_queries_for_1_and_12_products(client, owner):
    from products.dashboard import dashboard_context

    fill_roadmap(make_product(owner=owner, name="Mine 0"), 5)
    with CaptureQueriesContext(connection) as one:
        context = dashboard_context(owner)
    for n in range(1, 12):
        product = make_product(owner=owner if n % 2 else UserFactory(), name=f"Mine {n}")
        if not n % 2:
            product.editors.add(owner)
        fill_roadmap(product, 5)
    with CaptureQueriesContext(connection) as many:
        context = dashboard_context(owner)
    assert len(one) == len(many) == 2
    assert len(context["my_products"]) == 12
    assert all(len(p.dashboard_kpis) == 3 for p in context["my_products"])


HX = {"HX-Request": "true"}


@pytest.mark.parametrize(
    ("changes", "query", "budget"),
    [
        ({"reach": 4321}, "", 12),  # the card
        ({"title": "Renamed"}, "?status={status}", 12),  # the card on a filtered board
        ({"status": "idea"}, "?status={status}", 13),  # its column, without it
        ({"horizon": "later"}, "", 22),  # the two columns (the move itself writes ranks)
        ({"reach": 4321}, "?view=table&sort=rice", 13),  # the table's page in its new order
    ],
)
def test_an_edit_costs_the_same_queries_at_20_and_500_items(client, owner, changes, query, budget):
    """The editor answers with what changed: its queries do not grow with the roadmap."""
    client.force_login(owner)
    counts = []
    for size in (20, 500):
        product = make_product(owner=owner, name=f"Size {size}", slug=f"size-{size}")
        fill_roadmap(product, size)
        item = RoadmapItem.objects.get(product=product, horizon="now", rank=3)
        path = reverse("products:item_edit", args=[product.slug, item.pk])
        path += query.format(status=item.status)
        client.get(reverse("products:roadmap", args=[product.slug]))  # the session is written
        with CaptureQueriesContext(connection) as asked:
            assert client.get(path, headers=HX).status_code == 200
        data = card_data(item, **changes)
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, data, headers=HX)
        assert response.status_code == 200
        assert response["HX-Retarget"] != "#roadmap"
        counts.append((len(asked), len(captured)))
    assert counts[0] == counts[1], counts
    assert counts[0][0] <= 5, counts
    assert counts[0][1] <= budget, counts


@pytest.mark.parametrize("data", [{"to": "up"}, {"to": "next"}, {"horizon": "now", "position": 0}])
def test_a_move_costs_the_same_queries_at_20_and_500_items(client, owner, data):
    client.force_login(owner)
    counts = []
    for size in (20, 500):
        product = make_product(owner=owner, name=f"Size {size}", slug=f"size-{size}")
        fill_roadmap(product, size)
        item = RoadmapItem.objects.get(product=product, horizon="now", rank=3)
        path = reverse("products:item_move", args=[product.slug, item.pk])
        client.get(reverse("products:roadmap", args=[product.slug]))
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path, data, headers=HX)
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts


def test_a_registered_delivery_lookup_costs_the_board_and_the_table_one_query(client, owner):
    """products/extensions.py: the lookup runs once a page, whatever the number of cards."""
    from products.extensions import register_item_delivery

    def lookup(item_ids):
        return dict.fromkeys(
            RoadmapItem.objects.filter(pk__in=item_ids).values_list("pk", flat=True)
        )

    client.force_login(owner)
    product = make_product(owner=owner, name="Delivered", slug="delivered")
    fill_roadmap(product, 200)
    paths = [reverse("products:roadmap", args=[product.slug]) + q for q in ("", "?view=table")]
    client.get(paths[0])
    alone = [count_queries(client, path) for path in paths]
    register_item_delivery(lookup)
    assert [count_queries(client, path) for path in paths] == [n + 1 for n in alone]
