"""Playwright driving Debian's Chromium against pytest-django's live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test
# itself (fixtures, assertions) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    from playwright.sync_api import expect, sync_playwright

    # make test runs the live server under coverage on a busy machine: an htmx answer can take
    # longer than Playwright's 5 s default without anything being wrong. Waits end as soon as
    # the page is right, so a longer bound costs nothing when it passes.
    expect.set_options(timeout=15_000)

    chromium = shutil.which("chromium")
    if not chromium:
        pytest.fail(
            "Chromium is not installed: apt-get install -y chromium (make test does it as root)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        yield browser
        browser.close()


class BrowserSession:
    """One signed-in browser context, collecting JavaScript errors as it goes."""

    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base_url = base_url
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("console", self.on_console)
        # What the page asked and was answered, printed when a test fails (pytest shows a
        # passing test's output to nobody): a flaky wait says which answer it waited for.
        self.exchanges: list[str] = []
        self.page.on("response", self.on_response)

    def on_response(self, response) -> None:
        request = response.request
        if request.resource_type not in {"document", "fetch", "xhr"}:
            return
        sent = ""
        if request.method == "POST":
            fields = parse_qsl(request.post_data or "", keep_blank_values=True)
            sent = " " + urlencode([f for f in fields if f[0] != "csrfmiddlewaretoken"])[:300]
        self.exchanges.append(f"{request.method} {request.url} -> {response.status}{sent}")

    # Chromium logs every 4xx response as a console error. 409 (stale edit) and 422 (form
    # errors) are answers htmx swaps on purpose; anything else is a real error.
    EXPECTED = ("status of 409 (Conflict)", "status of 422 (Unprocessable")

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        if message.text.startswith("Failed to load resource") and any(
            e in message.text for e in self.EXPECTED
        ):
            return
        self.errors.append(f"console: {message.text}")

    def login(self, username: str, password: str):
        page = self.page
        page.goto(f"{self.base_url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.base_url}/")
        return page


@pytest.fixture
def open_browser(browser, live_server, transactional_db):
    sessions: list[BrowserSession] = []

    def factory() -> BrowserSession:
        session = BrowserSession(browser, live_server.url)
        sessions.append(session)
        return session

    yield factory
    for n, s in enumerate(sessions):
        print(f"browser {n}:", *s.exchanges, sep="\n  ")
    errors = [e for s in sessions for e in s.errors]
    for s in sessions:
        s.context.close()
    assert not errors, f"JavaScript errors in the browser: {errors}"
