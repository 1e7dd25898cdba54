"""Content-Security-Policy on every answer, and pages that need nothing it forbids."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.security.demo import routes
from tests.security.html import active_content


def policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def answers(client, demo, username: str | None):
    """(route, response) for every route of the demo, as `username` (None: signed out)."""
    if username:
        client.force_login(demo.users[username])
    for route in routes(demo):
        yield route, client.get(route.path)


def check_policy(path: str, header: str | None) -> None:
    assert header, f"{path} answered without a CSP"
    p = policy(header)
    scripts = p.get("script-src", p["default-src"])
    assert scripts == ["'self'"], (path, header)
    assert p["default-src"] == ["'self'"]
    assert p["style-src"] == ["'self'"]
    assert p["img-src"] == ["'self'", "data:"]
    assert p["frame-ancestors"] == ["'none'"]
    assert p["form-action"] == ["'self'"]
    assert p["object-src"] == ["'none'"]
    assert p["base-uri"] == ["'none'"]
    assert "'unsafe-eval'" not in header
    # Inline style *attributes* only (projects' progress bars), never style elements.
    assert [d for d, v in p.items() if "'unsafe-inline'" in v] == ["style-src-attr"]


# Staff see every edit form; the product manager also the forms only a product owner gets;
# signed out, the sign-in pages and the redirects to them.
@pytest.mark.parametrize("username", ["stella.staff", "product.manager", None])
def test_every_answer_has_the_policy_and_no_page_needs_inline_script(client, db, demo, username):
    offences = []
    answered = pages = 0
    for route, response in answers(client, demo, username):
        check_policy(route.path, response.get("Content-Security-Policy"))
        answered += 1
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        partial = client.get(route.path, HTTP_HX_REQUEST="true")
        check_policy(route.path, partial.get("Content-Security-Policy"))
        for html in (response.content.decode(), partial.content.decode()):
            offences += [f"{route.path}: {o}" for o in active_content(html)]
        pages += 1
    assert answered > 100
    assert pages > (30 if username else 2)
    assert not offences, "\n".join(offences)


def test_htmx_runs_without_eval_and_without_its_indicator_style_element(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    html = client.get("/").content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert meta, "base.html configures htmx in a meta tag"
    config = json.loads(meta.group(1))
    assert config["allowEval"] is False
    assert config["includeIndicatorStyles"] is False
    assert {"code": "409", "swap": True} in config["responseHandling"]
    # htmx itself is a static file, not inline.
    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js"', html)


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted(p for p in (ROOT / "static" / "js").rglob("*.js") if "vendor" not in p.parts)

# What would need 'unsafe-inline' or 'unsafe-eval' in a template: inline handlers, inline
# scripts, javascript: URLs, and the htmx features that evaluate strings.
FORBIDDEN_IN_TEMPLATES = {
    "inline event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "hx-on": re.compile(r"\shx-on[:\-=]"),
    "hx-vars": re.compile(r"\shx-vars="),
    "js: in hx-vals": re.compile(r"hx-vals=(['\"])\s*js:"),
    "hx-trigger filter": re.compile(r"hx-trigger=(['\"])[^'\"]*\["),
}
FORBIDDEN_IN_SCRIPTS = {
    "eval": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\("),
    "string timer": re.compile(r"set(?:Timeout|Interval)\s*\(\s*['\"]"),
    "style attribute": re.compile(r"setAttribute\(\s*['\"]style['\"]"),
    "innerHTML with handlers": re.compile(r"innerHTML\s*=.*\son[a-z]+="),
}


def is_email(path: Path) -> bool:
    # Emails are read in mail clients, not under the site's CSP, and need inline styles.
    return "email" in path.relative_to(ROOT / "templates").parts


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_uses_nothing_the_policy_forbids(path):
    if is_email(path):
        assert "<script" not in path.read_text()
        return
    text = path.read_text()
    found = [label for label, pattern in FORBIDDEN_IN_TEMPLATES.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(ROOT)}: {found}"


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_script_uses_nothing_the_policy_forbids(path):
    text = path.read_text()
    found = [label for label, pattern in FORBIDDEN_IN_SCRIPTS.items() if pattern.search(text)]
    assert not found, f"{path.relative_to(ROOT)}: {found}"


def test_the_scanners_catch_what_they_look_for():
    samples = {
        "inline event handler": '<button onclick="go()">',
        "inline <script>": "<script>alert(1)</script>",
        "javascript: URL": '<a href="javascript:alert(1)">',
        "hx-on": '<div hx-on:click="x()">',
        "hx-vars": '<div hx-vars="a:1">',
        "js: in hx-vals": "<div hx-vals='js:{a: 1}'>",
        "hx-trigger filter": "<input hx-trigger=\"keyup[key=='Enter']\">",
    }
    for label, sample in samples.items():
        assert FORBIDDEN_IN_TEMPLATES[label].search(sample), label
    assert not FORBIDDEN_IN_TEMPLATES["inline <script>"].search('<script src="/x.js" defer>')
    assert active_content('<img src=x onerror=alert(1)><a href=" JaVa\nscript:x">') == [
        "<img onerror='alert(1)'>",
        "<a href=' JaVa\\nscript:x'>",
    ]
    assert active_content('<p title="onclick=alert(1)">&lt;script&gt;</p>') == []
