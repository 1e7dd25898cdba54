"""Chromium through Playwright as in tests/browser, with its failure on any JavaScript console
error or page error (open_browser)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.browser.conftest import FLAGS, open_browser  # noqa: F401


@pytest.fixture(scope="package")
def browser() -> Iterator:
    """Closed when this folder's tests are done: one Playwright runs at a time in a thread, and
    tests/browser starts its own for the session (this folder runs before it)."""
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if not chromium:
        pytest.fail(
            "Chromium is not installed: apt-get install -y chromium (make test does it as root)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=FLAGS)
        yield browser
        browser.close()
