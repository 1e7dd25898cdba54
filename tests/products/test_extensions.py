"""Products' extension point (products/extensions.py): who delivers an item, and panels of the
product page. A fake registration stands in for the projects app; with nothing registered the
pages name no project and show no panel."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse

from products import extensions
from products.extensions import (
    ItemDelivery,
    ProductPanel,
    register_item_delivery,
    register_product_panel,
)
from tests.products.factories import make_item

TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def nothing_registered(monkeypatch):
    """Each test starts with no registration (the real apps' ones set aside)."""
    monkeypatch.setattr(extensions, "EXTENSIONS", extensions.Extensions())


@pytest.fixture
def calls():
    return []


@pytest.fixture
def delivered(product, calls):
    """A fake projects app: items named "ABC…" are delivered by the replacement project, on
    time; "XYZ…" by a late one."""
    abc = make_item(product, title="ABC journeys", horizon="now", reach=100)
    xyz = make_item(product, title="XYZ recommendations", horizon="next", reach=200)
    other = make_item(product, title="Something else", horizon="later", reach=300)

    def lookup(item_ids: list[int]) -> dict[int, ItemDelivery]:
        calls.append(sorted(item_ids))
        found = {
            abc.pk: ItemDelivery(
                "Black Friday replacement", "/projects/bf/", "Active", date(2026, 11, 20), False
            ),
            xyz.pk: ItemDelivery("Recommendations pilot", "/projects/rp/", "Active", None, True),
        }
        return {pk: found[pk] for pk in item_ids if pk in found}

    register_item_delivery(lookup)
    return abc, xyz, other


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def card_of(html: str, item) -> str:
    return re.search(rf'<li class="card-item" id="item-{item.pk}".*?</li>', html, re.S).group(0)


def test_with_nothing_registered_no_page_names_a_project(client, viewer, product, item):
    client.force_login(viewer)
    roadmap = reverse("products:roadmap", args=[product.slug])
    pages = [
        client.get(roadmap),
        client.get(roadmap, {"view": "table"}),
        client.get(reverse("products:item", args=[product.slug, item.pk])),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "Delivered by" not in text(page)


def test_the_board_names_the_delivering_project_and_its_forecast(
    client, viewer, product, delivered, calls
):
    abc, xyz, other = delivered
    client.force_login(viewer)
    html = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()
    card = re.sub(r"\s+", " ", card_of(html, abc))
    assert 'Delivered by <a href="/projects/bf/">Black Friday replacement</a>' in card
    assert "· forecast 20 Nov" in card
    assert "late" not in card
    late = card_of(html, xyz)
    assert 'class="delivery late"' in late
    assert "(late)" in late
    assert "Delivered by" not in card_of(html, other)
    # One call for the whole board, with the ids of the cards shown.
    assert calls == [sorted([abc.pk, xyz.pk, other.pk])]


def test_a_card_with_a_delivery_stays_under_one_and_a_half_kib(client, owner, product, calls):
    long_title = "Abandoned-cart journeys with reminders after two and twenty-four hours " * 2
    item = make_item(
        product, title=long_title[:200], horizon="now", reach=1_200_000, kpi=None, ice_impact=9
    )

    def lookup(item_ids: list[int]) -> dict[int, ItemDelivery]:
        name = "Black Friday replacement of the legacy email marketing system, phase two"
        return {
            item.pk: ItemDelivery(
                name, "/projects/black-friday-replacement/", "Active", date(2026, 11, 20), True
            )
        }

    register_item_delivery(lookup)
    client.force_login(owner)  # the owner's card carries the editing controls too
    html = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()
    card = card_of(html, item)
    assert "Delivered by" in card
    assert len(card.encode()) < 1.5 * 1024


def test_the_table_has_a_delivered_by_column_with_the_forecast(
    client, viewer, product, delivered, calls
):
    abc, xyz, other = delivered
    client.force_login(viewer)
    response = client.get(reverse("products:roadmap", args=[product.slug]), {"view": "table"})
    page = text(response)
    assert "Delivered by</th>" in page
    assert '<a href="/projects/bf/" title="Active">Black Friday replacement</a>' in page
    assert "forecast 20 Nov" in page
    assert calls == [sorted([abc.pk, xyz.pk, other.pk])]


def test_the_item_page_names_the_project_with_its_status_and_forecast(
    client, viewer, product, delivered, calls
):
    abc, _, _ = delivered
    client.force_login(viewer)
    page = text(client.get(reverse("products:item", args=[product.slug, abc.pk])))
    assert 'Delivered by <a href="/projects/bf/">Black Friday replacement</a> (Active)' in page
    assert "forecast 20 Nov 2026" in page
    assert calls == [[abc.pk]]


def test_an_edited_card_asks_for_its_own_delivery_only(client, owner, product, delivered, calls):
    abc, _, _ = delivered
    client.force_login(owner)
    from tests.products.factories import card_data

    path = reverse("products:item_edit", args=[product.slug, abc.pk])
    response = client.post(path, card_data(abc, reach=555), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Black Friday replacement" in response.content.decode()
    assert calls == [[abc.pk]]


def test_the_product_page_shows_each_registered_panel_as_a_section(
    client, viewer, product, settings
):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [*settings.TEMPLATES[0]["DIRS"], TEMPLATES]}
    ]
    seen = []

    def projects_panel(product, user):
        seen.append((product.pk, user.pk))
        return ProductPanel("tests/panel.html", {"headline": "1 active, on track"}, "Projects")

    register_product_panel(projects_panel)
    register_product_panel(lambda product, user: None, name="nothing for this product")
    client.force_login(viewer)
    page = text(client.get(reverse("products:detail", args=[product.slug])))
    assert ">Projects</h2>" in page
    assert "Projects of Email platform: 1 active, on track" in page
    assert page.count('class="product-panel') == 1
    assert seen == [(product.pk, viewer.pk)]


def test_without_a_panel_the_product_page_has_no_such_section(client, viewer, product):
    client.force_login(viewer)
    page = text(client.get(reverse("products:detail", args=[product.slug])))
    assert "product-panel" not in page


def test_registering_again_replaces_the_earlier_registration():
    def first(ids):
        return {}

    def second(ids):
        return {}

    register_item_delivery(first)
    register_item_delivery(second)
    assert extensions.EXTENSIONS.item_delivery is second
    register_product_panel(lambda p, u: None, name="projects")
    register_product_panel(lambda p, u: None, name="projects")
    assert list(extensions.EXTENSIONS.panels) == ["projects"]


def test_no_lookup_runs_without_ids_or_without_a_registration(calls):
    assert extensions.item_deliveries([1, 2]) == {}
    register_item_delivery(lambda ids: calls.append(ids) or {})
    assert extensions.item_deliveries([]) == {}
    assert calls == []
