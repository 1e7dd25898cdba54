from __future__ import annotations

import io
import re

from django.core.management import call_command
from playwright.sync_api import expect

from roleplan.alignment.models import Decision

PASSWORD = "demo-password-for-tests"


def test_product_manager_records_a_decision_the_project_manager_sees_on_their_page(
    open_browser, monkeypatch, live_server
):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    project = "Replace legacy email system before Black Friday"

    # The project manager already has the next sync open.
    marco = open_browser().login("project.manager", PASSWORD)
    marco.goto(f"{live_server.url}/sync/")
    marco.locator("tr", has_text=project).get_by_role("button", name="Open the next sync").click()
    expect(marco.locator("#agenda")).to_be_visible()
    meeting_url = marco.url

    # The product manager opens it from the sync list.
    priya = open_browser().login("product.manager", PASSWORD)
    priya.goto(f"{live_server.url}/sync/")
    priya.locator("tr", has_text=project).get_by_role("button", name="Open the next sync").click()
    assert priya.url == meeting_url
    # The action item of last week is carried over; the change request is on the agenda.
    expect(priya.locator("#action-list")).to_contain_text("Carried over")
    expect(priya.locator("#action-list")).to_contain_text("Put the cost and date impact")
    changes = priya.locator(".section-changes")
    expect(changes).to_contain_text("CR-3")
    expect(changes).to_contain_text("awaits Priya Patel's decision")

    # She records a decision tied to the change request.
    priya.fill("#decision-text", "Option A: keep ABC for Black Friday, XYZ goes to the backlog.")
    priya.select_option(
        "#decision-cr",
        label=f"{project}: CR-3 Add personalised recommendations (Feature XYZ) on top of "
        "abandoned carts",
    )
    priya.get_by_role("button", name="Record decision").click()
    expect(priya.locator("#decision-list")).to_contain_text("Option A: keep ABC")
    expect(priya.locator("#decision-text")).to_have_value("")

    # Marco's copy of the page shows it without a reload.
    marco.evaluate("window.__noReload = true")
    expect(marco.locator("#decision-list")).to_contain_text("Option A: keep ABC", timeout=20_000)
    assert marco.evaluate("window.__noReload") is True
    assert Decision.objects.filter(text__startswith="Option A", change_request__number=3).exists()


def test_ticks_on_the_agenda_and_the_action_items_save_and_survive_a_reload(
    open_browser, monkeypatch, live_server
):
    monkeypatch.setenv("DEMO_PASSWORD", PASSWORD)
    call_command("seed_demo", stdout=io.StringIO())
    project = "Replace legacy email system before Black Friday"
    session = open_browser()
    marco = session.login("project.manager", PASSWORD)
    marco.goto(f"{live_server.url}/sync/")
    marco.locator("tr", has_text=project).get_by_role("button", name="Open the next sync").click()

    entry = marco.locator("#agenda li.entry").first
    entry_id = entry.get_attribute("id")
    expect(entry).not_to_have_class(re.compile("is-discussed"))
    entry.get_by_role("checkbox").check()
    ticked = marco.locator(f"#{entry_id}")
    expect(ticked).to_have_class(re.compile("is-discussed"))
    expect(ticked.locator(".entry-by")).to_have_text("discussed · Marco")

    marco.fill("#action-text", "Send the <b>options</b> & dates")
    marco.select_option("#action-owner", label="Priya Patel")
    marco.get_by_role("button", name="Add action").click()
    item = marco.locator("#action-list li", has_text="Send the <b>options</b> & dates")
    expect(item).to_contain_text("Priya Patel")
    item.get_by_role("checkbox").check()
    expect(
        marco.locator("#action-list li.is-done", has_text="Send the <b>options</b>")
    ).to_be_visible()

    marco.reload()
    expect(marco.locator(f"#{entry_id}")).to_have_class(re.compile("is-discussed"))
    expect(marco.locator(f"#{entry_id}").get_by_role("checkbox")).to_be_checked()
    expect(
        marco.locator("#action-list li.is-done", has_text="Send the <b>options</b>")
    ).to_be_visible()
