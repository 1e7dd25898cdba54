"""Sign-in throttling (django-axes): a cool-off per username and address, never a permanent lock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client

from roleplan.throttling import client_ip
from tests.factories import PASSWORD, UserFactory

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LOGIN = "/accounts/login/"


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int, **extra) -> list[int]:
    return [sign_in(client, username, "wrong-password", **extra).status_code for _ in range(times)]


@pytest.fixture
def priya(db):
    return UserFactory(username="priya")


def test_five_wrong_passwords_lock_the_username_with_429_and_say_when_to_try_again(client, priya):
    with time_machine.travel(START, tick=False):
        assert fail(client, "priya", 4) == [200, 200, 200, 200]
        response = sign_in(client, "priya", "wrong-password")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Signing in is paused" in html
    assert "5 wrong passwords in a row for <strong>priya</strong>" in html
    assert "Try again at" in html
    assert ">09:15 UTC<" in html
    assert "in about 15 minutes" in html
    assert response["Retry-After"] == "900"
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_right_password_is_refused_during_the_cool_off(client, priya):
    with time_machine.travel(START, tick=False):
        fail(client, "priya", 5)
    with time_machine.travel(START + timedelta(minutes=14), tick=False):
        response = sign_in(client, "priya", PASSWORD)
        assert "_auth_user_id" not in client.session
    assert response.status_code == 429


def test_the_right_password_works_after_the_cool_off_and_clears_the_count(client, priya):
    with time_machine.travel(START, tick=False):
        fail(client, "priya", 5)
    with time_machine.travel(START + timedelta(minutes=15, seconds=1), tick=False):
        response = sign_in(client, "priya", PASSWORD)
        assert client.session["_auth_user_id"] == str(priya.pk)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not AccessAttempt.objects.filter(username="priya").exists()


def test_tries_during_the_lock_do_not_extend_it(client, priya):
    with time_machine.travel(START, tick=False):
        fail(client, "priya", 5)
    with time_machine.travel(START + timedelta(minutes=10), tick=False):
        response = sign_in(client, "priya", "wrong-password")
    assert response.status_code == 429
    assert ">09:15 UTC<" in response.content.decode()
    assert response["Retry-After"] == "300"
    with time_machine.travel(START + timedelta(minutes=15, seconds=1), tick=False):
        assert sign_in(client, "priya", PASSWORD).status_code == 302


def test_a_success_resets_the_failures(client, priya):
    assert fail(client, "priya", 4) == [200] * 4
    assert sign_in(client, "priya", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    assert fail(client, "priya", 4) == [200] * 4
    assert sign_in(client, "priya", PASSWORD).status_code == 302


def test_the_lock_holds_one_username_from_one_address_only(client, priya):
    UserFactory(username="marco")
    fail(client, "priya", 5)
    assert sign_in(client, "priya", PASSWORD).status_code == 429
    # Someone else at the same address signs in.
    assert sign_in(Client(), "marco", PASSWORD).status_code == 302
    # Priya from another address signs in.
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")
    assert sign_in(elsewhere, "priya", PASSWORD).status_code == 302


def test_the_lockout_page_shows_a_hostile_username_as_text(client, db):
    hostile = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
    fail(client, hostile, 4)
    response = sign_in(client, hostile, "wrong-password")
    assert response.status_code == 429
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_username_longer_than_any_account_is_refused_and_counted_without_an_error(client, db):
    # Django's sign-in form leaves the length to the browser (maxlength); axes stores the name.
    very_long = "<script>" + "x" * 400
    assert fail(client, very_long, 4) == [200] * 4
    response = sign_in(client, very_long, "wrong-password")
    assert response.status_code == 429
    assert AccessAttempt.objects.get().username == very_long[:150]
    assert "&lt;script&gt;xxx" in response.content.decode()


def test_the_client_address_is_the_connection_without_trusted_proxies(rf, settings):
    settings.PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "10.0.0.5"


def test_behind_one_proxy_the_client_is_the_entry_that_proxy_appended(rf, settings):
    settings.PROXY_COUNT = 1
    forged_then_real = "198.51.100.1, 203.0.113.9"
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forged_then_real)
    assert client_ip(request) == "203.0.113.9"
    settings.PROXY_COUNT = 2
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR=forged_then_real)
    assert client_ip(request) == "198.51.100.1"


def test_a_missing_forwarded_header_falls_back_to_the_connection(rf, settings):
    settings.PROXY_COUNT = 2
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert client_ip(request) == "10.0.0.5"


def test_locking_by_forwarded_address_behind_a_proxy(client, priya, settings):
    settings.PROXY_COUNT = 1
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}
    fail(client, "priya", 5, **attacker)
    assert sign_in(client, "priya", PASSWORD, **attacker).status_code == 429
    # Priya herself comes through the same proxy from another address.
    assert (
        sign_in(Client(), "priya", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302
    )
