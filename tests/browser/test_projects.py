"""The change request, end to end in Chromium: the project manager answers with options, the
product manager decides, and the project page shows the moved deadline and budget against the
original baseline."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from projects import services
from tests.factories import PASSWORD, UserFactory
from tests.projects.factories import approved_project


def test_project_manager_adds_options_and_product_manager_decides(open_browser):
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi")
    priya = UserFactory(username="priya", first_name="Priya", last_name="Patel")
    project = approved_project(
        manager=marco, product_owner=priya, name="Email replacement", slug="email-replacement"
    )
    services.change_request_create(
        project_id=project.pk,
        by=priya,
        title="Add Feature XYZ",
        description="Recommendations on top of abandoned carts.",
        why="Repurchase rate +6%",
    )
    change_url = f"/projects/{project.slug}/changes/1/"

    pm = open_browser().login("marco", PASSWORD)
    pm.goto(pm.url.rstrip("/") + change_url)
    expect(pm.get_by_role("heading", name="No options yet")).to_be_visible()
    form = pm.locator("#add-option form")
    form.get_by_label("Title").fill("Keep ABC, backlog XYZ")
    form.get_by_role("button", name="Add option").click()
    expect(pm.locator("#option-A")).to_contain_text("Keep ABC, backlog XYZ")
    form = pm.locator("#add-option form")
    form.get_by_label("Title").fill("Add budget and move the deadline")
    form.get_by_label("Deadline impact (days)").fill("14")
    form.get_by_label("Budget impact").fill("20000")
    form.get_by_label("Deliverables added").fill("Feature XYZ")
    form.get_by_role("button", name="Add option").click()
    expect(pm.locator("#option-B")).to_contain_text("+14 days")
    expect(pm.locator("#option-B")).to_contain_text("7 Dec 2026")
    expect(pm.locator("#option-B")).to_contain_text("140,000 EUR")
    expect(pm.locator("#decide")).to_have_count(0)

    po = open_browser().login("priya", PASSWORD)
    po.goto(po.url.rstrip("/") + change_url)
    decide = po.locator("#decide form")
    expect(decide.locator("input[name=choice]:checked")).to_have_count(0)  # nothing chosen for you
    decide.get_by_label("Option B: Add budget and move the deadline").check()
    decide.get_by_label("Why").fill("XYZ is worth two weeks and 20,000 EUR.")
    expect(decide.get_by_role("button", name="Yes, record the decision")).to_be_hidden()
    decide.locator("summary", has_text="Record the decision").click()
    decide.get_by_role("button", name="Yes, record the decision").click()

    po.wait_for_url(f"**/projects/{project.slug}/")
    expect(po.locator(".messages")).to_contain_text("Option B accepted")
    triangle = po.locator("#triangle")
    expect(triangle.locator("[data-now-deadline]")).to_have_text("7 Dec 2026")
    expect(triangle.locator("[data-now-budget]")).to_have_text("140,000 EUR")
    expect(triangle.locator("[data-original-deadline-variance]")).to_have_text("+14 days")
    expect(triangle.locator("[data-original-budget-variance]")).to_have_text("+20,000")
    expect(triangle).to_contain_text("Baseline 2")
    expect(po.locator(".baselines")).to_contain_text("Baseline 1")
    # The full scope is one tab away, reached with the keyboard.
    po.get_by_role("navigation", name="Project").get_by_role("link", name="Scope").focus()
    po.keyboard.press("Enter")
    po.wait_for_url(f"**/projects/{project.slug}/scope/")
    expect(po.locator("#scope table")).to_contain_text("Feature XYZ")
    expect(po.get_by_role("link", name="Scope", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    # The project manager's page shows the same, and the request is closed for more options.
    pm.goto(pm.url.split("/projects/")[0] + change_url)
    expect(pm.locator(".decision")).to_contain_text("Option B accepted")
    expect(pm.locator("#add-option")).to_have_count(0)


def test_adding_a_deliverable_in_place_shows_on_the_scope_and_the_iron_triangle(open_browser):
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi")
    project = approved_project(manager=marco, name="Email replacement", slug="email-replacement")
    page = open_browser().login("marco", PASSWORD)
    page.goto(page.url.rstrip("/") + project.get_absolute_url())
    expect(page.locator("#triangle")).to_contain_text("unchanged")
    page.get_by_role("link", name="Add a deliverable").click()
    page.wait_for_url(f"**/projects/{project.slug}/scope/#add-deliverable")
    expect(page.locator("#scope")).to_contain_text("the scope is unchanged since")
    page.get_by_text("Add a deliverable").click()
    form = page.locator("#scope form").last
    form.get_by_label("Title").fill("")
    form.get_by_role("button", name="Add deliverable").click()
    expect(page.locator("#scope")).to_contain_text("This field is required.")
    form = page.locator("#scope form").last
    form.get_by_label("Title").fill("Feature XYZ")
    form.get_by_role("button", name="Add deliverable").click()
    expect(page.locator("#scope table")).to_contain_text("Feature XYZ")
    # The scope changed without a decision: the scope page says so, without a page load...
    expect(page.locator("#scope")).to_contain_text("+1 / −0 since")
    # ... and so does the iron triangle on the overview.
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("#triangle")).to_contain_text("+1 / −0")
    expect(page.locator("#triangle")).to_contain_text("Added since baseline 1: Feature XYZ")


def test_filtering_the_scope_keeps_the_address_and_marks_work_done(open_browser):
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi")
    project = approved_project(
        manager=marco, name="Email replacement", slug="email-replacement", deliverables=4
    )
    page = open_browser().login("marco", PASSWORD)
    page.goto(page.url.rstrip("/") + f"/projects/{project.slug}/scope/")
    expect(page.locator("#scope tbody tr")).to_have_count(4)
    page.get_by_role("button", name="Mark done: Feature A").click()
    expect(page.get_by_role("button", name="Reopen: Feature A")).to_be_visible()
    filters = page.get_by_role("form", name="Filter the deliverables")
    filters.get_by_label("Status").select_option("done")
    filters.get_by_role("button", name="Filter").click()
    expect(page.locator("#scope tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"/scope/\?.*status=done"))
    expect(page.locator("#scope tbody")).to_contain_text("Feature A")
