"""The profile page in Chromium: create the calendar address, copy it with the button, and
replace it through the confirmation page, with the keyboard."""

from __future__ import annotations

from playwright.sync_api import expect

from roleplan.alignment.models import CalendarToken
from tests.factories import PASSWORD, UserFactory


def test_a_person_creates_copies_and_replaces_their_calendar_address(open_browser):
    priya = UserFactory(username="priya.browser", first_name="Priya", last_name="Patel")
    session = open_browser()
    session.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = session.login(priya.username, PASSWORD)
    page.goto(f"{session.base_url}/sync/profile/")
    expect(page.get_by_role("heading", name="No calendar feed yet")).to_be_visible()

    page.get_by_role("button", name="Create my calendar address").click()
    expect(page.get_by_text("Your calendar address is ready.")).to_be_visible()
    token = CalendarToken.objects.get(user=priya).token
    address = page.get_by_label("Your private address")
    expect(address).to_have_value(f"http://127.0.0.1:8000/sync/calendar/{token}.ics")

    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()  # shown by the script; hidden without JavaScript
    copy.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == address.input_value()

    page.get_by_role("link", name="Replace the address…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Replace your calendar address?")
    page.get_by_role("button", name="Replace the address").click()
    expect(page.get_by_text("Your calendar address was replaced.")).to_be_visible()
    new_token = CalendarToken.objects.get(user=priya).token
    assert new_token != token
    expect(address).to_have_value(f"http://127.0.0.1:8000/sync/calendar/{new_token}.ics")
