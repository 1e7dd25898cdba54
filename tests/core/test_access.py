"""Every page requires a signed-in user, except the few that must not."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# Pages an anonymous visitor may open: signing in, resetting a password, the health check.
PUBLIC = {
    "login",
    "healthz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "admin:login",
    "alignment:calendar_feed",  # the secret token in the address is the credential
    "alignment:unsubscribe",  # RFC 8058: the signed token in the address is the credential
    "alignment:resubscribe",
    "api:openapi-json",  # the API's description and its docs page carry no data
    "api:openapi-view",
    "api:api-root",
}


def walk(resolver: URLResolver, prefix: str = "", namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}{entry.namespace}:"
            yield from walk(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield (
                f"{namespace}{entry.name}" if entry.name else None,
                prefix + str(entry.pattern),
                entry,
            )


def sample_path(route: str, entry: URLPattern) -> str:
    """A concrete path for a route, with placeholder values for its converters."""
    import re

    if route.startswith("^") or "(?P" in route:  # regex patterns (admin)
        path = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", route)
        path = path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
        path = re.sub(r"\(\?:[^)]*\)\??", "", path)
        return "/" + path
    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", route)


ROUTES = [(name, route, entry) for name, route, entry in walk(get_resolver())]


@pytest.mark.parametrize(("name", "route", "entry"), ROUTES, ids=[n or r for n, r, _ in ROUTES])
def test_anonymous_visitor_is_sent_to_sign_in(client, db, name, route, entry):
    path = sample_path(route, entry)
    response = client.get(path)
    if name in PUBLIC:
        assert response.status_code in {200, 302, 404, 405}, path
        if response.status_code == 302:
            assert "login" not in response["Location"], path
        return
    if name and name.startswith("api:"):
        # The JSON API authenticates by itself (a token, or the session): 401, no sign-in page.
        assert response.status_code in {401, 405}, f"{path} answered {response.status_code}"
        assert response["Content-Type"] == "application/problem+json", path
        return
    assert response.status_code == 302, f"{path} answered {response.status_code}"
    location = response["Location"]
    assert location.startswith(("/accounts/login/", "/admin/login/")), (path, location)


def test_sign_in_page_uses_standard_fields(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_signed_in_user_sees_dashboard_with_navigation(client, viewer):
    client.force_login(viewer)
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("Dashboard", "Products", "Projects", "Ownership", "Sync", "Log out"):
        assert label in html
    assert 'hx-headers=\'{"x-csrftoken"' in html
    assert "htmx" in html


def test_login_then_logout(client, viewer):
    from tests.factories import PASSWORD

    response = client.post("/accounts/login/", {"username": viewer.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_message_and_keeps_username(client, viewer):
    response = client.post("/accounts/login/", {"username": viewer.username, "password": "nope"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please enter a correct username and password" in html
    assert f'value="{viewer.username}"' in html


def test_password_change_page(client, viewer):
    from tests.factories import PASSWORD

    client.force_login(viewer)
    assert client.get("/accounts/password_change/").status_code == 200
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-longer-secret-42",
            "new_password2": "a-much-longer-secret-42",
        },
    )
    assert response.status_code == 302
    viewer.refresh_from_db()
    assert viewer.check_password("a-much-longer-secret-42")
