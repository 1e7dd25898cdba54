"""No state change over GET: every URL pattern, requested with GET (plain and as htmx) by each
role on the demo data, leaves every table and sequence as it was."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.security import snapshot
from tests.security.demo import ROLES, Demo, routes


def walk_with_get(client, demo: Demo) -> tuple[list[str], int]:
    """GET every route, plain and with HX-Request; the changes seen, and the number of GETs."""
    changed: list[str] = []
    requests = 0
    before = snapshot.take()
    for route in routes(demo):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(route.path, **headers)
            requests += 1
            assert response.status_code < 500, (route.path, headers, response.status_code)
        after = snapshot.take()
        diff = snapshot.differences(before, after)
        if diff:
            changed.append(f"GET {route.path} [{route.name}]: {'; '.join(diff)}")
            before = after
    return changed, requests


@pytest.mark.parametrize("role", ROLES)
def test_get_requests_change_nothing_in_the_database(client, db, demo, role):
    if role != "anonymous":
        client.force_login(demo.users[role])
    changed, requests = walk_with_get(client, demo)
    assert requests > 200
    assert not changed, "\n".join(changed)


def test_the_snapshot_sees_a_changed_row_a_new_row_and_a_moved_sequence(db):
    user = User.objects.create_user("someone")
    before = snapshot.take()
    User.objects.filter(pk=user.pk).update(first_name="Changed")
    after_update = snapshot.take()
    assert snapshot.differences(before, after_update) == ["auth_user: rows changed"]

    created = User.objects.create_user("someone.else")
    created_pk = created.pk
    created.delete()
    after_insert_and_delete = snapshot.take()
    assert snapshot.differences(after_update, after_insert_and_delete) == [
        f"sequence auth_user_id_seq: {after_update['sequence auth_user_id_seq'][0]} -> {created_pk}"
    ]


def test_the_snapshot_ignores_sign_in_bookkeeping(client, db):
    user = User.objects.create_user("someone", password="a-long-password-1")
    before = snapshot.take()
    response = client.post(
        "/accounts/login/", {"username": "someone", "password": "a-long-password-1"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.last_login is not None
    assert snapshot.differences(before, snapshot.take()) == []
