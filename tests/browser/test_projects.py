"""Projects in Chromium: the whole path of issue 15 (approval asked for and given after its
summary, a change request for XYZ answered with an option that brings it in, the decision, XYZ
in Now on the roadmap delivered by the project, the cost line on the budget); the change
request's options and decision against the original baseline; scope added in place; filters."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from playwright.sync_api import expect

from products.models import RoadmapItem
from projects import services
from tests.factories import PASSWORD, UserFactory
from tests.projects.factories import (
    CostLineFactory,
    DeliverableFactory,
    ProjectFactory,
    approved_project,
    make_product,
)


def test_approval_then_a_decision_brings_xyz_onto_the_roadmap_with_its_cost(open_browser):
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi")
    priya = UserFactory(username="priya", first_name="Priya", last_name="Patel")
    product = make_product(owner=priya, name="Email platform")
    RoadmapItem.objects.create(
        product=product, title="Recommendations (XYZ)", horizon="next", status="idea", rank=0
    )
    today = date.today()
    project = ProjectFactory(
        manager=marco,
        product=product,
        name="Email replacement",
        slug="email-replacement",
        start_date=today - timedelta(days=60),
        deadline=today + timedelta(days=60),
    )
    DeliverableFactory(project=project, title="Abandoned-cart journeys (ABC)")
    CostLineFactory(
        project=project,
        description="Partner, first month",
        planned=Decimal(30000),
        actual=Decimal(18000),
        date=today - timedelta(days=40),
    )

    # The project manager asks for approval: until then the health is no verdict.
    pm = open_browser().login("marco", PASSWORD)
    base = pm.url.rstrip("/")
    pm.goto(base + project.get_absolute_url())
    expect(pm.locator("[data-health]")).to_have_text("Not baselined")
    pm.get_by_label("A note for the product's owner").fill("The partner starts next week.")
    pm.get_by_role("button", name="Ask Priya Patel for approval").click()
    expect(pm.locator("[data-approval=pending]")).to_contain_text("Awaits approval by Priya Patel")

    # The owner sees it on the dashboard, reads the summary, approves.
    po = open_browser().login("priya", PASSWORD)
    po.get_by_role("link", name="Email replacement: baseline awaits your approval").click()
    expect(
        po.get_by_role("heading", name="Approve the baseline of Email replacement")
    ).to_be_visible()
    expect(po.locator("[data-summary=scope]")).to_have_text("1 deliverable")
    expect(po.locator(".approval-note")).to_contain_text("The partner starts next week.")
    po.get_by_role("button", name="Approve the baseline").click()
    expect(po.locator(".messages")).to_contain_text("Approved")
    expect(po.locator("[data-health]")).not_to_have_text("Not baselined")

    # The owner asks for XYZ on top of ABC.
    po.get_by_role("link", name="Ask for a change").first.click()
    po.get_by_label("Title").fill("Add Feature XYZ")
    po.get_by_label("Description").fill("Recommendations after the first order.")
    po.get_by_label("Why").fill("Repurchase rate +6% within 3 months of launch.")
    po.get_by_label("Roadmap item").select_option(label="Recommendations (XYZ)")
    po.get_by_role("button", name="Send the request").click()
    expect(po.get_by_role("heading", name="CR-1 · Add Feature XYZ")).to_be_visible()
    change_url = po.url.split("#")[0].removeprefix(base)

    # The project manager answers: more budget and two more weeks, XYZ brought in.
    pm.goto(base + change_url)
    pm.get_by_role("link", name="Add an option…").click()  # the form loads when asked for
    form = pm.locator("#add-option form")
    expect(form.get_by_label("Title")).to_be_focused()
    form.get_by_label("Title").fill("Add budget and move the deadline")
    form.get_by_label("Deadline impact (days)").fill("14")
    form.get_by_label("Budget impact").fill("8000")
    expect(form.locator("#id_items-0-item")).to_have_value(
        str(RoadmapItem.objects.get(title="Recommendations (XYZ)").pk)
    )
    form.locator("#id_items-0-effect").select_option("bring_in")
    form.locator("#id_items-0-adds").fill("Recommendations in post-purchase emails")
    form.get_by_role("button", name="Add option").click()
    option = pm.locator("#option-A")
    expect(option).to_contain_text("Recommendations (XYZ): brought into this project")
    expect(option).to_contain_text("+8,000")

    # The owner decides; the decision says what moved.
    po.goto(base + change_url)
    decide = po.locator("#decide form")
    decide.get_by_label("Option A: Add budget and move the deadline").check()
    decide.get_by_label("Why").fill("Worth two weeks and **8,000**.")
    decide.locator("summary", has_text="Record the decision").click()
    decide.get_by_role("button", name="Yes, record the decision").click()
    po.wait_for_url(f"**{change_url}#decision")
    moved = po.locator("#decision")
    expect(moved).to_contain_text("Recommendations (XYZ), brought into this project (Now")
    expect(moved).to_contain_text("CR-1: Add Feature XYZ")

    # The roadmap: XYZ in Now, delivered by the project.
    po.goto(base + f"/products/{product.asset.slug}/roadmap/")
    now = po.locator("#column-now")
    expect(now).to_contain_text("Recommendations (XYZ)")
    expect(now).to_contain_text("Delivered by Email replacement")

    # The budget: the cost line of the decision, and the spent line drawn.
    pm.goto(base + f"/projects/{project.slug}/budget/")
    expect(pm.locator("#budget table.stack")).to_contain_text("CR-1: Add Feature XYZ")
    expect(pm.locator(".spend-chart .actual-line")).to_have_count(1)
    expect(pm.locator("[data-figure=spent]")).to_have_text("EUR\u00a018,000")


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
    pm.get_by_role("link", name="Add an option…").click()  # the form loads when asked for
    form = pm.locator("#add-option form")
    expect(form.get_by_label("Title")).to_be_focused()
    form.get_by_label("Title").fill("Keep ABC, backlog XYZ")
    form.get_by_role("button", name="Add option").click()
    expect(pm.locator("#option-A")).to_contain_text("Keep ABC, backlog XYZ")
    pm.get_by_role("link", name="Add an option…").click()  # the form loads when asked for
    form = pm.locator("#add-option form")
    expect(form.get_by_label("Title")).to_be_focused()
    form.get_by_label("Title").fill("Add budget and move the deadline")
    form.get_by_label("Deadline impact (days)").fill("14")
    form.get_by_label("Budget impact").fill("20000")
    form.get_by_label("Deliverables added, not for a roadmap item").fill("Feature XYZ")
    form.get_by_role("button", name="Add option").click()
    expect(pm.locator("#option-B")).to_contain_text("+14 days")
    expect(pm.locator("#option-B")).to_contain_text("7 Dec 2026")
    expect(pm.locator("#option-B")).to_contain_text("EUR\u00a0140,000")
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

    po.wait_for_url(f"**{change_url}#decision")
    expect(po.locator(".messages")).to_contain_text("Option B accepted")
    po.get_by_role("navigation", name="Project").get_by_role("link", name="Overview").click()
    triangle = po.locator("#triangle")
    expect(triangle.locator("[data-now-deadline]")).to_have_text("7 Dec 2026")
    expect(triangle.locator("[data-now-budget]")).to_have_text("EUR\u00a0140,000")
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
    page.get_by_text("Add a deliverable").click()  # the form loads as it opens, title focused
    expect(page.locator("#add-deliverable").get_by_label("Title")).to_be_focused()
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


def test_adding_a_milestone_in_place_loads_its_form_when_opened(open_browser):
    marco = UserFactory(username="marco", first_name="Marco", last_name="Rossi")
    project = approved_project(manager=marco, name="Email replacement", slug="email-replacement")
    page = open_browser().login("marco", PASSWORD)
    page.goto(page.url.rstrip("/") + f"/projects/{project.slug}/timeline/")
    expect(page.locator("#add-milestone form")).to_have_count(0)  # not drawn until asked for
    page.get_by_text("Add a milestone").click()
    form = page.locator("#add-milestone form")
    expect(form.get_by_label("Title")).to_be_focused()
    page.keyboard.type("Go live")
    form.get_by_label("Due").fill(project.deadline.isoformat())
    form.get_by_role("button", name="Add milestone").click()
    expect(page.locator("#milestones table")).to_contain_text("Go live")
