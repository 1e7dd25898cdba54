from __future__ import annotations

import io
import re

from django.core.management import call_command
from playwright.sync_api import expect

from roleplan.ownership.models import Asset, Handover
from tests.factories import PASSWORD, UserFactory


def test_filter_hand_over_in_place_and_a_stale_second_browser_gets_the_conflict(
    open_browser, monkeypatch, live_server
):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    UserFactory(username="stella.staff", first_name="Stella", last_name="Staff", is_staff=True)

    # The second browser opens the asset first: it sees Priya as the owner.
    second = open_browser().login("stella.staff", PASSWORD)
    second.goto(f"{live_server.url}/ownership/email-marketing-platform/")
    expect(second.locator("#accountability .owner-name")).to_contain_text("Priya Patel")

    # The owner filters the registry as they type; the address follows the filter.
    page = open_browser().login("product.manager", "demo-password-for-tests")
    page.goto(f"{live_server.url}/ownership/")
    page.fill("#id_q", "email")
    expect(page.locator("#registry tbody tr")).to_have_count(2)  # platform and legacy system
    expect(page).to_have_url(re.compile(r"q=email"))
    page.select_option("#id_kind", "product")
    expect(page.locator("#registry tbody tr")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"kind=product"))

    # Hand over from the row, in place: no full reload (a marker on window survives).
    page.evaluate("window.__noReload = true")
    row = page.locator("#registry tbody tr").first
    row.locator("summary", has_text="Hand over").click()
    row.locator("select[name=new_owner]").select_option(label="Marco Rossi (project.manager)")
    row.locator("input[name=reason]").fill("Priya moves to the CRM team")
    row.get_by_role("button", name="Continue…").click()
    # A summary to confirm: asset, from, to, reason; nothing changed yet.
    summary = page.locator("#registry tbody tr").first.locator(".handover-confirm")
    expect(summary).to_contain_text("Email marketing platform")
    expect(summary).to_contain_text("Priya Patel")
    expect(summary).to_contain_text("“Priya moves to the CRM team”")
    assert Asset.objects.get(slug="email-marketing-platform").owner.username == "product.manager"
    summary.get_by_role("button", name="Hand over to Marco Rossi").click()
    expect(page.locator("#registry tbody tr").first.locator(".owner-cell")).to_contain_text(
        "Marco Rossi"
    )
    expect(page.locator("#registry")).to_contain_text("is now owned by Marco Rossi")
    assert page.evaluate("window.__noReload") is True

    # The history shows the entry.
    page.click("text=Email marketing platform")
    expect(page.locator("#history")).to_contain_text("Priya Patel → Marco Rossi")
    expect(page.locator("#history")).to_contain_text("Priya moves to the CRM team")
    # Priya no longer owns it: no "Edit details", no handover panel.
    expect(page.locator("#asset-actions")).not_to_contain_text("Edit details")
    expect(page.locator("#handover-panel")).to_have_count(0)

    # The second browser still shows Priya and tries the same: it gets the conflict message.
    second.evaluate("window.__noReload = true")
    second.locator("#handover-panel").get_by_role("link", name="Choose the new owner…").click()
    expect(second.locator("#handover-panel select[name=new_owner]")).to_be_focused()
    second.select_option("#handover-panel select[name=new_owner]", label="Sam Okafor (stakeholder)")
    second.fill("#handover-panel input[name=reason]", "Sam takes it")
    second.locator("#handover-panel").get_by_role("button", name="Continue…").click()
    expect(second.locator("#handover-panel")).to_contain_text("Someone was faster")
    expect(second.locator("#handover-panel")).to_contain_text("Marco Rossi")
    # the rest of the page followed the event: owner and history now show Marco
    expect(second.locator("#accountability .owner-name")).to_contain_text("Marco Rossi")
    expect(second.locator("#history")).to_contain_text("Priya moves to the CRM team")
    assert second.evaluate("window.__noReload") is True
    # and the reason typed is kept for a second try
    expect(second.locator("#handover-panel input[name=reason]")).to_have_value("Sam takes it")

    asset = Asset.objects.get(slug="email-marketing-platform")
    assert asset.owner.username == "project.manager"
    assert not Handover.objects.filter(asset=asset, reason="Sam takes it").exists()
