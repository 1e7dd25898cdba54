"""The roadmap editor in real Chromium: in-place RICE edits, drag and drop, stale edits."""

from __future__ import annotations

from playwright.sync_api import expect

from products.models import RoadmapItem
from tests.factories import PASSWORD, UserFactory
from tests.products.factories import make_item, make_product


def roadmap(live_server, product, query: str = "") -> str:
    return f"{live_server.url}/products/{product.slug}/roadmap/{query}"


def test_editing_a_rice_input_in_place_changes_the_score_and_the_order(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Segment builder", reach=500)
    cart = make_item(product, title="Abandoned carts", reach=100)
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product, "?view=table"))
    rows = page.locator("table.roadmap-table tbody tr")
    expect(rows.first).to_contain_text("Segment builder")

    page.get_by_role("link", name="Edit reach of Abandoned carts").click()
    field = page.locator(f"#item{cart.pk}-reach")
    expect(field).to_be_focused()
    field.fill("9000")
    field.press("Enter")

    expect(rows.first).to_contain_text("Abandoned carts")
    expect(rows.first.locator('[data-score="rice"]')).to_have_text("7200")
    expect(page.get_by_role("link", name="Edit reach of Abandoned carts")).to_be_focused()
    assert RoadmapItem.objects.get(pk=cart.pk).reach == 9000


def test_dragging_an_item_from_next_to_now_keeps_it_there_after_reload(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Migration", horizon="now")
    make_item(product, title="Recommendations", horizon="next")
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    now = page.locator('ol.cards[data-horizon="now"]')
    expect(page.locator('ol.cards[data-horizon="next"]')).to_contain_text("Recommendations")

    handle = page.locator(".card-item", has_text="Recommendations").locator(".drag-handle")
    target = now.locator(".card-item", has_text="Migration")
    start, end = handle.bounding_box(), target.bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 6)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + 30, steps=5)
    page.mouse.move(end["x"] + 40, end["y"] + 8, steps=15)
    page.mouse.move(end["x"] + 42, end["y"] + 6, steps=3)
    with page.expect_response(lambda r: "/move/" in r.url) as moved:
        page.mouse.up()
    assert moved.value.status == 200

    page.reload()
    now = page.locator('ol.cards[data-horizon="now"]')
    expect(now.locator(".card-item").first).to_contain_text("Recommendations")
    expect(now).to_contain_text("Migration")
    expect(page.locator('ol.cards[data-horizon="next"]')).not_to_contain_text("Recommendations")


def test_keyboard_move_buttons_move_an_item_and_keep_focus(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="First", horizon="later")
    make_item(product, title="Second", horizon="later")
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    page.get_by_role("button", name="Move Second up").focus()
    page.keyboard.press("Enter")
    later = page.locator('ol.cards[data-horizon="later"] .card-item')
    expect(later.first).to_contain_text("Second")
    expect(page.get_by_role("button", name="Move Second down")).to_be_focused()


def test_a_stale_edit_shows_the_conflict_to_the_second_editor(open_browser, live_server):
    owner = UserFactory(username="priya", first_name="Priya", last_name="Patel")
    editor = UserFactory(username="dana", first_name="Dana", last_name="Kim")
    product = make_product(owner=owner, name="Email platform", slug="email", editors=[editor])
    item = make_item(product, title="Abandoned carts", reach=1000)

    priya = open_browser().login("priya", PASSWORD)
    dana = open_browser().login("dana", PASSWORD)
    for page in (priya, dana):
        page.goto(roadmap(live_server, product))
        page.get_by_role("link", name="Edit reach of Abandoned carts").click()
        expect(page.locator(f"#item{item.pk}-reach")).to_be_visible()

    dana.locator(f"#item{item.pk}-reach").fill("2000")
    dana.locator(f"#item{item.pk}-reach").press("Enter")
    expect(dana.get_by_role("link", name="Edit reach of Abandoned carts")).to_have_text("2,000")

    priya.locator(f"#item{item.pk}-reach").fill("3000")
    with priya.expect_response(lambda r: "/fields/reach/" in r.url) as answered:
        priya.get_by_role("button", name="Save").click()
    assert answered.value.status == 409
    conflict = priya.get_by_role("alert")
    expect(conflict).to_contain_text("Dana Kim saved a change while you were editing")
    expect(conflict).to_contain_text("Reach from 1000 to 2000")
    expect(priya.locator(f"#item{item.pk}-reach")).to_have_value("3000")
    assert RoadmapItem.objects.get(pk=item.pk).reach == 2000

    priya.get_by_role("button", name="Save mine").click()
    expect(priya.get_by_role("link", name="Edit reach of Abandoned carts")).to_have_text("3,000")
    assert RoadmapItem.objects.get(pk=item.pk).reach == 3000


def mark(page, selector: str) -> None:
    """Tag an element in the page's DOM: still tagged later means it was not swapped."""
    page.locator(selector).evaluate("el => { el.dataset.untouched = 'yes'; }")


def test_editing_reach_on_the_board_swaps_only_that_card(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    cart = make_item(product, title="Abandoned carts", horizon="now", reach=100)
    other = make_item(product, title="Segment builder", horizon="now", reach=500)
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    mark(page, f"#item-{other.pk}")
    mark(page, "#roadmap")
    card = page.locator(f"#item-{cart.pk}")
    expect(card.locator('[data-score="rice"]')).to_have_text("80")

    page.get_by_role("link", name="Edit reach of Abandoned carts").click()
    field = page.locator(f"#item{cart.pk}-reach")
    expect(field).to_be_focused()
    field.fill("9000")
    with page.expect_response(lambda r: "/fields/reach/" in r.url) as answered:
        field.press("Enter")
    assert len(answered.value.body()) < 10_000  # one card, not the board

    expect(card.locator('[data-score="rice"]')).to_have_text("7200")
    expect(card.get_by_role("link", name="Edit reach of Abandoned carts")).to_have_text("9,000")
    expect(page.get_by_role("link", name="Edit reach of Abandoned carts")).to_be_focused()
    expect(page.locator(f"#item-{other.pk}")).to_have_attribute("data-untouched", "yes")
    expect(page.locator("#roadmap")).to_have_attribute("data-untouched", "yes")
    assert RoadmapItem.objects.get(pk=cart.pk).reach == 9000

    # Escape puts the card back as it is, without saving.
    page.get_by_role("link", name="Edit reach of Abandoned carts").click()
    page.locator(f"#item{cart.pk}-reach").fill("1")
    page.locator(f"#item{cart.pk}-reach").press("Escape")
    expect(card.get_by_role("link", name="Edit reach of Abandoned carts")).to_have_text("9,000")
    assert RoadmapItem.objects.get(pk=cart.pk).reach == 9000


def test_moving_a_card_to_the_next_column_swaps_those_two_columns(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Migration", horizon="now")
    moving = make_item(product, title="Recommendations", horizon="now")
    make_item(product, title="Loyalty", horizon="later")
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    mark(page, "#column-later")
    now, nxt = page.locator("#column-now"), page.locator("#column-next")
    expect(now.locator(".badge")).to_have_text("2")

    page.get_by_role("button", name="Move Recommendations to Next").click()
    expect(nxt.locator(".card-item")).to_have_count(1)
    expect(nxt.locator(".card-item").first).to_contain_text("Recommendations")
    expect(nxt.locator(".badge")).to_have_text("1")
    expect(now.locator(".badge")).to_have_text("1")
    expect(now).not_to_contain_text("Recommendations")
    # Migration is alone in Now: its down button went with its neighbour.
    expect(page.get_by_role("button", name="Move Migration down")).to_have_count(0)
    expect(page.locator("#column-later")).to_have_attribute("data-untouched", "yes")
    assert RoadmapItem.objects.get(pk=moving.pk).horizon == "next"

    # The columns that came back work as before: drag-ready, and buttons move again.
    expect(page.locator('ol.cards[data-horizon="next"]')).to_have_attribute(
        "data-sortable-ready", "1"
    )
    page.get_by_role("button", name="Move Recommendations to Now").click()
    expect(now.locator(".card-item")).to_have_count(2)
    expect(nxt.locator(".card-item")).to_have_count(0)


def test_changing_the_horizon_in_the_table_updates_the_row_in_place(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Migration", horizon="now", reach=100)
    item = make_item(product, title="Recommendations", horizon="now", reach=100)
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product, "?view=table"))
    rows = page.locator("table.roadmap-table tbody tr")
    expect(rows.last).to_contain_text("Recommendations")

    page.get_by_role("link", name="Edit horizon of Recommendations").click()
    page.locator(f"#item{item.pk}-horizon").select_option("later")
    page.get_by_role("button", name="Save").click()
    link = page.get_by_role("link", name="Edit horizon of Recommendations")
    expect(link).to_have_text("Later")
    expect(link).to_be_focused()
    # Equal scores are ordered by horizon, as the table's SQL does: the row moved up.
    expect(rows.first).to_contain_text("Recommendations")
    expect(rows).to_have_count(2)
    assert RoadmapItem.objects.get(pk=item.pk).horizon == "later"

    page.get_by_role("link", name="Edit reach of Recommendations").click()
    page.locator(f"#item{item.pk}-reach").fill("10")
    page.get_by_role("button", name="Save").click()
    expect(rows.last).to_contain_text("Recommendations")
    expect(rows.last.locator('[data-score="rice"]')).to_have_text("8")
    expect(rows).to_have_count(2)


def test_an_item_edited_out_of_the_filter_leaves_the_filtered_board(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Migration", horizon="next", status="idea")
    item = make_item(product, title="Recommendations", horizon="next", status="idea")
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product, "?status=idea"))
    column = page.locator("#column-next")
    expect(column.locator(".card-item")).to_have_count(2)

    page.get_by_role("link", name="Edit status of Recommendations").click()
    page.locator(f"#item{item.pk}-status").select_option("planned")
    page.get_by_role("button", name="Save").click()
    expect(column.locator(".card-item")).to_have_count(1)
    expect(column.locator(".badge")).to_have_text("1")
    expect(page.locator("#roadmap-announce")).to_have_text(
        "“Recommendations” no longer matches the filters: it is hidden."
    )
    assert RoadmapItem.objects.get(pk=item.pk).status == "planned"
