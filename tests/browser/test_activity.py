"""Comments, mentions and the inbox in real Chromium: a comment with a mention written with the
keyboard only (suggestions by arrow keys, Enter, Escape), shown without a reload; the mentioned
person's unread count and inbox; "/" to search."""

from __future__ import annotations

from django.utils import timezone
from playwright.sync_api import expect

from roleplan.activity.models import Comment, Notification
from roleplan.alignment import services
from tests.alignment.sync_factories import make_series
from tests.factories import PASSWORD, UserFactory
from tests.projects.factories import make_product


def test_a_comment_with_a_keyboard_mention_appears_and_reaches_the_inbox(open_browser, live_server):
    owner = UserFactory(username="priya", first_name="Priya", last_name="Patel")
    UserFactory(username="sam.okafor", first_name="Sam", last_name="Okafor")
    UserFactory(username="sara.lind", first_name="Sara", last_name="Lind")
    product = make_product(owner=owner, name="Email marketing platform")

    page = open_browser().login("priya", PASSWORD)
    page.goto(f"{live_server.url}{product.get_absolute_url()}")
    page.evaluate("document.body.dataset.untouched = 'yes'")
    box = page.get_by_label("Comment", exact=True)
    expect(box).to_be_visible()  # the thread was loaded after the page
    box.press_sequentially("Can you check the send limits, @sa")
    suggestions = page.locator("#new-people")
    expect(suggestions).to_be_visible()
    expect(suggestions.get_by_role("option")).to_have_count(2)
    first = suggestions.get_by_role("option").first
    expect(first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    second = suggestions.get_by_role("option").nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    box.press("ArrowUp")
    box.press("Escape")  # closes without choosing
    expect(suggestions).to_be_hidden()
    box.press_sequentially("m")  # "@sam" opens them again, one left
    expect(suggestions.get_by_role("option")).to_have_count(1)
    box.press("Enter")  # takes Sam, does not send the form
    expect(box).to_have_value("Can you check the send limits, @sam.okafor ")
    box.press_sequentially("before Friday?")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Comment button

    thread = page.locator("#comments")
    expect(thread.locator(".comment-body")).to_contain_text("@sam.okafor before Friday?")
    expect(page.locator("body")).to_have_attribute("data-untouched", "yes")  # no reload
    expect(box).to_have_value("")
    assert Comment.objects.get().mentions.get().user.username == "sam.okafor"
    assert Notification.objects.get().recipient.username == "sam.okafor"

    sam = open_browser().login("sam.okafor", PASSWORD)
    link = sam.locator("#inbox-link")
    expect(link).to_have_attribute("aria-label", "Inbox, 1 unread")
    expect(link.locator(".inbox-count")).to_have_text("1")
    link.click()
    expect(sam.get_by_role("heading", name="Notifications")).to_be_visible()
    row = sam.locator(".inbox-row").first
    expect(row).to_contain_text("Priya Patel mentioned you on Email marketing platform")
    row.get_by_role("button", name="Mark read: Email marketing platform").click()
    expect(sam.locator(".inbox-row.unread")).to_have_count(0)
    expect(sam.locator("#inbox-link .inbox-count")).to_have_count(0)  # the top bar heard it

    # "/" jumps to the search box; Enter searches.
    sam.locator("main").click()
    sam.keyboard.press("/")
    expect(sam.locator("#site-search")).to_be_focused()
    sam.keyboard.type("send limits")
    sam.keyboard.press("Enter")
    expect(sam.locator(".search-result")).to_contain_text("Priya Patel on Email marketing platform")
    expect(sam.locator(".search-snippet mark").first).to_have_text("send")


def test_a_mention_of_someone_who_cannot_see_the_sync_is_refused_in_place(
    open_browser, live_server
):
    owner = UserFactory(username="priya")
    UserFactory(username="oscar")
    series = make_series(product_owner=owner)
    meeting = services.meeting_prepare(
        series_id=series.pk, week_start=series.week_start(timezone.now())
    )
    page = open_browser().login("priya", PASSWORD)
    page.goto(f"{live_server.url}{meeting.get_absolute_url()}")
    box = page.get_by_label("Comment", exact=True)
    box.fill("@oscar please read")
    page.get_by_role("button", name="Comment", exact=True).click()
    expect(page.locator("#comments .errorlist")).to_contain_text("cannot see this sync meeting")
    expect(box).to_have_value("@oscar please read")
    assert not Comment.objects.exists()
