from __future__ import annotations

import io

from django.core.management import call_command
from playwright.sync_api import expect


def test_product_manager_signs_in_and_sees_the_dashboard(open_browser, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    page = open_browser().login("product.manager", "demo-password-for-tests")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Priya")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Ownership")
    expect(page.locator(".whoami")).to_have_text("Priya Patel")
