"""Every main page, as each role of the demo, checked by axe-core (WCAG 2.2 A and AA rules and
axe's best practices) in Debian's Chromium: no critical and no serious violation, and no
JavaScript console error or page error on the way (the fixture of tests/browser fails on those).

axe.min.js is vendored beside this file (README.md: version and licence), so nothing is fetched.
It is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
govern: the policy stays on, and a violation of it would show as a console error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from tests.security.demo import DEMO_PASSWORD, PRODUCT_SLUG, PROJECT_SLUG, Demo, seed

AXE = (Path(__file__).parent / "axe.min.js").read_text()
BLOCKING = ("critical", "serious")
ROLES = ("stella.staff", "product.manager", "project.manager", "stakeholder")


# Pages a role is not shown: the KPI form is for the product's editors, a new option for the
# project's, a sync for its two people.
NOT_SHOWN = {
    "stella.staff": {"new option"},
    "product.manager": {"new option"},
    "project.manager": {"KPI form"},
    "stakeholder": {"KPI form", "sync meeting", "new option"},
}


def pages(demo: Demo, role: str) -> dict[str, str]:
    """The main pages the role reads, by what a person would call them."""
    product = {"slug": PRODUCT_SLUG}
    project = {"slug": PROJECT_SLUG}
    roadmap = reverse("products:roadmap", kwargs=product)
    every = {
        "dashboard": reverse("dashboard"),
        "registry": reverse("ownership:index"),
        "asset page": reverse("ownership:asset", kwargs={"slug": demo.asset.slug}),
        "products list": reverse("products:index"),
        "product page (KPI cards)": reverse("products:detail", kwargs=product),
        "roadmap board": f"{roadmap}?view=board",
        "roadmap table": f"{roadmap}?view=table",
        "roadmap item": reverse("products:item", kwargs={**product, "item_id": demo.item.pk}),
        "hypotheses": reverse("products:hypotheses", kwargs=product),
        "KPI form": reverse("products:kpi_edit", kwargs={**product, "kpi_id": demo.kpi.pk}),
        "projects list": reverse("projects:index"),
        "project overview": reverse("projects:detail", kwargs=project),
        "scope": reverse("projects:scope", kwargs=project),
        "timeline": reverse("projects:timeline", kwargs=project),
        "budget": reverse("projects:budget", kwargs=project),
        "changes": reverse("projects:changes", kwargs=project),
        "change request": reverse(
            "projects:change", kwargs={**project, "number": demo.change.number}
        ),
        "new option": reverse(
            "projects:option_add", kwargs={**project, "number": demo.change.number}
        ),
        "risks": reverse("projects:risks", kwargs=project),
        "sync list": reverse("alignment:index"),
        "sync meeting": reverse("alignment:meeting", kwargs={"pk": demo.meeting.pk}),
        "notifications": reverse("activity:inbox"),
        "search results": reverse("activity:search") + "?q=email",
        "sync profile": reverse("alignment:profile"),
        "API tokens": reverse("integrations:tokens"),
    }
    return {name: path for name, path in every.items() if name not in NOT_SHOWN.get(role, ())}


def run_axe(page) -> list[dict]:
    """axe's violations on the page as it stands, each with its nodes' selectors."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary,
                                          html: n.html.slice(0, 200)})),
            }));
        }"""
    )


def describe(where: str, violations: list[dict]) -> list[str]:
    lines = []
    for v in violations:
        if v["impact"] not in BLOCKING:
            continue
        for node in v["nodes"]:
            lines.append(
                f"{where}: {v['impact']} {v['id']} ({v['help']}) at {node['target']}: "
                f"{node['html']} -- {node['summary']}"
            )
    return lines


def visit(session, path: str) -> tuple[int, list[dict]]:
    response = session.page.goto(f"{session.base_url}{path}")
    session.page.wait_for_load_state("networkidle")
    return response.status, run_axe(session.page)


@pytest.mark.postgresql
@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_has_no_serious_or_critical_violation(open_browser, role):
    demo = seed()
    session = open_browser()
    failed: list[str] = []  # any answer >= 400, the page's own or a request it made
    session.page.on(
        "response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    session.login(role, DEMO_PASSWORD)
    found: list[str] = []
    for name, path in pages(demo, role).items():
        status, violations = visit(session, path)
        found += describe(f"{role} on {name} ({path}, {status})", violations)
    print(f"\n{role}: {len(pages(demo, role))} pages, {len(found)} violations, failed {failed}")
    # axe checked the pages themselves, not an error page.
    problems = failed + found
    assert not problems, "\n".join(problems)


@pytest.mark.postgresql
def test_sign_in_with_and_without_an_error_has_no_serious_or_critical_violation(open_browser):
    seed()
    session = open_browser()
    found: list[str] = []
    status, violations = visit(session, reverse("login"))
    assert status == 200
    found += describe("sign-in", violations)
    # A wrong password: the form shown again with its error.
    session.page.fill("input[name=username]", "product.manager")
    session.page.fill("input[name=password]", "not-the-password")
    session.page.click("button[type=submit]")
    session.page.wait_for_load_state("networkidle")
    assert session.page.locator(".errorlist, [role=alert], .error").count() > 0
    found += describe("sign-in with an error", run_axe(session.page))
    assert not found, "\n".join(found)


def test_axe_finds_a_serious_violation_when_there_is_one(open_browser, live_server):
    """The check can fail: a button with no name and text too faint to read are reported."""
    session = open_browser()
    session.page.goto(f"{live_server.url}{reverse('login')}")
    session.page.evaluate(
        """() => {
            const b = document.createElement("button");
            document.querySelector("main, body").appendChild(b);
            const p = document.createElement("p");
            p.textContent = "faint";
            p.style.color = "#eee";
            p.style.background = "#fff";
            document.querySelector("main, body").appendChild(p);
        }"""
    )
    ids = {v["id"] for v in run_axe(session.page) if v["impact"] in BLOCKING}
    assert {"button-name", "color-contrast"} <= ids, ids
