"""The roadmap board through the test client: cards, their editor on demand, the Move… menu,
drags, "Show more", adding, filtering; with htmx and without."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from products.models import RoadmapItem, RoadmapItemChange, Status
from roleplan.numbers import num
from tests.factories import UserFactory
from tests.products.factories import KpiFactory, card_data, make_item, make_product

HX = {"HX-Request": "true"}


def roadmap_url(product, query: str = "") -> str:
    return reverse("products:roadmap", args=[product.slug]) + query


def edit_url(item, query: str = "") -> str:
    return reverse("products:item_edit", args=[item.product.slug, item.pk]) + query


def move_url(item, query: str = "") -> str:
    return reverse("products:item_move", args=[item.product.slug, item.pk]) + query


def card_on_page(html: str, pk: int) -> str:
    """The card of item `pk` as a page shows it."""
    match = re.search(rf'<li class="card-item" id="item-{pk}".*?</li>', html, re.S)
    assert match, f"no card of item {pk}"
    return match.group(0)


def move_steps(card: str) -> list[str]:
    """The steps the card's Move… menu offers."""
    return re.findall(r'<button name="to" value="(\w+)">', card)


def column(html: str, horizon: str) -> str:
    start = html.index(f'<section id="column-{horizon}"')
    return html[start : html.index("</section>", start)]


def ranks(product, horizon: str) -> list[str]:
    return list(RoadmapItem.objects.in_horizon(product.pk, horizon).values_list("title", flat=True))


# The board -----------------------------------------------------------------------------------


def test_roadmap_board_shows_three_columns_with_items_in_rank_order(client, product, owner):
    titles = [("Now one", "now"), ("Now two", "now"), ("Next one", "next"), ("Later one", "later")]
    for title, horizon in titles:
        make_item(product, title=title, horizon=horizon)
    client.force_login(owner)
    html = client.get(roadmap_url(product)).content.decode()

    def at(text: str) -> int:
        return html.index(text)

    assert at('id="col-now"') < at(">Now one<") < at(">Now two<") < at('id="col-next"')
    assert at('id="col-next"') < at(">Next one<") < at('id="col-later"') < at(">Later one<")
    assert "sortable-1.15.7.min.js" in html
    assert "<script>" not in html  # no inline scripts: the CSP forbids them


@pytest.fixture
def crowded_board(product, kpi):
    """Items in every state a card shows: first, middle and last of each column, alone in a
    column, with and without a KPI, every status, markup and quotes in titles, large reaches."""
    other = KpiFactory(product=product, name='Net <promoter> "score"')
    titles = ["Plain", "<script>alert('x')</script>", "Quotes \" and ' & ampersands", "Ünïcode ✓"]
    reaches = [0, 999, 10_000, 45_500, 1_250_000, 7]
    for n in range(12):
        make_item(
            product,
            title=f"{titles[n % len(titles)]} {n}",
            horizon=["now", "next", "next", "next"][n % 4] if n < 11 else "later",
            kpi=[kpi, other, None][n % 3],
            reach=reaches[n % len(reaches)],
            impact=[Decimal("0.25"), Decimal("3.00"), Decimal("1.00")][n % 3],
            confidence=[50, 80, 100][n % 3],
            effort=[Decimal("0.5"), Decimal("13.25"), Decimal("2")][n % 3],
            status=Status.values[n % len(Status.values)],
            ice_impact=n % 10 + 1,
            ice_confidence=5,
            ice_ease=2,
        )
    return product


def test_a_card_shows_title_status_kpi_scores_and_inputs_as_a_person_reads_them(
    client, crowded_board, owner
):
    crowded_board.scoring = "both"
    crowded_board.save(update_fields=["scoring"])
    client.force_login(owner)
    html = client.get(roadmap_url(crowded_board)).content.decode()
    item = RoadmapItem.objects.get(title="Ünïcode ✓ 3")  # reach 45,500, impact 0.25, 50%, 0.5 p-m
    card = card_on_page(html, item.pk)
    assert f'href="/products/email/roadmap/items/{item.pk}/">Ünïcode ✓ 3</a>' in card
    assert '<span class="status-pill status-shipped">Shipped</span>' in card
    assert "Repurchase rate" in card
    assert f'data-score="rice">{num(item.rice_score, 0)}<' in card
    assert f'data-score="ice">{num(item.ice_score, 0)}<' in card
    assert "<dd>45.5k</dd>" in card
    assert "<dd>0.25</dd>" in card
    assert "<dd>50%</dd>" in card
    assert "<dd>0.5 p-m</dd>" in card
    big = card_on_page(html, RoadmapItem.objects.get(title="Plain 4").pk)
    assert "<dd>1.3M</dd>" in big  # 1,250,000: halves round up
    assert "<dd>13.25 p-m</dd>" in big


def test_titles_and_kpi_names_with_markup_are_shown_as_text(client, crowded_board, owner):
    client.force_login(owner)
    html = client.get(roadmap_url(crowded_board)).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; 1</a>" in html
    assert "Quotes &quot; and &#x27; &amp; ampersands 2</a>" in html
    assert "Net &lt;promoter&gt; &quot;score&quot;" in html


def test_effort_reads_as_person_months_not_a_time_of_day(client, product, owner):
    half = make_item(product, title="Half", reach=10, effort=Decimal("1.5"))
    four = make_item(product, title="Four", reach=10, effort=Decimal(4))
    client.force_login(owner)
    html = client.get(roadmap_url(product)).content.decode()
    assert "<dd>1.5 p-m</dd>" in card_on_page(html, half.pk)
    assert "<dd>4 p-m</dd>" in card_on_page(html, four.pk)


def test_each_card_offers_the_moves_its_place_allows(client, crowded_board, owner):
    client.force_login(owner)
    html = client.get(roadmap_url(crowded_board)).content.decode()
    nexts = list(RoadmapItem.objects.in_horizon(crowded_board.pk, "next"))
    assert move_steps(card_on_page(html, nexts[0].pk)) == ["down", "now", "later"]
    assert move_steps(card_on_page(html, nexts[1].pk)) == ["up", "down", "now", "later"]
    assert move_steps(card_on_page(html, nexts[-1].pk)) == ["up", "now", "later"]
    alone = RoadmapItem.objects.get(horizon="later")
    assert move_steps(card_on_page(html, alone.pk)) == ["now", "next"]


def test_a_filtered_board_offers_moves_among_the_items_it_shows(client, product, owner):
    first = make_item(product, title="First", horizon="next", status="planned")
    make_item(product, title="Hidden", horizon="next", status="idea")
    last = make_item(product, title="Last", horizon="next", status="planned")
    client.force_login(owner)
    html = client.get(roadmap_url(product, "?status=planned")).content.decode()
    assert move_steps(card_on_page(html, first.pk))[:1] == ["down"]
    assert move_steps(card_on_page(html, last.pk))[:2] == ["up", "now"]

    response = client.post(move_url(last, "?status=planned"), {"to": "up"}, headers=HX)
    assert response["HX-Retarget"] == "#column-next"
    assert ranks(product, "next") == ["Last", "First", "Hidden"]  # above First, not Hidden


def test_a_viewer_sees_cards_without_controls(client, crowded_board, viewer):
    client.force_login(viewer)
    html = client.get(roadmap_url(crowded_board)).content.decode()
    assert html.count('class="card-item"') == 12
    assert "Move…" not in html
    assert "drag-handle" not in html
    assert "/edit/" not in html
    assert "data-sortable" not in html


def test_remembered_filter_selects_follow_each_query(client, owner, product, kpi):
    client.force_login(owner)
    idea = client.get(roadmap_url(product), {"status": "idea", "kpi": kpi.pk}).content.decode()
    planned = client.get(roadmap_url(product), {"status": "planned"}).content.decode()
    assert '<option value="idea" selected>' in idea
    assert f'<option value="{kpi.pk}" selected>' in idea
    assert '<option value="planned" selected>' in planned
    assert '<option value="idea" selected>' not in planned
    assert f'<option value="{kpi.pk}" selected>' not in planned


def test_filters_by_status_and_kpi(client, product, kpi, owner):
    make_item(product, title="Planned with KPI", status="planned", kpi=kpi)
    make_item(product, title="Idea with KPI", status="idea", kpi=kpi)
    make_item(product, title="Planned without KPI", status="planned")
    client.force_login(owner)
    html = client.get(roadmap_url(product, f"?status=planned&kpi={kpi.pk}")).content.decode()
    assert "Planned with KPI" in html
    assert "Idea with KPI" not in html
    assert "Planned without KPI" not in html
    # A KPI that does not exist is ignored rather than an error.
    assert client.get(roadmap_url(product, "?kpi=999999&status=bogus")).status_code == 200


# "Show more" ---------------------------------------------------------------------------------


@pytest.fixture
def long_column(product):
    RoadmapItem.objects.bulk_create(
        RoadmapItem(product=product, title=f"Later {n:03d}", horizon="later", rank=n)
        for n in range(120)
    )
    make_item(product, title="Now only", horizon="now")
    return product


def test_a_long_column_shows_its_first_cards_and_counts_them_all(client, long_column, owner):
    client.force_login(owner)
    html = client.get(roadmap_url(long_column)).content.decode()
    later = column(html, "later")
    assert later.count('class="card-item"') == 50
    assert ">Later 049<" in later
    assert ">Later 050<" not in later
    assert '<span class="badge" title="120 items">120</span>' in later
    assert "Show 50 more" in later
    assert "(50 of 120 shown)" in later
    assert "Show" not in column(html, "now")
    # The last card shown is not the column's last: it may still move down.
    assert "down" in move_steps(card_on_page(html, RoadmapItem.objects.get(title="Later 049").pk))


def test_show_more_appends_the_next_cards_and_a_new_control(client, long_column, owner):
    client.force_login(owner)
    url = reverse("products:roadmap_column", args=[long_column.slug, "later"])
    response = client.get(url, {"offset": 50}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="card-item"') == 50
    assert ">Later 050<" in html
    assert ">Later 099<" in html
    assert ">Later 100<" not in html
    assert '<a class="btn btn-sm more" id="more-later"' in html
    assert 'hx-swap-oob="true"' in html
    assert "Show 20 more" in html
    assert "offset=100" in html

    last = client.get(url, {"offset": 100}, headers=HX).content.decode()
    assert last.count('class="card-item"') == 20
    assert '<span id="more-later" hx-swap-oob="true"></span>' in last
    assert move_steps(card_on_page(last, RoadmapItem.objects.get(title="Later 119").pk)) == [
        "up",
        "now",
        "next",
    ]


def test_show_more_without_javascript_is_the_board_with_more_of_that_column(
    client, long_column, owner
):
    client.force_login(owner)
    html = client.get(roadmap_url(long_column)).content.decode()
    assert 'href="?show_later=100#column-later"' in html
    response = client.get(
        reverse("products:roadmap_column", args=[long_column.slug, "later"]), {"offset": 50}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/roadmap/?show_later=100#column-later")
    more = client.get(roadmap_url(long_column, "?show_later=100")).content.decode()
    assert column(more, "later").count('class="card-item"') == 100
    assert "Show 20 more" in more


def test_show_more_keeps_the_filters(client, long_column, owner):
    RoadmapItem.objects.filter(title__endswith="7").update(status="planned")
    client.force_login(owner)
    url = reverse("products:roadmap_column", args=[long_column.slug, "later"])
    html = client.get(url, {"offset": 5, "status": "planned"}, headers=HX).content.decode()
    assert html.count('class="card-item"') == 7  # 12 planned in Later, 5 already shown
    assert "Later 117" in html
    assert "Later 001" not in html


def test_an_unknown_column_is_not_found(client, long_column, owner):
    client.force_login(owner)
    url = reverse("products:roadmap_column", args=[long_column.slug, "someday"])
    assert client.get(url, headers=HX).status_code == 404


# The card's editor, on demand -------------------------------------------------------------------


def test_the_edit_control_swaps_in_the_cards_editor_with_the_version(client, item, owner):
    client.force_login(owner)
    response = client.get(edit_url(item), headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert html.startswith(f'<li class="card-item card-editing" id="item-{item.pk}"')
    assert f'id="edit-{item.pk}"' in html
    assert f'name="item{item.pk}-version" value="{item.version}"' in html
    assert f'name="item{item.pk}-reach" value="1000"' in html
    assert f'<option value="{item.kpi_id}" selected>Repurchase rate</option>' in html
    assert "autofocus" in html


def test_without_javascript_the_edit_control_opens_the_items_page(client, item, owner):
    client.force_login(owner)
    card = card_on_page(client.get(roadmap_url(item.product)).content.decode(), item.pk)
    page_url = reverse("products:item", args=[item.product.slug, item.pk])
    assert f'<a class="btn btn-sm" id="e-{item.pk}"' in card
    assert f'href="{page_url}" hx-get="{edit_url(item)}">Edit</a>' in card
    # The editor's own address, opened without htmx, is a page of its own with the form.
    page = client.get(edit_url(item))
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    assert f'name="item{item.pk}-reach"' in page.content.decode()


def test_saving_the_editor_on_the_board_answers_with_that_card_only(client, product, owner):
    make_item(product, title="Above", horizon="now")
    item = make_item(product, title="Middle", horizon="now", reach=100)
    make_item(product, title="Below", horizon="now")
    make_item(product, title="Elsewhere", horizon="later")
    client.force_login(owner)
    response = client.post(edit_url(item), card_data(item, reach=5000), headers=HX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert response["HX-Trigger"].startswith('{"roadmapItemChanged"')
    html = response.content.decode()
    assert html.startswith(f'<li class="card-item" id="item-{item.pk}"')
    assert html.count('class="card-item"') == 1
    assert '<strong class="score" data-score="rice">4,000</strong>' in html  # by the database
    assert "<dd>5,000</dd>" in html
    assert move_steps(html) == ["up", "down", "next", "later"]  # it has neighbours both ways
    assert RoadmapItem.objects.get(pk=item.pk).reach == 5000


def test_the_editor_saves_every_field_it_shows(client, item, owner):
    item.product.scoring = "both"
    item.product.save(update_fields=["scoring"])
    client.force_login(owner)
    data = card_data(
        item,
        title="Cart reminders",
        status="planned",
        kpi="",
        impact="2.00",
        confidence=100,
        effort="0.5",
        ice_ease=9,
    )
    assert client.post(edit_url(item), data, headers=HX).status_code == 200
    saved = RoadmapItem.objects.get(pk=item.pk)
    assert (saved.title, saved.status, saved.kpi) == ("Cart reminders", "planned", None)
    assert (saved.impact, saved.confidence, saved.effort) == (Decimal(2), 100, Decimal("0.5"))
    assert saved.ice_ease == 9
    assert saved.rice_score == 4000  # 1000 × 2 × 100% ÷ 0.5


def test_an_edit_on_a_filtered_board_answers_with_the_card_among_the_filtered(
    client, product, kpi, owner
):
    make_item(product, title="First", horizon="next", status="planned", kpi=kpi)
    make_item(product, title="Hidden", horizon="next", status="idea", kpi=kpi)
    item = make_item(product, title="Last", horizon="next", status="planned", kpi=kpi)
    query = f"?status=planned&kpi={kpi.pk}"
    client.force_login(owner)
    response = client.post(edit_url(item, query), card_data(item, title="Last one"), headers=HX)
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    html = response.content.decode()
    assert ">Last one</a>" in html
    assert move_steps(html) == ["up", "now", "later"]  # last of the filtered column
    # Its controls keep the filters.
    assert f'hx-get="{edit_url(item, query).replace("&", "&amp;")}"' in html


def test_changing_the_horizon_in_the_editor_answers_with_both_columns(client, product, owner):
    make_item(product, title="Stays", horizon="now")
    item = make_item(product, title="Goes", horizon="now")
    make_item(product, title="Was last", horizon="later")
    make_item(product, title="Untouched", horizon="next")
    client.force_login(owner)
    response = client.post(edit_url(item), card_data(item, horizon="later"), headers=HX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#column-later"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert html.count("<section ") == 2
    assert "Untouched" not in html
    assert 'hx-swap-oob="true"' not in column(html, "later")[:200]
    assert 'hx-swap-oob="true"' in column(html, "now")[:200]
    # The item is last in Later, below the card that was last there; Now keeps the other one.
    later = column(html, "later")
    assert later.index(">Was last<") < later.index(">Goes<")
    assert ">Goes<" not in column(html, "now")
    assert ">Stays<" in column(html, "now")
    assert "moved to Later" in html  # said to screen readers
    saved = RoadmapItem.objects.get(pk=item.pk)
    assert (saved.horizon, saved.rank) == ("later", 1)


def test_an_item_edited_out_of_the_boards_filter_leaves_its_column(client, product, owner):
    keep = make_item(product, title="Keep", horizon="next", status="idea")
    item = make_item(product, title="Promoted", horizon="next", status="idea")
    client.force_login(owner)
    response = client.post(
        edit_url(item, "?status=idea"), card_data(item, status="planned"), headers=HX
    )
    assert response["HX-Retarget"] == "#column-next"
    html = response.content.decode()
    assert f'id="item-{item.pk}"' not in html
    assert f'id="item-{keep.pk}"' in html
    assert '<span class="badge" title="1 item">1</span>' in html
    assert "“Promoted” no longer matches the filters: it is hidden." in html
    assert 'id="roadmap-announce"' in html
    assert RoadmapItem.objects.get(pk=item.pk).status == "planned"


def test_without_javascript_an_edit_redirects_to_the_roadmap_keeping_the_view(client, item, owner):
    client.force_login(owner)
    query = "?view=table&sort=ice&dir=desc"
    response = client.post(edit_url(item, query), card_data(item, reach=7))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/roadmap/{query}")
    assert RoadmapItem.objects.get(pk=item.pk).reach == 7
    page = client.get(response["Location"]).content.decode()
    assert "Saved “Abandoned-cart journeys”." in page


def test_cancelling_an_edit_puts_back_the_card_or_the_row(client, product, item, owner):
    client.force_login(owner)
    url = reverse("products:item_card", args=[product.slug, item.pk])
    card = client.get(url, headers=HX)
    assert card["HX-Retarget"] == f"#item-{item.pk}"
    assert card.content.decode().startswith(f'<li class="card-item" id="item-{item.pk}"')
    row = client.get(url + "?view=table", headers=HX)
    assert row["HX-Retarget"] == f"#item-{item.pk}"
    assert row.content.decode().startswith(f'<tr id="item-{item.pk}">')
    plain = client.get(url + "?view=table")
    assert plain.status_code == 302
    assert plain["Location"].endswith("/roadmap/?view=table")


def test_cancelling_an_item_someone_moved_out_of_the_filter_answers_with_its_column(
    client, product, owner
):
    item = make_item(product, title="Planned", horizon="next", status="planned")
    RoadmapItem.objects.filter(pk=item.pk).update(status="idea", version=2)
    client.force_login(owner)
    url = reverse("products:item_card", args=[product.slug, item.pk]) + "?status=planned"
    response = client.get(url, headers=HX)
    assert response["HX-Retarget"] == "#column-next"
    assert f'id="item-{item.pk}"' not in response.content.decode()


def test_only_editors_get_the_editor_or_the_card_an_editor_puts_back(client, product, item, viewer):
    client.force_login(viewer)
    assert client.get(edit_url(item), headers=HX).status_code == 403
    url = reverse("products:item_card", args=[product.slug, item.pk])
    assert client.get(url, headers=HX).status_code == 403


def test_an_out_of_range_input_is_refused_next_to_the_field_and_kept(client, item, owner):
    item.product.scoring = "both"
    item.product.save(update_fields=["scoring"])
    client.force_login(owner)
    response = client.post(edit_url(item), card_data(item, ice_ease=11, reach=42), headers=HX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    html = response.content.decode()
    assert "ICE ease is at most 10." in html
    assert f'name="item{item.pk}-ice_ease" value="11"' in html
    assert f'name="item{item.pk}-reach" value="42"' in html  # the rest is kept too
    assert RoadmapItem.objects.get(pk=item.pk).ice_ease is None


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
    response = client.post(edit_url(item), card_data(item, **{field: value}), headers=HX)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_without_javascript_a_refused_edit_shows_a_page_with_the_input(client, item, owner):
    client.force_login(owner)
    response = client.post(edit_url(item), card_data(item, effort="-2"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html
    assert "Effort must be more than 0 person-months." in html
    assert 'value="-2"' in html


def test_a_stale_edit_shows_the_other_persons_change(client, item, owner, editor):
    client.force_login(editor)
    client.post(edit_url(item), card_data(item, reach=2000), headers=HX)

    client.force_login(owner)
    response = client.post(edit_url(item), card_data(item, reach=3000, version=1), headers=HX)
    assert response.status_code == 409
    assert response["HX-Retarget"] == f"#item-{item.pk}"
    html = response.content.decode()
    assert f"{editor.get_full_name()} saved a change while you were editing" in html
    assert 'from <span class="old">1000</span> to <span class="new">2000</span>' in html
    assert '<th scope="row">Reach</th><td>2000</td><td>3000</td>' in html
    assert f'name="item{item.pk}-reach" value="3000"' in html  # the owner's input is kept
    assert f'name="item{item.pk}-version" value="2"' in html  # save again applies it on top
    assert "Save mine" in html
    assert "Keep theirs" in html
    assert RoadmapItem.objects.get(pk=item.pk).reach == 2000

    again = client.post(edit_url(item), card_data(item, reach=3000, version=2), headers=HX)
    assert again.status_code == 200
    assert RoadmapItem.objects.get(pk=item.pk).reach == 3000


def test_a_stale_full_form_save_shows_the_difference_and_keeps_the_input(
    client, item, owner, editor
):
    client.force_login(editor)
    client.post(edit_url(item), card_data(item, title="Cart reminders"), headers=HX)
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


# Moving -------------------------------------------------------------------------------------


def test_moving_with_htmx_answers_with_the_two_columns(client, product, owner):
    a = make_item(product, title="A", horizon="next")
    make_item(product, title="B", horizon="now")
    make_item(product, title="Third", horizon="later")
    client.force_login(owner)
    response = client.post(move_url(a), {"horizon": "now", "position": 0}, headers=HX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#column-now"
    html = response.content.decode()
    assert html.index("col-now") < html.index(">A<") < html.index(">B<")
    assert 'id="column-next" class="board-col board-next"' in html
    assert "Nothing here yet" in html  # Next is empty now
    assert ">Third<" not in html
    assert response["HX-Trigger"].startswith('{"roadmapItemMoved"')


def test_a_drag_between_two_cards_names_its_neighbours(client, product, owner):
    a, b, c = (make_item(product, title=t, horizon="now") for t in "ABC")
    client.force_login(owner)
    data = {"horizon": "now", "position": 1, "before": b.pk, "after": a.pk}
    client.post(move_url(c), data, headers=HX)
    assert ranks(product, "now") == ["A", "C", "B"]


@pytest.mark.parametrize(
    ("to", "now", "next_", "columns"),
    [
        ("up", ["A", "C", "B"], ["D"], ["now"]),
        ("down", ["A", "B", "C"], ["D"], ["now"]),  # already last: nothing moves
        ("next", ["A", "B"], ["C", "D"], ["next", "now"]),  # to the top of a later horizon
    ],
)
def test_the_move_menu_moves_one_step(client, product, owner, to, now, next_, columns):
    for title in "ABC":
        make_item(product, title=title, horizon="now")
    make_item(product, title="D", horizon="next")
    item = RoadmapItem.objects.get(title="C")
    client.force_login(owner)
    response = client.post(move_url(item), {"to": to}, headers=HX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#column-{columns[0]}"  # the column it is in now ...
    html = response.content.decode()
    shown = re.findall(r'<section id="column-(\w+)"', html)
    assert sorted(shown) == sorted(columns)  # ... and the one it left
    assert (ranks(product, "now"), ranks(product, "next")) == (now, next_)


def test_moving_to_an_earlier_horizon_puts_it_at_the_bottom(client, product, owner):
    make_item(product, title="A", horizon="now")
    item = make_item(product, title="L", horizon="later")
    client.force_login(owner)
    client.post(move_url(item), {"to": "now"}, headers=HX)
    assert ranks(product, "now") == ["A", "L"]
    assert RoadmapItemChange.objects.filter(item=item, action="moved").count() == 1


def test_moving_up_answers_with_its_column_only(client, product, owner):
    make_item(product, title="A", horizon="later")
    b = make_item(product, title="B", horizon="later")
    client.force_login(owner)
    response = client.post(move_url(b), {"to": "up"}, headers=HX)
    assert response["HX-Retarget"] == "#column-later"
    html = response.content.decode()
    assert html.count("<section ") == 1
    assert html.index(">B<") < html.index(">A<")


def test_without_javascript_the_move_menu_asks_on_a_page_then_moves(client, product, owner):
    a = make_item(product, title="A", horizon="later")
    make_item(product, title="B", horizon="later")
    client.force_login(owner)
    card = card_on_page(client.get(roadmap_url(product)).content.decode(), a.pk)
    assert f'<form method="get" action="{move_url(a)}">' in card
    page = client.get(move_url(a), {"to": "down"})
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="down" checked' in html
    assert "csrfmiddlewaretoken" in html
    assert RoadmapItem.objects.get(pk=a.pk).rank == 0  # asking moved nothing
    response = client.post(move_url(a), {"to": "down"})
    assert response.status_code == 302
    assert ranks(product, "later") == ["B", "A"]


def test_a_move_without_javascript_redirects_back_keeping_filters(client, product, owner):
    a = make_item(product, title="A", horizon="later")
    client.force_login(owner)
    response = client.post(move_url(a, "?status=idea"), {"horizon": "next", "position": 0})
    assert response.status_code == 302
    assert response["Location"].endswith("/roadmap/?status=idea")
    assert RoadmapItem.objects.get(pk=a.pk).horizon == "next"


def test_a_garbled_move_changes_nothing(client, item, owner):
    client.force_login(owner)
    for data in ({"horizon": "someday", "position": -1}, {"to": "sideways"}, {}):
        response = client.post(move_url(item), data, headers=HX)
        assert response.status_code == 422
    assert RoadmapItem.objects.get(pk=item.pk).horizon == "now"


# Adding and the item's page ----------------------------------------------------------------


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
    assert "This field is required." in column(response.content.decode(), "next")
    assert not RoadmapItem.objects.exists()


@pytest.mark.parametrize("htmx", [True, False])
def test_a_refused_title_typed_back_leaves_the_board_whole(client, owner, product, item, htmx):
    """The add form shows what was typed; the board around it is as it was."""
    client.force_login(owner)
    url = reverse("products:item_create", args=[product.slug])
    headers = HX if htmx else {}
    data = {"prefix": "add-now", "add-now-title": "x" * 300, "add-now-horizon": "now"}
    response = client.post(url, data, headers=headers, follow=not htmx)
    assert response.status_code == (422 if htmx else 200)
    page = response.content.decode()
    assert page.count('class="card-item"') == 1
    assert "Abandoned-cart journeys" in page


def test_the_items_page_shows_its_history(client, item, owner, editor):
    client.force_login(editor)
    client.post(edit_url(item), card_data(item, status="planned"), headers=HX)
    client.force_login(owner)
    html = client.get(reverse("products:item", args=[item.product.slug, item.pk])).content.decode()
    assert "History" in html
    assert editor.get_full_name() in html
    assert 'Status: <span class="muted">Idea</span> → <strong>Planned</strong>' in html
    assert RoadmapItemChange.objects.filter(item=item).count() == 2


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
    board = client.get(roadmap_url(product)).content.decode()
    assert 'data-score="rice">107</strong>' in card_on_page(board, scored.pk)
    html = client.get(reverse("products:item", args=[product.slug, scored.pk])).content.decode()
    assert 'RICE <strong class="score">107</strong>' in html
    assert "= <strong>106.7</strong>" in html
    html = client.get(reverse("products:item", args=[product.slug, round_one.pk]))
    assert "= <strong>1,000</strong>" in html.content.decode()


def test_a_product_with_many_items_in_now_lists_the_first_on_its_page(client, owner):
    product = make_product(owner=owner, name="Busy", slug="busy")
    RoadmapItem.objects.bulk_create(
        RoadmapItem(product=product, title=f"Now {n:02d}", horizon="now", rank=n) for n in range(25)
    )
    client.force_login(owner)
    html = client.get(reverse("products:detail", args=["busy"])).content.decode()
    assert ">Now 09</a>" in html
    assert ">Now 10</a>" not in html
    assert "15 more on the roadmap" in html
    assert "<strong>25</strong>Now" in html


# Weight and the cards' cache -----------------------------------------------------------------


def test_a_card_weighs_under_one_and_a_half_kib(client, owner):
    """What a card costs the browser to parse: one editor control and one Move… menu, no
    per-card forms or tokens. Long title, long address, a KPI, in the middle of its column."""
    product = make_product(
        owner=owner, name="Email marketing platform", slug="email-marketing-platform"
    )
    kpi = KpiFactory(product=product, name="Repurchase rate within three months")
    for n in range(200):
        make_item(
            product,
            title=f"Abandoned-cart journeys with a second reminder and a discount code {n:03d}",
            horizon=["now", "next", "later"][n % 3],
            kpi=kpi,
            reach=1_250_000,
            effort=Decimal("13.25"),
        )
    client.force_login(owner)
    response = client.get(roadmap_url(product))
    html = response.content.decode()
    cards = re.findall(r'<li class="card-item".*?</li>', html, re.S)
    assert len(cards) == 150  # 50 a column
    assert max(len(card.encode()) for card in cards) < 1.5 * 1024
    assert len(response.content) < 300 * 1024


def test_a_card_shows_what_is_saved_now_even_when_changed_behind_its_back(
    client, product, kpi, item, owner
):
    """Cards are remembered in the cache under everything they show: a change anywhere, even
    one that does not count the item's version up (a KPI renamed, a bulk update), is a new
    card, never a stale one."""
    client.force_login(owner)
    assert "Repurchase rate" in card_on_page(
        client.get(roadmap_url(product)).content.decode(), item.pk
    )
    kpi.name = "Repeat purchases"
    kpi.save()
    RoadmapItem.objects.filter(pk=item.pk).update(title="Cart nudges")
    card = card_on_page(client.get(roadmap_url(product)).content.decode(), item.pk)
    assert "Repeat purchases" in card
    assert ">Cart nudges</a>" in card
    filtered = roadmap_url(product, "?status=idea")
    filtered_card = card_on_page(client.get(filtered).content.decode(), item.pk)
    assert f'hx-get="{edit_url(item, "?status=idea")}"' in filtered_card  # its page's filters


def test_a_table_row_shows_what_is_saved_now_even_when_changed_behind_its_back(
    client, product, kpi, item, owner
):
    """The table's rows are cached like the cards (products/cards.py): a KPI renamed, an ICE
    input changed by a bulk update, another viewer's rights: each is another row."""
    client.force_login(owner)
    table = roadmap_url(product, "?view=table")

    def row() -> str:
        html = client.get(table).content.decode()
        return re.search(rf'<tr id="item-{item.pk}">.*?</tr>', html, re.S).group(0)

    product.scoring = "both"
    product.save()
    assert "Repurchase rate" in row()
    assert "Edit</a>" in row()
    kpi.name = "Repeat purchases"
    kpi.save()
    assert "Repeat purchases" in row()
    RoadmapItem.objects.filter(pk=item.pk).update(title="Cart nudges")
    assert ">Cart nudges</a>" in row()
    RoadmapItem.objects.filter(pk=item.pk).update(ice_ease=7)  # only an input the row shows
    assert '<td class="num">7</td>' in row()
    client.force_login(UserFactory())  # a reader: no editor control, from the same cache
    assert "Edit</a>" not in row()
