"""Hypothesis-generated text, XSS payloads included, submitted to every form of the app as a
person allowed to use it: never a 500, and wherever the text is shown afterwards (the answer,
the page it redirects to, the pages that list the object) nothing in it can run.

Each example opens the form's page first, takes the form as a browser would submit it (fresh
version numbers, the choices shown), fills the required fields it left blank, and puts one
generated value into one field. Examples run one after the other in the test's transaction,
so later ones meet what earlier ones saved.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.demo import DEMO_PASSWORD, Demo, app_value, named_patterns, params_of
from tests.security.html import Form, active_content, form_for

EXAMPLES_PER_FORM = 12

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "javascript:alert(1)",
    "[click](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '![x](x" onerror="alert(1))',
    "<iframe src=//example.com></iframe>",
    "<style>body{display:none}</style>",
    "<<script>script>alert(1)<</script>/script>",
    "{{ 7|add:7 }} {% now 'Y' %} {{ request.user.password }}",
    "</textarea><script>alert(1)</script>",
    '<div hx-get="/admin/" hx-trigger="load">x</div>',
    "' OR 1=1; DROP TABLE auth_user; --",
    "\x00",
    "nul\x00byte",
    "zero\u200bwidth \u202eright-to-left ﷽ 💥 Ünïcödé",
    "\r\n\r\n",
    " ",
]
payload = st.sampled_from(PAYLOADS)
text = st.one_of(
    payload,
    st.text(max_size=120),
    st.tuples(payload, st.text(max_size=40), payload).map("".join),
    st.tuples(payload, st.integers(min_value=100, max_value=3000)).map(lambda p: p[0] * p[1]),
)


@dataclass(frozen=True)
class FormSpec:
    id: str
    username: str | None  # None: signed out
    page: str  # the page that shows the form
    action: str | None  # where it submits; None: to the page itself
    shown: tuple[str, ...] = ()  # pages that show what was saved
    # Fields a later step adds (the handover's confirmation page posts confirm=yes).
    extra: tuple[tuple[str, str], ...] = ()


SPECS = [
    FormSpec("asset-create", "stella.staff", "ownership:create", None, ("ownership:index",)),
    FormSpec("asset-edit", "product.manager", "ownership:edit", None, ("ownership:asset",)),
    FormSpec(
        "handover",
        "stella.staff",
        "ownership:handover",
        None,
        ("ownership:asset",),
        (("confirm", "yes"),),
    ),
    FormSpec("product-create", "stella.staff", "products:create", None, ("products:index",)),
    FormSpec("product-edit", "product.manager", "products:edit", None, ("products:detail",)),
    FormSpec(
        "roadmap-item-create",
        "product.manager",
        "products:roadmap",
        "products:item_create",
        ("products:roadmap",),
    ),
    FormSpec("roadmap-item-edit", "product.manager", "products:item", None, ("products:roadmap",)),
    FormSpec("kpi-create", "product.manager", "products:kpi_create", None, ("products:detail",)),
    FormSpec("kpi-edit", "product.manager", "products:kpi_edit", None, ("dashboard",)),
    FormSpec(
        "product-risk-create", "product.manager", "products:risk_create", None, ("products:detail",)
    ),
    FormSpec(
        "product-risk-edit", "product.manager", "products:risk_edit", None, ("products:detail",)
    ),
    FormSpec("project-create", "stella.staff", "projects:create", None, ("projects:index",)),
    FormSpec("project-edit", "project.manager", "projects:edit", None, ("projects:detail",)),
    FormSpec(
        "deliverable-add",
        "project.manager",
        "projects:deliverable_add",
        None,
        ("projects:detail", "projects:timeline"),
    ),
    FormSpec(
        "deliverable-edit",
        "project.manager",
        "projects:deliverable_edit",
        None,
        ("projects:detail",),
    ),
    FormSpec(
        "milestone-add", "project.manager", "projects:milestone_add", None, ("projects:timeline",)
    ),
    FormSpec(
        "milestone-edit", "project.manager", "projects:milestone_edit", None, ("projects:detail",)
    ),
    FormSpec("cost-add", "project.manager", "projects:cost_add", None, ("projects:detail",)),
    FormSpec("cost-edit", "project.manager", "projects:cost_edit", None, ("projects:detail",)),
    FormSpec("project-risk-add", "project.manager", "projects:risks", "projects:risk_add", ()),
    FormSpec("project-risk-edit", "project.manager", "projects:risk_edit", None, ()),
    FormSpec("change-request", "product.manager", "projects:change_new", None, ()),
    FormSpec("option-add", "project.manager", "projects:option_add", None, ("projects:change",)),
    FormSpec("option-edit", "project.manager", "projects:option_edit", None, ("projects:change",)),
    FormSpec("sync-notes", "product.manager", "alignment:meeting", "alignment:notes", ()),
    FormSpec(
        "action-item",
        "product.manager",
        "alignment:meeting",
        "alignment:add_action",
        ("dashboard",),
    ),
    FormSpec("decision", "product.manager", "alignment:meeting", "alignment:add_decision", ()),
    FormSpec("series", "product.manager", "alignment:series", None, ("alignment:index",)),
    FormSpec("login", None, "login", None, ()),
]

counter = itertools.count(1)


PARAMS = {name: params_of(entry) for name, entry in named_patterns()}


def path(demo: Demo, name: str) -> str:
    namespace, _, short = name.rpartition(":")
    return reverse(name, kwargs={p: app_value(demo, namespace, short, p) for p in PARAMS[name]})


def baseline(form: Form) -> dict[str, str]:
    """The form as submitted, with required fields that were left blank filled plainly."""
    data = dict(form.fields)
    today = date.today()
    numbers = itertools.count(1)
    for name in [n for n in data if n in form.required]:  # in the form's order
        if data[name]:
            continue
        kind = form.types.get(name, "text")
        n = next(counter)
        if kind == "number":
            data[name] = str(next(numbers))
        elif kind == "date":
            start = "start" in name
            data[name] = (today if start else today + timedelta(days=60)).isoformat()
        elif kind == "select":
            data[name] = next((v for v in form.selects.get(name, []) if v), "")
        elif kind == "email":
            data[name] = f"fuzz{n}@example.com"
        else:
            data[name] = f"fuzz{n}"
    return data


def open_form(client, demo: Demo, spec: FormSpec) -> tuple[str, Form]:
    page = path(demo, spec.page)
    action = path(demo, spec.action) if spec.action else page
    response = client.get(page, follow=True)
    assert response.status_code == 200, (page, response.status_code)
    form = form_for(response.content.decode(), action, page=response.request["PATH_INFO"])
    assert form is not None, f"no form posting to {action} on {page}"
    return action, form


def inert(where: str, response) -> list[str]:
    if "html" not in response.get("Content-Type", ""):
        return []
    return [f"{where}: {o}" for o in active_content(response.content.decode(errors="replace"))]


def sign_in(client, demo: Demo, spec: FormSpec) -> None:
    client.logout()
    if spec.username:
        client.force_login(demo.users[spec.username])


@pytest.mark.parametrize("spec", [s for s in SPECS if s.id != "login"], ids=lambda s: s.id)
def test_the_form_accepts_plain_input_so_the_fuzzing_reaches_the_save(client, db, demo, spec):
    sign_in(client, demo, spec)
    action, form = open_form(client, demo, spec)
    response = client.post(action, {**baseline(form), **dict(spec.extra)})
    assert response.status_code == 302, (spec.id, response.status_code, response.content[-3000:])


# Every payload at once, in every text field: saved and shown (no NUL), or refused and shown
# back to the person who typed it (with NUL bytes, which no text column takes).
ALL_PAYLOADS = " ".join(p for p in PAYLOADS if "\x00" not in p)
WITH_NUL = "\x00<script>alert(1)</script>\x00cards-0\x00"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
@pytest.mark.parametrize("value", [ALL_PAYLOADS, WITH_NUL], ids=["payloads", "nul-bytes"])
def test_known_payloads_in_every_text_field_are_refused_or_shown_inert(
    client, db, demo, spec, value
):
    sign_in(client, demo, spec)
    problems = []
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        action, form = open_form(client, demo, spec)
        values = {**baseline(form), **dict(spec.extra)}
        for name in form.text_fields:
            values[name] = value
        response = client.post(action, values, **headers)
        assert response.status_code < 500, (spec.id, headers, response.status_code)
        problems += inert(f"POST {action} {headers}", response)
        pages = [path(demo, name) for name in spec.shown]
        if response.status_code == 302:
            pages.insert(0, response["Location"])
        for page in pages:
            shown = client.get(page)
            assert shown.status_code < 500, (spec.id, page, shown.status_code)
            problems += inert(page, shown)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
@settings(
    max_examples=EXAMPLES_PER_FORM,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
def test_generated_text_never_breaks_a_form_and_is_shown_inert(client, db, demo, spec, data):
    sign_in(client, demo, spec)
    action, form = open_form(client, demo, spec)
    values = {**baseline(form), **dict(spec.extra)}
    if spec.username is None:
        values.setdefault("password", DEMO_PASSWORD)
    fields = form.text_fields or [n for n in values if n != "csrfmiddlewaretoken"]
    anything = [n for n in values if n != "csrfmiddlewaretoken"]
    # The form's fields depend on what earlier examples saved, so the draw must not: Hypothesis
    # replays choices and refuses a strategy whose shape changes between examples.
    pool = data.draw(st.sampled_from(["text", "any"]), label="pool")
    candidates = fields if pool == "text" else anything
    field = candidates[
        data.draw(st.integers(min_value=0, max_value=999), label="field") % len(candidates)
    ]
    values[field] = data.draw(text, label="value")
    htmx = data.draw(st.booleans(), label="htmx")
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = client.post(action, values, **headers)
    assert response.status_code < 500, (spec.id, field, response.status_code)
    problems = inert(f"POST {action}", response)
    pages = [path(demo, name) for name in spec.shown]
    if response.status_code == 302:
        pages.insert(0, response["Location"])
    for page in pages:
        shown = client.get(page)
        assert shown.status_code < 500, (spec.id, page, shown.status_code)
        problems += inert(page, shown)
    assert not problems, "\n".join(problems)
