"""`manage.py check --deploy` with production settings, and the HTTPS switch, in subprocesses so
the settings module reads a production environment from scratch."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.contrib.auth.models import User

from tests.conftest import ROOT, worker_env

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "HTTPS": "1",
    "ALLOWED_HOSTS": "roleplan.example.com",
}


def environment(**env: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        # DJANGO_ALLOW_ASYNC_UNSAFE is set for the browser tests only (tests/browser/conftest.py)
        if k not in {"SECRET_KEY", "DEBUG", "HTTPS", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        and not k.startswith("SECURE_")
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="roleplan.settings")
    return clean


def deploy_check(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_passes_with_production_settings():
    result = deploy_check(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_without_https():
    result = deploy_check(**{**PRODUCTION, "HTTPS": "0"})
    assert result.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_deploy_check_fails_with_a_short_secret_key():
    result = deploy_check(**{**PRODUCTION, "SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_deploy_check_fails_with_debug_on():
    result = deploy_check(**{**PRODUCTION, "DEBUG": "1"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr


# Requests answered by the production configuration: the HTTPS switch on, as behind the proxy.
# Static files are served from the source folders and passwords hashed as in the other tests
# (tests/conftest.py), so no collectstatic is needed and the test user can sign in.
PROBE = """
import json, django
from django.conf import settings
settings.STORAGES = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
django.setup()
from django.test import Client
out = {}
http = Client()
r = http.get("/accounts/login/")
out["http_login"] = [r.status_code, r.get("Location", "")]
r = http.get("/healthz")
out["http_healthz"] = r.status_code
c = Client(HTTP_X_FORWARDED_PROTO="https")
r = c.get("/accounts/login/")
out["https_login"] = r.status_code
out["hsts"] = r.get("Strict-Transport-Security", "")
out["csp"] = r.get("Content-Security-Policy", "")
out["csrf_cookie"] = dict(r.cookies["csrftoken"].items())
r = c.post("/accounts/login/", {"username": "cookie.probe", "password": "a-long-password-42"})
out["signed_in"] = [r.status_code, r.get("Location", "")]
out["session_cookie"] = dict(r.cookies["sessionid"].items())
print(json.dumps(out))
"""


@pytest.mark.postgresql  # production settings in a subprocess, on the deployment's database
@pytest.mark.django_db(transaction=True)
def test_https_switch_gives_secure_http_only_same_site_cookies_hsts_and_a_redirect():
    from django.db import connection

    User.objects.create_user("cookie.probe", password="a-long-password-42")
    database_url = worker_env(connection.settings_dict["NAME"])["DATABASE_URL"]
    env = environment(
        **{**PRODUCTION, "ALLOWED_HOSTS": "testserver"},
        DATABASE_URL=database_url,
        DB_CONN_MAX_AGE="0",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])

    # Plain HTTP is sent to HTTPS, except the health check that load balancers call.
    assert out["http_login"] == [301, "https://testserver/accounts/login/"]
    assert out["http_healthz"] == 200
    assert out["https_login"] == 200
    assert out["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in out["csp"]
    for cookie in ("csrf_cookie", "session_cookie"):
        flags = out[cookie]
        assert flags["secure"] is True, cookie
        assert flags["httponly"] is True, cookie
        assert flags["samesite"] == "Lax", cookie
    assert out["signed_in"] == [302, "/"]


def test_make_run_settings_keep_cookies_usable_over_plain_http():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment(DEBUG="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        False,
        False,
        False,
        0,
        True,
        True,
    ]
