"""Scoring that explains itself: each product scores by RICE, ICE or both; pages show only the
chosen method(s) and only scores whose inputs were all given, the formula one click away."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from products.models import RoadmapItem, Scoring
from tests.products.factories import make_item

HX = {"HX-Request": "true"}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def use(product, scoring: str) -> None:
    product.scoring = scoring
    product.save(update_fields=["scoring"])


def test_a_new_item_has_no_score_until_its_inputs_are_given(product):
    item = make_item(product, title="Quick idea")
    item.refresh_from_db()
    assert (item.reach, item.ice_impact, item.ice_confidence, item.ice_ease) == (None,) * 4
    assert item.rice_score is None
    assert item.ice_score is None
    partly = make_item(product, title="Half", ice_impact=8, ice_confidence=6)
    partly.refresh_from_db()
    assert partly.ice_score is None
    whole = make_item(product, title="Whole", reach=100, ice_impact=8, ice_confidence=6, ice_ease=5)
    whole.refresh_from_db()
    assert (whole.rice_score, whole.ice_score) == (80.0, 240)


def test_a_rice_product_shows_no_ice_anywhere(client, viewer, product):
    make_item(
        product,
        title="Scored",
        horizon="now",
        reach=1000,
        ice_impact=9,
        ice_confidence=9,
        ice_ease=9,
    )
    client.force_login(viewer)
    roadmap = reverse("products:roadmap", args=[product.slug])
    board = text(client.get(roadmap))
    table = text(client.get(roadmap, {"view": "table"}))
    for page in (board, table):
        assert 'data-score="rice"' in page
        assert 'data-score="ice"' not in page
        assert ">ICE inputs<" not in page


def test_an_ice_product_sorts_its_table_by_ice_and_says_what_is_missing(client, viewer, product):
    use(product, Scoring.ICE)
    make_item(product, title="Low", horizon="now", ice_impact=2, ice_confidence=2, ice_ease=2)
    make_item(product, title="High", horizon="now", ice_impact=9, ice_confidence=9, ice_ease=9)
    make_item(product, title="Unscored", horizon="now", reach=5000)
    client.force_login(viewer)
    roadmap = reverse("products:roadmap", args=[product.slug])
    board = text(client.get(roadmap))
    assert "No ICE yet" in board
    assert 'data-score="rice"' not in board
    table = text(client.get(roadmap, {"view": "table"}))
    titles = re.findall(r'id="t-\d+" href="[^"]+">([^<]+)</a>', table)
    assert titles == ["High", "Low", "Unscored"]
    assert ">RICE inputs<" not in table


def test_the_tables_headers_say_which_method_each_input_belongs_to(client, viewer, product):
    use(product, Scoring.BOTH)
    make_item(
        product, title="Both", horizon="now", reach=10, ice_impact=1, ice_confidence=1, ice_ease=1
    )
    client.force_login(viewer)
    table = text(client.get(reverse("products:roadmap", args=[product.slug]), {"view": "table"}))
    assert 'scope="colgroup" colspan="4" class="group">RICE inputs</th>' in table
    assert 'scope="colgroup" colspan="3" class="group">ICE inputs</th>' in table
    for label in [
        "RICE </span>Impact",
        "RICE </span>Confidence",
        "ICE </span>Impact",
        "ICE </span>Confidence",
        "ICE </span>Ease",
    ]:
        assert label in table
    headers = re.findall(r"<th[^>]*>(?:<a[^>]*>)?([^<]+)<", table)
    assert not {"I", "C", "E"} & set(headers)


def test_the_formula_is_one_click_away_on_the_board_and_the_item_page(client, viewer, product):
    use(product, Scoring.BOTH)
    item = make_item(
        product,
        title="Explained",
        horizon="now",
        reach=45000,
        impact="3.00",
        confidence=80,
        effort="3",
        ice_impact=8,
        ice_confidence=7,
        ice_ease=6,
    )
    client.force_login(viewer)
    board = text(client.get(reverse("products:roadmap", args=[product.slug])))
    assert (
        '<details class="legend formula" id="formula"> <summary>How RICE and ICE are computed'
        in board
    )
    assert "RICE</strong> = reach × impact × confidence ÷ effort" in board
    page = text(client.get(reverse("products:item", args=[product.slug, item.pk])))
    assert "How the RICE score is computed" in page
    assert (
        "reach 45,000 × impact 3 × confidence 80 % ÷ effort 3 person-months = <strong>36,000</strong>"
        in page
    )
    assert "impact 8 × confidence 7 × ease 6 = <strong>336</strong>" in page


def test_the_item_page_says_which_score_is_missing(client, viewer, product):
    use(product, Scoring.BOTH)
    item = make_item(product, title="Unscored", horizon="now")
    client.force_login(viewer)
    page = text(client.get(reverse("products:item", args=[product.slug, item.pk])))
    assert "No RICE score yet: give the reach." in page
    assert "No ICE score yet: give impact, confidence and ease." in page


@pytest.mark.parametrize(
    ("scoring", "shown", "hidden"),
    [
        (Scoring.RICE, ["reach", "effort"], ["ice_impact", "ice_ease"]),
        (Scoring.ICE, ["ice_impact", "ice_ease"], ["reach", "effort"]),
        (Scoring.BOTH, ["reach", "ice_ease"], []),
    ],
)
def test_the_editors_ask_only_for_the_inputs_of_the_chosen_method(
    client, owner, product, scoring, shown, hidden
):
    use(product, scoring)
    item = make_item(product, title="Edited", horizon="now")
    client.force_login(owner)
    card_editor = client.get(
        reverse("products:item_edit", args=[product.slug, item.pk]), headers=HX
    ).content.decode()
    page = client.get(reverse("products:item", args=[product.slug, item.pk])).content.decode()
    for name in shown:
        assert f'name="item{item.pk}-{name}"' in card_editor
        assert f'name="{name}"' in page
    for name in hidden:
        assert f'name="item{item.pk}-{name}"' not in card_editor
        assert f'name="{name}"' not in page


def test_saving_an_ice_product_item_leaves_its_rice_inputs_alone(client, owner, product):
    use(product, Scoring.ICE)
    item = make_item(product, title="Kept", horizon="now", reach=700)
    client.force_login(owner)
    data = {
        f"item{item.pk}-{name}": value
        for name, value in {
            "title": "Kept",
            "status": item.status,
            "horizon": item.horizon,
            "kpi": "",
            "ice_impact": 5,
            "ice_confidence": 6,
            "ice_ease": 7,
            "version": item.version,
        }.items()
    }
    response = client.post(
        reverse("products:item_edit", args=[product.slug, item.pk]), data, headers=HX
    )
    assert response.status_code == 200
    item = RoadmapItem.objects.get(pk=item.pk)
    assert (item.reach, item.ice_score) == (700, 210)


def test_the_product_form_chooses_the_method(client, owner, product):
    client.force_login(owner)
    form = client.get(reverse("products:edit", args=[product.slug])).content.decode()
    assert '<option value="ice">ICE</option>' in form
    assert '<option value="both">RICE and ICE</option>' in form
