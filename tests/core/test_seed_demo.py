from __future__ import annotations

import io
import json

from django.contrib.auth.models import User
from django.core.management import call_command

EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]


def snapshot() -> list[dict]:
    out = io.StringIO()
    call_command("dumpdata", exclude=EXCLUDED, stdout=out)
    rows = json.loads(out.getvalue())
    return sorted(rows, key=lambda r: (r["model"], str(r["pk"])))


def test_seed_demo_creates_the_three_demo_users(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    for username in ("product.manager", "project.manager", "stakeholder"):
        assert User.objects.get(username=username).check_password("demo-password-for-tests")


def test_seed_demo_twice_changes_nothing(db, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-for-tests")
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == first
    assert len(first) > 0


def test_seed_demo_without_password_prints_a_generated_one_once(db, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    text = out.getvalue()
    assert "created with the password:" in text
    password = text.split("created with the password:")[1].split()[0]
    assert User.objects.get(username="product.manager").check_password(password)

    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert "password" not in again.getvalue()
    assert User.objects.get(username="product.manager").check_password(password)
