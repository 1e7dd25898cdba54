"""The roadmap's Table view: sorted on the server by whitelisted keys, paginated, filters and
order kept in the URL, each row's editor loaded when asked for."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from products.models import RoadmapItem
from tests.products.factories import card_data, make_item

HX = {"HX-Request": "true"}


def table(product, query: str = "") -> str:
    return reverse("products:roadmap", args=[product.slug]) + "?view=table" + query


def titles(html: str) -> list[str]:
    """The items' titles in the order the table's rows show them."""
    return re.findall(
        r'<td class="item-cell"><div class="item-cell-inner"><a id="t-\d+" href="[^"]+">([^<]+)</a>',
        html,
    )


def edit_url(item, query: str = "") -> str:
    return reverse("products:item_edit", args=[item.product.slug, item.pk]) + query


@pytest.fixture
def scored(product, kpi):
    """Three items whose order differs by every key."""
    ice = {"ice_impact": 5, "ice_confidence": 5}
    make_item(
        product,
        title="Bravo",
        reach=500,
        status="planned",
        horizon="later",
        kpi=kpi,
        **ice,
        ice_ease=5,
    )
    make_item(
        product,
        title="alpha",
        reach=100,
        status="shipped",
        horizon="now",
        effort=3,
        **ice,
        ice_ease=5,
    )
    make_item(product, title="Charlie", reach=10, status="idea", horizon="next", **ice, ice_ease=9)
    return product


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Bravo", "alpha", "Charlie"]),  # RICE, highest first
        ("&sort=rice&dir=asc", ["Charlie", "alpha", "Bravo"]),
        ("&sort=ice", ["Charlie", "alpha", "Bravo"]),  # ease 9; the others tie, by horizon
        ("&sort=title&dir=asc", ["alpha", "Bravo", "Charlie"]),  # ignoring case
        ("&sort=title&dir=desc", ["Charlie", "Bravo", "alpha"]),
        ("&sort=status", ["Charlie", "Bravo", "alpha"]),  # idea, planned, shipped: the workflow
        ("&sort=horizon", ["alpha", "Charlie", "Bravo"]),  # now, next, later
        ("&sort=kpi", ["Bravo", "alpha", "Charlie"]),  # with a KPI first, then by horizon
        ("&sort=effort&dir=desc", ["alpha", "Charlie", "Bravo"]),  # ties: by horizon
        ("&sort=password&dir=sideways", ["Bravo", "alpha", "Charlie"]),  # unknown: the default
    ],
)
def test_the_table_sorts_on_the_server_by_the_key_in_the_url(
    client, scored, owner, query, expected
):
    client.force_login(owner)
    assert titles(client.get(table(scored, query)).content.decode()) == expected


def test_the_sorted_columns_header_says_so_and_links_the_other_direction(client, scored, owner):
    client.force_login(owner)
    html = client.get(table(scored, "&sort=reach")).content.decode()
    assert (
        '<th scope="col" class="num" aria-sort="descending"><a href="?view=table&amp;sort=reach&amp;dir=asc"'
        in html
    )
    assert '<a href="?view=table&amp;sort=title&amp;dir=asc">Item</a>' in html
    filtered = client.get(table(scored, "&status=idea")).content.decode()
    assert "?view=table&amp;sort=title&amp;dir=asc&amp;status=idea" in filtered


@pytest.fixture
def long_roadmap(product):
    RoadmapItem.objects.bulk_create(
        RoadmapItem(product=product, title=f"Item {n:03d}", horizon="later", rank=n, reach=n)
        for n in range(250)
    )
    return product


def test_the_table_shows_a_hundred_rows_a_page_keeping_order_and_filters(
    client, long_roadmap, owner
):
    client.force_login(owner)
    first = client.get(table(long_roadmap)).content.decode()
    assert titles(first)[:2] == ["Item 249", "Item 248"]
    assert len(titles(first)) == 100
    assert "Items 1–100 of 250" in first
    assert 'rel="next" href="?view=table&amp;sort=rice&amp;dir=desc&amp;page=2"' in first
    assert 'rel="prev"' not in first
    last = client.get(table(long_roadmap, "&sort=title&dir=asc&page=3")).content.decode()
    assert titles(last) == [f"Item {n:03d}" for n in range(200, 250)]
    assert 'rel="prev" href="?view=table&amp;sort=title&amp;dir=asc&amp;page=2"' in last
    assert 'rel="next"' not in last
    beyond = client.get(table(long_roadmap, "&page=99")).content.decode()
    assert "Items 201–250 of 250" in beyond  # a page past the end shows the last one
    RoadmapItem.objects.filter(title__endswith="7").update(status="planned")
    planned = client.get(table(long_roadmap, "&status=planned")).content.decode()
    assert len(titles(planned)) == 25
    assert "pager" not in planned


def test_a_rows_edit_control_swaps_in_its_editor(client, scored, owner):
    item = RoadmapItem.objects.get(title="alpha")
    client.force_login(owner)
    row = re.search(
        rf'<tr id="item-{item.pk}">.*?</tr>', client.get(table(scored)).content.decode(), re.S
    ).group(0)
    page_url = reverse("products:item", args=[scored.slug, item.pk])
    # The Edit control asks for the editor, keeping the table's order; its href is the page.
    assert f'href="{page_url}" hx-get="{edit_url(item)}?view=table">Edit</a>' in row
    response = client.get(edit_url(item, "?view=table"), headers=HX)
    html = response.content.decode()
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert html.startswith(f'<tr id="item-{item.pk}" class="row-editing"><td colspan="9">')
    assert f'name="item{item.pk}-reach" value="100"' in html


def test_saving_a_row_answers_with_the_tables_page_in_its_new_order(client, scored, owner):
    charlie = RoadmapItem.objects.get(title="Charlie")
    client.force_login(owner)
    query = "?view=table"
    response = client.post(edit_url(charlie, query), card_data(charlie, reach=5000), headers=HX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#roadmap-table"
    assert response["HX-Reswap"] == "outerHTML"
    assert response["HX-Trigger"].startswith('{"roadmapItemChanged"')
    html = response.content.decode()
    assert titles(html) == ["Charlie", "Bravo", "alpha"]
    assert '<strong class="score" data-score="rice">4,000</strong>' in html  # by the database
    assert titles(client.get(table(scored)).content.decode()) == titles(html)
    assert RoadmapItem.objects.get(title="Bravo").version == 1


def test_an_item_edited_out_of_the_tables_filter_leaves_it(client, product, owner):
    make_item(product, title="Other", status="idea")
    item = make_item(product, title="Promoted", status="idea")
    client.force_login(owner)
    query = "?view=table&status=idea"
    response = client.post(edit_url(item, query), card_data(item, status="planned"), headers=HX)
    html = response.content.decode()
    assert titles(html) == ["Other"]
    assert "“Promoted” no longer matches the filters: it is hidden." in html


def test_the_last_item_edited_out_of_the_tables_filter_leaves_the_empty_table(
    client, product, owner
):
    item = make_item(product, title="Only", status="idea")
    client.force_login(owner)
    query = "?view=table&status=idea"
    response = client.post(edit_url(item, query), card_data(item, status="planned"), headers=HX)
    assert response["HX-Retarget"] == "#roadmap-table"
    assert "No items match these filters" in response.content.decode()


def test_a_viewer_sees_the_table_without_edit_controls(client, scored, viewer):
    client.force_login(viewer)
    html = client.get(table(scored)).content.decode()
    assert len(titles(html)) == 3
    assert "/edit/" not in html
    assert "Add item" not in html
