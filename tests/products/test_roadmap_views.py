"""The roadmap editor through the test client: in-place edits, errors, conflicts, moves."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from products.models import RoadmapItem, RoadmapItemChange
from tests.products.factories import make_item

HX = {"HX-Request": "true"}


def field_url(item, field: str, query: str = "") -> str:
    return reverse("products:item_field", args=[item.product.slug, item.pk, field]) + query


def field_data(item, field: str, value, version: int | None = None) -> dict:
    return {
        f"item{item.pk}-version": item.version if version is None else version,
        f"item{item.pk}-{field}": value,
    }


def table_titles(html: str) -> list[str]:
    return re.findall(r'data-focus="title-\d+"[^>]*>([^<]+)</a>', html)


def test_roadmap_board_shows_three_columns_with_items_in_rank_order(client, product, owner):
    titles = [("Now one", "now"), ("Now two", "now"), ("Next one", "next"), ("Later one", "later")]
    for title, horizon in titles:
        make_item(product, title=title, horizon=horizon)
    client.force_login(owner)
    html = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()

    def at(text: str) -> int:
        return html.index(text)

    assert at('id="col-now"') < at(">Now one<") < at(">Now two<") < at('id="col-next"')
    assert at('id="col-next"') < at(">Next one<") < at('id="col-later"') < at(">Later one<")
    assert "sortable-1.15.7.min.js" in html
    assert "<script>" not in html  # no inline scripts: the CSP to come forbids them


def test_clicking_a_field_swaps_in_its_editor_with_the_version(client, item, owner):
    client.force_login(owner)
    response = client.get(field_url(item, "reach"), headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="edit-{item.pk}-reach"' in html
    assert f'name="item{item.pk}-version" value="{item.version}"' in html
    assert 'value="1000"' in html
    assert "autofocus" in html


def test_without_javascript_a_field_link_opens_the_items_page(client, item, owner):
    client.force_login(owner)
    response = client.get(field_url(item, "reach"))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/roadmap/items/{item.pk}/#id_reach")


def card_on_page(html: str, pk: int) -> str:
    """The card of item `pk` as a page shows it, its CSRF tokens blanked (each answer masks
    the token afresh)."""
    match = re.search(rf'<li class="card-item" id="item-{pk}".*?</li>', html, re.S)
    assert match, f"no card of item {pk}"
    return without_tokens(match.group(0))


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', html)


def test_editing_reach_on_the_board_answers_with_that_card_only(client, product, owner):
    above = make_item(product, title="Above", horizon="now")
    item = make_item(product, title="Middle", horizon="now", reach=100)
    below = make_item(product, title="Below", horizon="now")
    make_item(product, title="Elsewhere", horizon="later")
    client.force_login(owner)
    response = client.post(field_url(item, "reach"), field_data(item, "reach", 5000), headers=HX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert response["HX-Trigger"].startswith('{"roadmapItemChanged"')
    html = response.content.decode()
    assert html.startswith(f'<li class="card-item" id="item-{item.pk}"')
    assert html.count('class="card-item"') == 1
    assert '<strong class="score" data-score="rice">4000</strong>' in html  # by the database
    assert f'name="before" value="{above.pk}"' in html  # the move buttons know the neighbours
    assert f'name="after" value="{below.pk}"' in html
    # The very card the board now shows.
    board = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()
    assert without_tokens(html) == card_on_page(board, item.pk)
    assert RoadmapItem.objects.get(pk=item.pk).reach == 5000


@pytest.mark.parametrize("query", ["?status=planned", "?view=board&status=planned&kpi={kpi}"])
def test_a_card_edited_on_a_filtered_board_keeps_the_filtered_neighbours(
    client, product, kpi, owner, query
):
    first = make_item(product, title="First", horizon="next", status="planned", kpi=kpi)
    make_item(product, title="Hidden", horizon="next", status="idea", kpi=kpi)
    item = make_item(product, title="Last", horizon="next", status="planned", kpi=kpi)
    query = query.format(kpi=kpi.pk)
    client.force_login(owner)
    response = client.post(
        field_url(item, "title", query), field_data(item, "title", "Last one"), headers=HX
    )
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    html = response.content.decode()
    assert ">Last one</a>" in html
    board = client.get(reverse("products:roadmap", args=[product.slug]) + query).content.decode()
    assert without_tokens(html) == card_on_page(board, item.pk)
    assert f'name="before" value="{first.pk}"' in html  # not the hidden item between them


def test_changing_the_horizon_on_the_board_answers_with_both_columns(client, product, owner):
    stays = make_item(product, title="Stays", horizon="now")
    item = make_item(product, title="Goes", horizon="now")
    last = make_item(product, title="Was last", horizon="later")
    make_item(product, title="Untouched", horizon="next")
    client.force_login(owner)
    response = client.post(
        field_url(item, "horizon"), field_data(item, "horizon", "later"), headers=HX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#column-later"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.count("<section ") == 2
    assert "Untouched" not in html
    later = html.index('<section id="column-later"')
    now = html.index('<section id="column-now"')
    assert 'hx-swap-oob="true"' not in html[later : html.index("</section>", later)]
    assert 'hx-swap-oob="true"' in html[now : html.index("</section>", now)]
    # The item is last in Later, below the card that was last there; Now keeps the other one.
    assert html.index(">Was last<", later) < html.index(">Goes<", later)
    assert ">Goes<" not in html[now : html.index("</section>", now)]
    assert ">Stays<" in html[now:]
    assert "moved to Later" in html  # said to screen readers
    board = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()
    for pk in (stays.pk, item.pk, last.pk):  # every card in the columns as the board shows it
        assert card_on_page(html, pk) == card_on_page(board, pk)
    saved = RoadmapItem.objects.get(pk=item.pk)
    assert (saved.horizon, saved.rank) == ("later", 1)


def test_an_item_edited_out_of_the_boards_filter_leaves_its_column(client, product, owner):
    keep = make_item(product, title="Keep", horizon="next", status="idea")
    item = make_item(product, title="Promoted", horizon="next", status="idea")
    client.force_login(owner)
    response = client.post(
        field_url(item, "status", "?status=idea"),
        field_data(item, "status", "planned"),
        headers=HX,
    )
    assert response["HX-Retarget"] == "#column-next"
    html = response.content.decode()
    assert f'id="item-{item.pk}"' not in html
    assert f'id="item-{keep.pk}"' in html
    assert '<span class="badge">1</span>' in html
    assert "“Promoted” no longer matches the filters: it is hidden." in html
    assert 'id="roadmap-announce"' in html
    assert RoadmapItem.objects.get(pk=item.pk).status == "planned"


def test_editing_reach_in_the_table_moves_the_row_to_its_new_place(client, product, owner):
    first = make_item(product, title="First", reach=500)
    second = make_item(product, title="Second", reach=100)
    third = make_item(product, title="Third", reach=10)
    client.force_login(owner)
    query = "?view=table"
    before = client.get(reverse("products:roadmap", args=[product.slug]) + query)
    assert table_titles(before.content.decode()) == ["First", "Second", "Third"]

    # To the top: in at the start of the rows, the old row deleted out of band.
    response = client.post(
        field_url(third, "reach", query), field_data(third, "reach", 5000), headers=HX
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#roadmap-rows"
    assert response["HX-Reswap"] == "afterbegin"
    html = response.content.decode()
    assert html.startswith(f'<tr id="item-{third.pk}" hx-swap-oob="delete"></tr>')
    assert html.count("<tr ") == 2
    assert ">4000<" in html  # 5000 × 1 × 80% ÷ 1, computed by the database
    assert response["HX-Trigger"].startswith('{"roadmapItemChanged"')

    # Between two others: in after the row that now comes before it.
    response = client.post(
        field_url(first, "reach", query), field_data(first, "reach", 200), headers=HX
    )
    assert response["HX-Retarget"] == f"#item-{third.pk}"
    assert response["HX-Reswap"] == "afterend"
    after = client.get(reverse("products:roadmap", args=[product.slug]) + query)
    assert table_titles(after.content.decode()) == ["Third", "First", "Second"]
    row = re.search(rf'<tr id="item-{first.pk}" data-id.*?</tr>', after.content.decode(), re.S)
    assert response.content.decode().endswith(row.group(0))
    assert RoadmapItem.objects.get(pk=second.pk).version == 1


def test_an_item_edited_out_of_the_tables_filter_is_deleted_from_it(client, product, owner):
    make_item(product, title="Other", status="idea")
    item = make_item(product, title="Promoted", status="idea")
    client.force_login(owner)
    query = "?view=table&status=idea"
    response = client.post(
        field_url(item, "status", query), field_data(item, "status", "planned"), headers=HX
    )
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert response["HX-Reswap"] == "delete"
    assert "no longer matches the filters" in response.content.decode()


def test_the_last_item_edited_out_of_the_tables_filter_leaves_the_empty_table(
    client, product, owner
):
    item = make_item(product, title="Only", status="idea")
    client.force_login(owner)
    query = "?view=table&status=idea"
    response = client.post(
        field_url(item, "status", query), field_data(item, "status", "planned"), headers=HX
    )
    assert response["HX-Retarget"] == "#roadmap"
    assert "No items match these filters" in response.content.decode()


def test_without_javascript_a_field_edit_redirects_to_the_roadmap_keeping_the_view(
    client, item, owner
):
    client.force_login(owner)
    query = "?view=table&sort=ice"
    response = client.post(field_url(item, "reach", query), field_data(item, "reach", 7))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/roadmap/{query}")
    assert RoadmapItem.objects.get(pk=item.pk).reach == 7
    page = client.get(response["Location"]).content.decode()
    assert "Saved." in page


def test_cancelling_an_edit_puts_back_the_card_or_the_row(client, product, item, owner):
    client.force_login(owner)
    url = reverse("products:item_card", args=[product.slug, item.pk])
    card = client.get(url, headers=HX)
    assert card["HX-Retarget"] == f"#item-{item.pk}"
    board = client.get(reverse("products:roadmap", args=[product.slug])).content.decode()
    assert without_tokens(card.content.decode()) == card_on_page(board, item.pk)
    row = client.get(url + "?view=table", headers=HX)
    assert row["HX-Retarget"] == "#roadmap-rows"  # alone in the table: the first row
    assert f'<tr id="item-{item.pk}" data-id="{item.pk}">' in row.content.decode()
    plain = client.get(url + "?view=table")
    assert plain.status_code == 302
    assert plain["Location"].endswith("/roadmap/?view=table")


def test_only_editors_get_the_card_an_editor_puts_back(client, product, item, viewer):
    client.force_login(viewer)
    url = reverse("products:item_card", args=[product.slug, item.pk])
    assert client.get(url, headers=HX).status_code == 403


def test_an_out_of_range_input_is_refused_next_to_the_field_and_kept(client, item, owner):
    client.force_login(owner)
    response = client.post(
        field_url(item, "ice_ease"), field_data(item, "ice_ease", 11), headers=HX
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#edit-{item.pk}-ice_ease"
    html = response.content.decode()
    assert "ICE ease is at most 10." in html
    assert 'value="11"' in html
    assert RoadmapItem.objects.get(pk=item.pk).ice_ease == 5


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reach", -5, "Reach cannot be negative."),
        ("effort", "0", "Effort must be more than 0 person-months."),
        ("impact", "1.5", "Select a valid choice."),
        ("confidence", "60", "Select a valid choice."),
        ("title", "", "This field is required."),
    ],
)
def test_each_rice_input_is_checked(client, item, owner, field, value, message):
    client.force_login(owner)
    response = client.post(field_url(item, field), field_data(item, field, value), headers=HX)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_a_stale_in_place_edit_shows_the_other_persons_change(client, item, owner, editor):
    client.force_login(editor)
    client.post(field_url(item, "reach"), field_data(item, "reach", 2000), headers=HX)

    client.force_login(owner)
    response = client.post(
        field_url(item, "reach"), field_data(item, "reach", 3000, version=1), headers=HX
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#edit-{item.pk}-reach"
    html = response.content.decode()
    assert editor.get_full_name() in html
    assert 'from <span class="old">1000</span> to <span class="new">2000</span>' in html
    assert 'value="3000"' in html  # the owner's input is kept
    assert f'name="item{item.pk}-version" value="2"' in html  # save again applies it on top
    assert RoadmapItem.objects.get(pk=item.pk).reach == 2000

    again = client.post(
        field_url(item, "reach"), field_data(item, "reach", 3000, version=2), headers=HX
    )
    assert again.status_code == 200
    assert RoadmapItem.objects.get(pk=item.pk).reach == 3000


def test_a_stale_full_form_save_shows_the_difference_and_keeps_the_input(
    client, item, owner, editor
):
    client.force_login(editor)
    client.post(field_url(item, "title"), field_data(item, "title", "Cart reminders"), headers=HX)
    client.force_login(owner)
    data = {
        "version": 1,
        "title": "Cart nudges",
        "status": "idea",
        "horizon": "now",
        "reach": 1000,
        "impact": "1.00",
        "confidence": 80,
        "effort": "1",
        "ice_impact": 5,
        "ice_confidence": 5,
        "ice_ease": 5,
        "problem": "My careful problem statement",
    }
    response = client.post(reverse("products:item", args=[item.product.slug, item.pk]), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Cart reminders" in html
    assert "Cart nudges" in html
    assert "My careful problem statement" in html
    assert RoadmapItem.objects.get(pk=item.pk).title == "Cart reminders"


def test_moving_with_htmx_answers_with_the_two_columns(client, product, owner):
    a = make_item(product, title="A", horizon="next")
    make_item(product, title="B", horizon="now")
    make_item(product, title="Third", horizon="later")
    client.force_login(owner)
    response = client.post(
        reverse("products:item_move", args=[product.slug, a.pk]),
        {"horizon": "now", "position": 0},
        headers=HX,
    )
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#column-now"
    html = response.content.decode()
    assert html.index("col-now") < html.index(">A<") < html.index(">B<")
    assert 'id="column-next" class="board-col board-next"' in html
    assert "Nothing here yet" in html  # Next is empty now
    assert ">Third<" not in html
    assert response["HX-Trigger"].startswith('{"roadmapItemMoved"')


def test_moving_up_answers_with_its_column_only(client, product, owner):
    make_item(product, title="A", horizon="later")
    b = make_item(product, title="B", horizon="later")
    client.force_login(owner)
    response = client.post(
        reverse("products:item_move", args=[product.slug, b.pk]),
        {"horizon": "later", "position": 0},
        headers=HX,
    )
    assert response["HX-Retarget"] == "#column-later"
    html = response.content.decode()
    assert html.count("<section ") == 1
    assert html.index(">B<") < html.index(">A<")


def test_a_move_button_without_javascript_redirects_back_keeping_filters(client, product, owner):
    a = make_item(product, title="A", horizon="later")
    client.force_login(owner)
    response = client.post(
        reverse("products:item_move", args=[product.slug, a.pk]) + "?status=idea",
        {"horizon": "next", "position": 0},
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/roadmap/?status=idea")
    assert RoadmapItem.objects.get(pk=a.pk).horizon == "next"


def test_a_garbled_move_changes_nothing(client, item, owner):
    client.force_login(owner)
    response = client.post(
        reverse("products:item_move", args=[item.product.slug, item.pk]),
        {"horizon": "someday", "position": -1},
        headers=HX,
    )
    assert response.status_code == 422
    assert RoadmapItem.objects.get(pk=item.pk).horizon == "now"


def test_adding_an_item_in_place(client, product, owner):
    client.force_login(owner)
    response = client.post(
        reverse("products:item_create", args=[product.slug]),
        {"prefix": "add-later", "add-later-title": "SMS channel", "add-later-horizon": "later"},
        headers=HX,
    )
    assert response.status_code == 200
    assert "SMS channel" in response.content.decode()
    assert RoadmapItem.objects.get(title="SMS channel").horizon == "later"


def test_adding_an_item_without_a_title_says_so_in_its_column(client, product, owner):
    client.force_login(owner)
    response = client.post(
        reverse("products:item_create", args=[product.slug]),
        {"prefix": "add-next", "add-next-title": "", "add-next-horizon": "next"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not RoadmapItem.objects.exists()


def test_filters_by_status_and_kpi(client, product, kpi, owner):
    make_item(product, title="Planned with KPI", status="planned", kpi=kpi)
    make_item(product, title="Idea with KPI", status="idea", kpi=kpi)
    make_item(product, title="Planned without KPI", status="planned")
    client.force_login(owner)
    base = reverse("products:roadmap", args=[product.slug])
    html = client.get(base + f"?status=planned&kpi={kpi.pk}").content.decode()
    assert "Planned with KPI" in html
    assert "Idea with KPI" not in html
    assert "Planned without KPI" not in html
    # A KPI that does not exist is ignored rather than an error.
    assert client.get(base + "?kpi=999999&status=bogus").status_code == 200


def test_the_items_page_shows_its_history(client, item, owner, editor):
    client.force_login(editor)
    client.post(field_url(item, "status"), field_data(item, "status", "planned"), headers=HX)
    client.force_login(owner)
    html = client.get(reverse("products:item", args=[item.product.slug, item.pk])).content.decode()
    assert "History" in html
    assert editor.get_full_name() in html
    assert 'Status: <span class="muted">Idea</span> → <strong>Planned</strong>' in html
    assert RoadmapItemChange.objects.filter(item=item).count() == 2


def test_without_javascript_a_refused_field_edit_shows_a_page_with_the_input(client, item, owner):
    client.force_login(owner)
    response = client.post(field_url(item, "effort"), field_data(item, "effort", "-2"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html
    assert "Effort must be more than 0 person-months." in html
    assert 'value="-2"' in html


def test_fields_that_are_not_edited_in_place_are_not_found(client, item, owner):
    client.force_login(owner)
    assert client.get(field_url(item, "rank"), headers=HX).status_code == 404
    assert client.get(field_url(item, "version"), headers=HX).status_code == 404


def answer_for(rf, owner, product, item_id: int, query: str, **kwargs):
    """products.views.shown_answer for an htmx request of the owner's with this query."""
    from products import views

    request = rf.get("/" + query, headers=HX)
    request.user = owner
    product.can_edit = True
    return views.shown_answer(request, product, views.roadmap_state(request, []), item_id, **kwargs)


def test_a_card_answer_shows_the_item_as_saved_now_not_as_the_caller_held_it(rf, product, owner):
    """The card comes from the item the view holds only while the row is still at its version;
    a change since (here, a newer reach) is read from the database as before."""
    above = make_item(product, title="Above", horizon="now")
    item = make_item(product, title="Middle", horizon="now", reach=100)
    held = RoadmapItem.objects.select_related("kpi").get(pk=item.pk)
    RoadmapItem.objects.filter(pk=item.pk).update(reach=900, version=2)
    response = answer_for(rf, owner, product, item.pk, "", was_in="now", was_shown=True, known=held)
    html = response.content.decode()
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert "Edit reach of Middle: 900" in html
    assert f'name="before" value="{above.pk}"' in html
    same = answer_for(rf, owner, product, item.pk, "", was_in="now", was_shown=True)
    assert without_tokens(html) == without_tokens(same.content.decode())


def test_a_card_the_filters_no_longer_show_leaves_its_column_even_if_the_view_held_it_shown(
    rf, product, owner
):
    item = make_item(product, title="Planned", horizon="next", status="planned")
    held = RoadmapItem.objects.select_related("kpi").get(pk=item.pk)
    RoadmapItem.objects.filter(pk=item.pk).update(status="idea", version=2)
    response = answer_for(
        rf, owner, product, item.pk, "?status=planned", was_in="next", was_shown=True, known=held
    )
    assert response["HX-Retarget"] == "#column-next"
    assert "no longer matches the filters" in response.content.decode()


def test_the_item_page_shows_rice_as_the_board_does(client, product, viewer):
    """200 × 2 × 80% ÷ 3 = 106.67: the board's card and the item page's header show 107; the
    worked sum (shown to those who may not edit) has one decimal, none when there is none."""
    scored = make_item(
        product, title="Scored", reach=200, impact=Decimal(2), confidence=80, effort=Decimal(3)
    )
    round_one = make_item(
        product, title="Round", reach=1000, impact=Decimal(1), confidence=100, effort=Decimal(1)
    )
    client.force_login(viewer)
    page = client.get(reverse("products:item", args=[product.asset.slug, scored.pk]))
    html = page.content.decode()
    assert "RICE <strong>107</strong>" in html
    assert "= <strong>106.7</strong>" in html
    html = client.get(reverse("products:item", args=[product.asset.slug, round_one.pk]))
    assert "= <strong>1000</strong>" in html.content.decode()
