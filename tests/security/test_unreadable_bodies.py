"""A body that cannot be read as a form answers 400 with the app's error page, never 500, and
changes nothing: a form declared in another charset than UTF-8 (issue 17, D5), a malformed
multipart body, an unexpected content type, a field too big.

The CSRF check is enforced as in production (the test client skips it unless asked): it is the
CSRF middleware's read of request.POST, repeated by the 400 and 500 handlers, that turned D5
into a 500.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from tests.security.demo import DEMO_PASSWORD, PRODUCT_SLUG, Demo

ERROR_PAGE = "The request could not be read"
CHANGED = "changed by a body nobody could read"
# Sign-in bookkeeping and sessions may move on any request; everything else must not.
BOOKKEEPING = {"sessions.Session", "admin.LogEntry"}


def fingerprint() -> dict[str, list[tuple]]:
    """Every row of every table (sign-in bookkeeping aside), in key order."""
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.label not in BOOKKEEPING and model._meta.app_label != "axes"
    }


def signed_in(username: str | None, demo: Demo) -> Client:
    """A browser of this person with its CSRF cookie, the CSRF check enforced."""
    client = Client(enforce_csrf_checks=True)
    if username:
        client.force_login(demo.users[username])
    client.get(reverse("login") if username is None else reverse("dashboard"))
    return client


def post(client: Client, path: str, body: bytes, content_type: str):
    return client.generic(
        "POST",
        path,
        body,
        content_type=content_type,
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )


def utf16_form(fields: dict[str, str], token: str) -> bytes:
    """The form as a browser would send it, every text changed, in UTF-16."""
    data = {
        name: CHANGED if value and not value.isdigit() else value for name, value in fields.items()
    }
    data["csrfmiddlewaretoken"] = token
    return urlencode(data).encode("utf-16")


def assert_error_page(response, what: str) -> None:
    assert response.status_code == 400, (what, response.status_code)
    assert ERROR_PAGE in response.content.decode(), what
    assert "script-src 'self'" in response["Content-Security-Policy"], what


@pytest.mark.django_db
def test_a_form_declared_utf16_answers_400_on_every_post_form_and_sign_in(demo, demo_forms):
    targets = [(None, reverse("login"), {"username": "product.manager", "password": DEMO_PASSWORD})]
    targets += [(user, action, form.fields) for action, (user, form) in sorted(demo_forms.items())]
    clients = {username: signed_in(username, demo) for username, _, _ in targets}
    before = fingerprint()
    sent = []
    for username, action, fields in targets:
        client = clients[username]
        body = utf16_form(fields, client.cookies["csrftoken"].value)
        response = post(client, action, body, "application/x-www-form-urlencoded; charset=utf-16")
        assert_error_page(response, action)
        sent.append(action)
    assert len(sent) > 20, sent  # every form of the demo's pages, not a handful
    print(f"\n{len(sent)} POST endpoints answered 400 to a UTF-16 form")
    assert "_auth_user_id" not in clients[None].session  # the sign-in did not happen
    assert fingerprint() == before


# Bodies no form reader can make sense of, each with its Content-Type.
MALFORMED = {
    "a multipart body without a boundary": (b"--x\r\n\r\n", "multipart/form-data"),
    "a multipart body with an invalid boundary": (b"garbage", "multipart/form-data; boundary=\x01"),
    "a form declared Latin-1": (
        f"text={CHANGED}".encode("latin-1"),
        "application/x-www-form-urlencoded; charset=latin-1",
    ),
    "a field of 3 MB": (
        b"text=" + b"x" * 3_000_000,
        "application/x-www-form-urlencoded",
    ),  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
}
# Bodies that are readable but not a form: the view sees an empty form and refuses it.
NOT_A_FORM = {
    "JSON": (f'{{"text": "{CHANGED}", "notes": "{CHANGED}"}}'.encode(), "application/json"),
    "plain text": (f"text={CHANGED}&name={CHANGED}".encode(), "text/plain"),
    "XML": (f"<form><text>{CHANGED}</text></form>".encode(), "application/xml"),
}


def sample_endpoints(demo: Demo) -> list[tuple[Client, str]]:
    """Sign-in, a product form, a roadmap move, the sync notes: the browser of the person who
    posts there (signed in before the fingerprint: signing in stamps last_login), and where."""
    endpoints = [
        (None, reverse("login")),
        ("product.manager", reverse("products:edit", kwargs={"slug": PRODUCT_SLUG})),
        (
            "product.manager",
            reverse("products:item_move", kwargs={"slug": PRODUCT_SLUG, "item_id": demo.item.pk}),
        ),
        ("project.manager", reverse("alignment:notes", kwargs={"pk": demo.meeting.pk})),
    ]
    return [(signed_in(username, demo), path) for username, path in endpoints]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_a_malformed_body_answers_400_with_the_error_page_and_changes_nothing(demo, kind):
    body, content_type = MALFORMED[kind]
    endpoints = sample_endpoints(demo)
    before = fingerprint()
    for client, path in endpoints:
        response = post(client, path, body, content_type)
        assert_error_page(response, f"{kind} to {path}")
    assert fingerprint() == before


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(NOT_A_FORM))
def test_a_body_that_is_not_a_form_is_refused_without_a_5xx_and_changes_nothing(demo, kind):
    body, content_type = NOT_A_FORM[kind]
    endpoints = sample_endpoints(demo)
    before = fingerprint()
    for client, path in endpoints:
        response = post(client, path, body, content_type)
        assert response.status_code < 500, (kind, path, response.status_code)
        assert CHANGED not in response.content.decode(errors="replace")
    assert fingerprint() == before
