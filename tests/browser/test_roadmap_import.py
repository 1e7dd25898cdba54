"""A roadmap imported in real Chromium: upload, the columns' mapping changed (htmx), the
preview filtered, the import, the summary, and the items on the board."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from products.models import RoadmapItem
from tests.factories import PASSWORD, UserFactory
from tests.products.factories import make_item, make_product

FILES = Path(__file__).resolve().parent.parent / "products" / "files"


def test_a_jira_product_discovery_file_is_uploaded_mapped_previewed_and_imported(
    open_browser, live_server
):
    owner = UserFactory(username="priya")
    product = make_product(owner=owner, name="Email platform", slug="email")
    make_item(product, title="Already on the board", horizon="now")
    page = open_browser().login("priya", PASSWORD)
    page.goto(f"{live_server.url}/products/email/roadmap/")

    page.get_by_role("link", name="Import…").click()
    expect(page.get_by_role("heading", name="Import a roadmap")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(str(FILES / "jpd_ideas.csv"))
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", name="Import “jpd_ideas.csv”")).to_be_visible()
    expect(page.get_by_text("Read as Jira Product Discovery's export")).to_be_visible()
    roadmap_column = page.get_by_label("Custom field (Roadmap) column 41")
    expect(roadmap_column).to_have_value("horizon")
    expect(page.locator(".import-counts .count-create strong")).to_have_text("8")

    # Leave the RICE confidence out: the preview follows, the page is not reloaded.
    page.locator("#import-review").evaluate("el => { el.dataset.untouched = 'yes'; }")
    page.get_by_label("Custom field (Confidence) column 31").select_option("")
    with page.expect_response(lambda r: "/mapping/" in r.url) as answered:
        page.get_by_role("button", name="Update the preview").click()
    assert answered.value.request.headers.get("hx-request") == "true"
    expect(page.get_by_text("Mapping saved.")).to_be_visible()
    expect(page.locator("details.import-other summary")).to_contain_text("29 columns")

    # Only the new rows, by the preview's own filter.
    page.locator("#import-preview").get_by_role("link", name="New 8").click()
    expect(page.locator(".import-rows tbody tr")).to_have_count(8)
    expect(page.get_by_role("link", name="New 8")).to_have_attribute("aria-current", "page")

    page.get_by_role("button", name="Import: 8 new, 0 changed").click()
    expect(page.get_by_role("heading", name="Imported “jpd_ideas.csv”")).to_be_visible()
    expect(
        page.get_by_text("Imported “jpd_ideas.csv”: 8 created, 0 updated, 0 unchanged.")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Abandoned-cart journeys")).to_be_visible()

    page.get_by_role("link", name="See the roadmap").click()
    now = page.locator("#cards-now")
    expect(now.locator(".item-title")).to_have_text(
        [
            "Already on the board",
            "Abandoned-cart journeys",
            "Segment builder",
            "Migrate legacy subscribers",
        ]
    )
    assert RoadmapItem.objects.filter(product=product).count() == 9
    # Confidence was left out: the new items have the default.
    assert set(
        RoadmapItem.objects.filter(product=product)
        .exclude(external_key="")
        .values_list("confidence", flat=True)
    ) == {80}


def test_a_file_with_errors_shows_them_and_offers_no_import(open_browser, live_server):
    owner = UserFactory(username="priya")
    make_product(owner=owner, name="Email platform", slug="email")
    page = open_browser().login("priya", PASSWORD)
    page.goto(f"{live_server.url}/products/email/roadmap/import/")
    bad = (FILES / "jpd_ideas.csv").read_bytes().replace(b",0|i0005:,Next,", b",0|i0005:,Soon,")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.get_by_role("button", name="Upload and map columns").click()
    errors = page.locator(".import-errors")
    expect(errors).to_contain_text("1 error: nothing is imported until it is fixed")
    row = errors.locator("tbody tr")
    expect(row.locator("td")).to_have_text(
        ["6", "Custom field (Roadmap)", re.compile(r"^“Soon” is not Now, Next or Later\.")]
    )
    expect(page.get_by_role("button", name="Import:")).to_have_count(0)
    expect(page.get_by_text("Nothing is imported while a row has an error.")).to_be_visible()
