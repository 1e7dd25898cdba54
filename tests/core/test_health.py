from __future__ import annotations

import pytest
from django.db import connections


def test_healthz_answers_ok_when_database_and_broker_answer(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_says_broker_not_configured_without_redis(client, db, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "not configured"}


def test_healthz_answers_503_naming_the_broker_when_redis_is_unreachable(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")


@pytest.fixture
def unreachable_database(django_db_blocker):
    """Point the default connection at a closed port: a real refused connection."""
    with django_db_blocker.unblock():
        conn = connections["default"]
        conn.close()
        saved = conn.settings_dict["PORT"]
        conn.settings_dict["PORT"] = "1"
        try:
            yield
        finally:
            conn.close()
            conn.settings_dict["PORT"] = saved


def test_healthz_answers_503_naming_the_database_when_postgres_is_unreachable(
    client, unreachable_database
):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"].startswith("error")
    assert body["broker"] == "ok"


def test_healthz_is_public_and_never_cached(client, db):
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
