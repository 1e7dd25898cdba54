"""The roadmap in real Chromium: a card's editor loaded on demand, saving, a stale edit, moving
by keyboard (the Move… menu) and by drag, Show more, the table's row editor, the product's
scoring method, and a hypothesis concluded into its items' confidence."""

from __future__ import annotations

from playwright.sync_api import expect

from products.models import RoadmapItem
from tests.factories import PASSWORD, UserFactory
from tests.products.factories import make_item, make_product


def roadmap(live_server, product, query: str = "") -> str:
    return f"{live_server.url}/products/{product.slug}/roadmap/{query}"


def mark(page, selector: str) -> None:
    """Tag an element in the page's DOM: still tagged later means it was not swapped."""
    page.locator(selector).evaluate("el => { el.dataset.untouched = 'yes'; }")


def test_the_editor_opens_in_place_saves_and_swaps_only_that_card(open_browser, live_server):
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
    expect(card.locator("form")).to_have_count(1)  # the Move… menu; no editor yet

    with page.expect_response(lambda r: "/edit/" in r.url) as loaded:
        page.get_by_role("link", name="Edit Abandoned carts").click()
    assert loaded.value.request.headers.get("hx-request") == "true"
    title = page.locator(f"#item{cart.pk}-title")
    expect(title).to_be_focused()
    page.locator(f"#item{cart.pk}-reach").fill("9000")
    expect(page.locator(f"#item{cart.pk}-reach")).to_have_value("9000")
    with page.expect_response(lambda r: "/edit/" in r.url) as answered:
        page.get_by_role("button", name="Save").click()
    assert f"item{cart.pk}-reach=9000" in answered.value.request.post_data
    assert answered.value.status == 200
    assert len(answered.value.body()) < 3_000  # one card, not the board

    expect(card.locator('[data-score="rice"]')).to_have_text("7,200")
    expect(card).to_contain_text("9,000")
    expect(page.get_by_role("link", name="Edit Abandoned carts")).to_be_focused()
    expect(page.locator(f"#item-{other.pk}")).to_have_attribute("data-untouched", "yes")
    expect(page.locator("#roadmap")).to_have_attribute("data-untouched", "yes")
    assert RoadmapItem.objects.get(pk=cart.pk).reach == 9000

    # Escape puts the card back as it is, without saving.
    page.get_by_role("link", name="Edit Abandoned carts").click()
    page.locator(f"#item{cart.pk}-reach").fill("1")
    page.locator(f"#item{cart.pk}-reach").press("Escape")
    expect(card).to_contain_text("9,000")
    expect(page.get_by_role("link", name="Edit Abandoned carts")).to_be_visible()
    assert RoadmapItem.objects.get(pk=cart.pk).reach == 9000


def test_the_editor_is_ready_and_focused_the_moment_it_shows(open_browser, live_server):
    """htmx binds new content and focuses its [autofocus] field when it settles; settling in the
    same moment as the swap (defaultSettleDelay 0) leaves no instant in which the editor shows
    but a click or keystroke goes astray: typed into a field, then sent to the title when the
    focus moved, or an Enter submitted as a plain form."""
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    item = make_item(product, title="Abandoned carts", reach=100)
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    # Noted in the first moment the editor's reach field is in the page (a microtask after the
    # swap's own task): which element has the focus then.
    page.evaluate(
        """id => {
          new MutationObserver((records, observer) => {
            if (!document.getElementById(id)) return;
            const focused = document.activeElement ? document.activeElement.id : "";
            document.body.dataset.focusWhenShown = focused || "(none)";
            observer.disconnect();
          }).observe(document.body, { childList: true, subtree: true });
        }""",
        f"item{item.pk}-reach",
    )
    page.get_by_role("link", name="Edit Abandoned carts").click()
    expect(page.locator("body")).to_have_attribute("data-focus-when-shown", f"item{item.pk}-title")

    # A person already in another field keeps it (roadmap.js takes the focus only once).
    reach = page.locator(f"#item{item.pk}-reach")
    reach.click()
    page.keyboard.type("5")
    expect(reach).to_be_focused()
    expect(reach).to_have_value("1005")
    expect(page.locator(f"#item{item.pk}-title")).to_have_value("Abandoned carts")


def test_a_stale_edit_shows_the_conflict_to_the_second_editor(open_browser, live_server):
    owner = UserFactory(username="priya", first_name="Priya", last_name="Patel")
    editor = UserFactory(username="dana", first_name="Dana", last_name="Kim")
    product = make_product(owner=owner, name="Email platform", slug="email", editors=[editor])
    item = make_item(product, title="Abandoned carts", reach=1000)

    priya = open_browser().login("priya", PASSWORD)
    dana = open_browser().login("dana", PASSWORD)
    for page in (priya, dana):
        page.goto(roadmap(live_server, product))
        page.get_by_role("link", name="Edit Abandoned carts").click()
        expect(page.locator(f"#item{item.pk}-reach")).to_be_visible()

    dana.locator(f"#item{item.pk}-reach").fill("2000")
    expect(dana.locator(f"#item{item.pk}-reach")).to_have_value("2000")
    with dana.expect_response(lambda r: "/edit/" in r.url) as saved:
        dana.locator(f"#item{item.pk}-reach").press("Enter")
    assert f"item{item.pk}-reach=2000" in saved.value.request.post_data
    assert saved.value.status == 200
    expect(dana.locator(f"#item-{item.pk}")).to_contain_text("2,000")

    priya.locator(f"#item{item.pk}-reach").fill("3000")
    with priya.expect_response(lambda r: "/edit/" in r.url) as answered:
        priya.get_by_role("button", name="Save").click()
    assert answered.value.status == 409
    conflict = priya.get_by_role("alert")
    expect(conflict).to_contain_text("Dana Kim saved a change while you were editing")
    expect(conflict).to_contain_text("Reach from 1000 to 2000")
    expect(priya.locator(f"#item{item.pk}-reach")).to_have_value("3000")
    assert RoadmapItem.objects.get(pk=item.pk).reach == 2000

    priya.get_by_role("button", name="Save mine").click()
    expect(priya.locator(f"#item-{item.pk}")).to_contain_text("3,000")
    assert RoadmapItem.objects.get(pk=item.pk).reach == 3000


def test_the_move_menu_moves_an_item_by_keyboard_and_keeps_focus(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="First", horizon="later")
    second = make_item(product, title="Second", horizon="later")
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    mark(page, "#column-now")

    page.locator(f"#m-{second.pk}").focus()
    page.keyboard.press("Enter")  # opens the menu
    up = page.locator(f"#item-{second.pk}").get_by_role("button", name="Up")
    expect(up).to_be_visible()
    page.keyboard.press("Tab")
    expect(up).to_be_focused()
    page.keyboard.press("Enter")
    later = page.locator('ol.cards[data-horizon="later"] .card-item')
    expect(later.first).to_contain_text("Second")
    expect(page.locator(f"#m-{second.pk}")).to_be_focused()
    assert RoadmapItem.objects.get(pk=second.pk).rank == 0

    # To another column: it goes there, the column it left is answered too, Now is untouched.
    page.keyboard.press("Enter")
    page.locator(f"#item-{second.pk}").get_by_role("button", name="To Next").click()
    nxt = page.locator("#column-next")
    expect(nxt.locator(".card-item")).to_have_count(1)
    expect(nxt.locator(".badge")).to_have_text("1")
    expect(page.locator("#column-later .badge")).to_have_text("1")
    expect(page.locator("#column-now")).to_have_attribute("data-untouched", "yes")
    # Escape closes an open menu without moving anything.
    page.locator(f"#m-{second.pk}").click()
    page.keyboard.press("Escape")
    expect(page.locator(f"#item-{second.pk} details")).not_to_have_attribute("open", "")
    assert RoadmapItem.objects.get(pk=second.pk).horizon == "next"


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


def test_show_more_appends_cards_that_can_be_dragged_and_moved(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    RoadmapItem.objects.bulk_create(
        RoadmapItem(product=product, title=f"Later {n:02d}", horizon="later", rank=n)
        for n in range(60)
    )
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    cards = page.locator('ol.cards[data-horizon="later"] .card-item')
    expect(cards).to_have_count(50)
    page.get_by_role("link", name="Show 10 more").click()
    expect(cards).to_have_count(60)
    expect(page.locator("#more-later")).to_be_empty()
    last = RoadmapItem.objects.get(title="Later 59")
    page.locator(f"#m-{last.pk}").click()
    page.locator(f"#item-{last.pk}").get_by_role("button", name="Up").click()
    # The column that comes back shows its first 50 cards again, with the control for more.
    expect(cards).to_have_count(50)
    expect(page.get_by_role("link", name="Show 10 more")).to_be_visible()
    assert RoadmapItem.objects.get(pk=last.pk).rank == 58


def test_the_tables_row_editor_saves_and_the_row_takes_its_new_place(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Segment builder", reach=500)
    cart = make_item(product, title="Abandoned carts", reach=100)
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product, "?view=table"))
    rows = page.locator("table.roadmap-table tbody tr")
    expect(rows.first).to_contain_text("Segment builder")

    page.get_by_role("link", name="Edit Abandoned carts").click()
    field = page.locator(f"#item{cart.pk}-reach")
    expect(page.locator(f"#item{cart.pk}-title")).to_be_focused()
    field.fill("9000")
    expect(field).to_have_value("9000")
    with page.expect_response(lambda r: "/edit/" in r.url and r.request.method == "POST") as saved:
        field.press("Enter")
    assert f"item{cart.pk}-reach=9000" in saved.value.request.post_data
    assert saved.value.status == 200

    expect(rows.first).to_contain_text("Abandoned carts")
    expect(rows.first.locator('[data-score="rice"]')).to_have_text("7,200")
    expect(page.get_by_role("link", name="Edit Abandoned carts")).to_be_focused()
    assert RoadmapItem.objects.get(pk=cart.pk).reach == 9000

    # Sorting is a link: the server orders the rows.
    by_title = page.locator('thead a[href*="sort=title"]')
    by_title.click()
    expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("Item")
    expect(rows.first).to_contain_text("Abandoned carts")
    by_title.click()
    expect(page.locator('th[aria-sort="descending"]')).to_contain_text("Item")
    expect(rows.first).to_contain_text("Segment builder")


def test_an_item_edited_out_of_the_filter_leaves_the_filtered_board(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Migration", horizon="next", status="idea")
    item = make_item(product, title="Recommendations", horizon="next", status="idea")
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product, "?status=idea"))
    column = page.locator("#column-next")
    expect(column.locator(".card-item")).to_have_count(2)

    page.get_by_role("link", name="Edit Recommendations").click()
    page.locator(f"#item{item.pk}-status").select_option("planned")
    page.get_by_role("button", name="Save").click()
    expect(column.locator(".card-item")).to_have_count(1)
    expect(column.locator(".badge")).to_have_text("1")
    expect(page.locator("#roadmap-announce")).to_have_text(
        "“Recommendations” no longer matches the filters: it is hidden."
    )
    assert RoadmapItem.objects.get(pk=item.pk).status == "planned"


def test_the_product_chooses_its_scoring_and_the_roadmap_follows(open_browser, live_server):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    item = make_item(
        product,
        title="Abandoned carts",
        horizon="now",
        reach=100,
        ice_impact=8,
        ice_confidence=7,
        ice_ease=6,
    )
    make_item(product, title="Unscored idea", horizon="next")
    page = open_browser().login("priya", PASSWORD)
    page.goto(roadmap(live_server, product))
    card = page.locator(f"#item-{item.pk}")
    expect(card.locator('[data-score="rice"]')).to_have_text("80")
    expect(card.locator('[data-score="ice"]')).to_have_count(0)

    page.goto(f"{live_server.url}/products/email/edit/")
    page.get_by_label("Prioritisation").select_option(label="RICE and ICE")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("scored by RICE and ICE")

    page.goto(roadmap(live_server, product))
    expect(card.locator('[data-score="ice"]')).to_have_text("336")
    expect(page.locator("#roadmap")).to_contain_text("No ICE yet")
    # The formula is one keypress away.
    formula = page.locator("#formula")
    formula.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(formula).to_contain_text("ICE = impact × confidence × ease")
    page.goto(roadmap(live_server, product, "?view=table"))
    expect(page.locator("thead")).to_contain_text("RICE inputs")
    expect(page.locator("thead")).to_contain_text("ICE inputs")


def test_validating_a_hypothesis_raises_its_items_confidence(open_browser, live_server):
    from products import services
    from products.models import RoadmapItemChange

    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    item = make_item(
        product, title="Replenishment reminders", horizon="next", reach=30000, confidence=50
    )
    hypothesis = services.hypothesis_create(
        product=product,
        by=owner,
        hypothesis="We believe buyers of consumables come back when reminded.",
        items=[item],
    )
    page = open_browser().login("priya", PASSWORD)
    page.goto(f"{live_server.url}/products/email/hypotheses/")
    page.get_by_role("link", name="We believe buyers of consumables").click()
    page.get_by_label("Validated", exact=True).check()
    page.get_by_label("Insight").fill("Reminded buyers reordered 1.4 times as often.")
    page.get_by_role("button", name="Change status").click()
    expect(page.locator("body")).to_contain_text(
        "Hypothesis validated. Confidence changed for “Replenishment reminders”."
    )
    page.get_by_role("link", name="Replenishment reminders").click()
    expect(page.locator("body")).to_contain_text(f"Hypothesis “{hypothesis.short}” validated")
    item.refresh_from_db()
    assert item.confidence == 80
    assert RoadmapItemChange.objects.filter(item=item, note__endswith="validated").exists()
