"""What a person waits for: each paired page loaded in Debian's Chromium (Playwright, headless)
from the servers the benchmark started on 127.0.0.1.

Per page: one browser context signed in with the page's session cookie, one load to fill the
cache (not counted), then `loads` loads of the same URL with a warm cache; the figure is the
median of the navigation's load event end (performance.getEntriesByType("navigation")), from the
start of the navigation. JavaScript errors are counted on every load: uncaught exceptions
("pageerror") and console messages of type error (which include failed subresources and
Content-Security-Policy refusals).
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.benchmarks.pages_load import apt_install, say

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOAD_EVENT_MS = """() => new Promise((resolve) => {
  const check = () => {
    const nav = performance.getEntriesByType("navigation")[0];
    if (nav && nav.loadEventEnd > 0) resolve(nav.loadEventEnd - nav.startTime);
    else setTimeout(check, 5);
  };
  check();
})"""


@dataclass
class Load:
    key: str
    url: str
    cookies: list[dict[str, str]]  # name, value, url


def ensure_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.geteuid() != 0:
        sys.exit(
            "Chromium is missing: run `sudo apt-get install -y chromium`, or set BENCH_BROWSER=0."
        )
    say("installing Debian's Chromium (apt-get install -y chromium)")
    apt_install("chromium")


def load_times(pages: list[Load], loads: int = 5) -> dict[str, dict]:
    from playwright.sync_api import sync_playwright

    out: dict[str, dict] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for page_load in pages:
                context = browser.new_context()
                context.add_cookies(page_load.cookies)
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                page.on(
                    "console",
                    lambda msg, errors=errors: (
                        errors.append(msg.text) if msg.type == "error" else None
                    ),
                )
                answer = page.goto(page_load.url, wait_until="load", timeout=60_000)
                status = answer.status if answer else 0
                page.evaluate(LOAD_EVENT_MS)
                times = []
                for _ in range(loads):
                    page.goto(page_load.url, wait_until="load", timeout=60_000)
                    times.append(float(page.evaluate(LOAD_EVENT_MS)))
                out[page_load.key] = {
                    "load_ms": statistics.median(times),
                    "loads_ms": [round(t, 1) for t in times],
                    "js_errors": len(errors),
                    "errors": errors[:5],
                    "status": status,
                    "final_url": page.url,
                }
                context.close()
        finally:
            browser.close()
    return out
