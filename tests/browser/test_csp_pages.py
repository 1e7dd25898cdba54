"""The main pages of every app under the Content-Security-Policy, in Chromium: any violation is
a console error, which fails the test (tests/browser/conftest.py). One htmx control per page
where one is simple, to show htmx works without eval or inline styles."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.security.demo import DEMO_PASSWORD, PRODUCT_SLUG, PROJECT_SLUG, seed


def htmx_answer(page, action, method: str = "GET") -> None:
    """Run `action` and wait for the htmx request it makes (by `method`: a page also loads its
    comments and history through htmx, with GET) to be answered with 200."""
    with page.expect_response(
        lambda r: r.request.headers.get("hx-request") == "true" and r.request.method == method,
        timeout=10_000,
    ) as answer:
        action()
    assert answer.value.status == 200, answer.value.url


def test_main_pages_load_and_htmx_works_under_the_policy(open_browser, live_server):
    demo = seed()
    session = open_browser()
    page = session.login("product.manager", DEMO_PASSWORD)
    base = live_server.url
    csp_seen = []
    page.on(
        "response",
        lambda r: (
            csp_seen.append(r.url)
            if r.request.resource_type == "document" and "content-security-policy" in r.headers
            else None
        ),
    )

    page.goto(f"{base}/")
    expect(page.locator("h1").first).to_be_visible()

    page.goto(f"{base}/products/")
    expect(page.get_by_role("link", name="Email marketing platform").first).to_be_visible()

    page.goto(f"{base}/products/{PRODUCT_SLUG}/")
    expect(page.locator("h1")).to_contain_text("Email marketing platform")

    # Roadmap board: a filter applies through htmx.
    page.goto(f"{base}/products/{PRODUCT_SLUG}/roadmap/")
    status = page.locator("#roadmap-filters select[name=status]")
    option = status.locator("option").nth(1).get_attribute("value")
    htmx_answer(page, lambda: status.select_option(option))
    expect(page).to_have_url(re.compile(rf"/roadmap/\?.*status={option}"))
    expect(page.locator("#roadmap-filters select[name=status]")).to_have_value(option)

    # Projects list: the status filter swaps the list through htmx.
    page.goto(f"{base}/projects/")
    htmx_answer(page, lambda: page.select_option("#filter-status", "active"))
    expect(page.locator("#project-list")).to_contain_text("Replace legacy email system")

    page.goto(f"{base}/projects/{PROJECT_SLUG}/")
    expect(page.locator("svg.iron-triangle")).to_be_visible()
    page.goto(f"{base}/projects/{PROJECT_SLUG}/timeline/")
    expect(page.locator("svg.timeline")).to_be_visible()
    page.goto(f"{base}/projects/{PROJECT_SLUG}/risks/")
    expect(page.locator("h1")).to_be_visible()
    page.goto(f"{base}/projects/{PROJECT_SLUG}/changes/{demo.change.number}/")
    expect(page.locator("main")).to_contain_text(demo.change.title)

    # Ownership registry: search as you type.
    page.goto(f"{base}/ownership/")
    expect(page.locator("#registry")).to_contain_text("Sales CRM database")
    htmx_answer(page, lambda: page.fill("#id_q", "email"))
    expect(page.locator("#registry")).not_to_contain_text("Sales CRM database")
    expect(page.locator("#registry")).to_contain_text("Email marketing platform")

    page.goto(f"{base}/ownership/{PRODUCT_SLUG}/")
    expect(page.locator("h1")).to_contain_text("Email marketing platform")

    page.goto(f"{base}/sync/")
    expect(page.locator("h1")).to_be_visible()

    # A sync: ticking an agenda entry saves through htmx.
    page.goto(f"{base}/sync/{demo.meeting.pk}/")
    entry = page.locator(f"#entry-{demo.entry.pk}")
    tick = entry.locator("input[type=checkbox]")
    was_ticked = tick.is_checked()
    htmx_answer(page, lambda: tick.click(), method="POST")
    expect(page.locator(f"#entry-{demo.entry.pk} input[type=checkbox]")).to_be_checked(
        checked=not was_ticked
    )
    demo.entry.refresh_from_db()
    assert demo.entry.discussed is (not was_ticked)

    assert len(csp_seen) >= 13, csp_seen


def test_the_browser_blocks_injected_inline_script_and_reports_it(open_browser, live_server):
    seed()
    session = open_browser()
    page = session.login("product.manager", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/ownership/")
    page.evaluate(
        """() => {
            window.__violations = [];
            document.addEventListener("securitypolicyviolation",
                e => window.__violations.push(e.violatedDirective));
            document.body.insertAdjacentHTML("beforeend",
                '<img src="data:," onerror="window.__ran = 1">');
            const s = document.createElement("script");
            s.textContent = "window.__ran = 2";
            document.body.appendChild(s);
        }"""
    )
    page.wait_for_function("window.__violations.length >= 2")
    assert page.evaluate("window.__ran") is None
    assert set(page.evaluate("window.__violations")) <= {"script-src-attr", "script-src-elem"}
    # The fixture fails on console errors; these two are the ones this test provoked.
    provoked = [e for e in session.errors if "Content Security Policy" in e]
    assert len(provoked) >= 2, session.errors
    session.errors[:] = [e for e in session.errors if e not in provoked]
