"""The access matrix of the pages, over the API: every operation of /api/openapi.json, called
by the product's owner, its editor, the project's manager, a stakeholder, an outsider and staff
(each with a read-write token) on the demo's objects. Whoever the pages refuse gets 403 (404
for a sync, private to its two people), never private data, and nothing changes; whoever the
pages allow is never refused. Writes that pass are rolled back."""

from __future__ import annotations

import json
import re

import pytest
from django.db import transaction
from django.test import Client

from roleplan.integrations.api import api
from roleplan.integrations.services import token_create
from tests.integrations.test_openapi import real_objects
from tests.security import snapshot
from tests.security.conftest import demo  # noqa: F401 - the seeded demo, once per module

pytestmark = pytest.mark.postgresql  # the snapshot reads PostgreSQL's catalogue

ROLES = [
    "stella.staff",
    "product.manager",
    "dana.kim",
    "project.manager",
    "stakeholder",
    "oscar.outsider",
]
# Who may write, by the first segment of the path (the pages' rules: products and assets to
# their owner and editors, projects to their manager and editors, staff everywhere).
WRITERS = {
    "products": {"stella.staff", "product.manager", "dana.kim"},
    "projects": {"stella.staff", "project.manager"},
    "assets": {"stella.staff", "product.manager"},
}
# Operations whose own rule differs from their app's.
SPECIAL = {
    ("POST", "/api/v1/assets"): set(ROLES),  # everyone registers processes and systems
    ("POST", "/api/v1/assets/{slug}/confirmation"): {"product.manager"},  # the owner only
    ("POST", "/api/v1/projects/{slug}/change-requests"): {
        "product.manager",
        "project.manager",
        "stella.staff",
    },
    ("POST", "/api/v1/projects/{slug}/change-requests/{number}/decision"): {"product.manager"},
    ("POST", "/api/v1/projects/{slug}/change-requests/{number}/withdraw"): {"product.manager"},
}
SYNC_PEOPLE = {"stella.staff", "product.manager", "project.manager"}
BODIES = {
    ("POST", "/api/v1/products"): {"name": "Matrix", "owner": 1},
    ("POST", "/api/v1/projects"): {"name": "Matrix"},
    ("POST", "/api/v1/assets"): {"kind": "process", "name": "Matrix process", "owner": 1},
    ("POST", "/api/v1/products/{slug}/kpis/{kpi_id}/measurements"): {
        "date": "2026-01-05",
        "value": 3,
    },
    ("POST", "/api/v1/products/{slug}/roadmap-items/{item_id}/move"): {"horizon": "later"},
    ("POST", "/api/v1/products/{slug}/hypotheses/{hypothesis_id}/status"): {"status": "running"},
    ("POST", "/api/v1/projects/{slug}/change-requests"): {
        "title": "T",
        "description": "D",
        "why": "W",
    },
    ("POST", "/api/v1/projects/{slug}/change-requests/{number}/decision"): {"rationale": "Why"},
    ("POST", "/api/v1/assets/{slug}/handover"): {"new_owner": 1, "reason": "Matrix"},
}


def operations() -> list[tuple[str, str]]:
    document = api.get_openapi_schema()
    return [(m.upper(), p) for p, ops in document["paths"].items() for m in ops]


def concrete(path: str, objects: dict) -> str:
    segments = path.strip("/").split("/")

    def fill(match: re.Match) -> str:
        name = match.group(1)
        before = segments[segments.index("{" + name + "}") - 1]
        for key in (f"{before}:{name}", f"{segments[2]}:{name}", name):
            if key in objects:
                return str(objects[key])
        raise KeyError(name)

    return re.sub(r"\{(\w+)\}", fill, path)


# Registering products and starting projects: the planner permission (ownership.plan).
PLANNING = {("POST", "/api/v1/products"), ("POST", "/api/v1/projects")}


def allowed(method: str, path: str, role: str, planners: set[str]) -> bool:
    if (method, path) in PLANNING:
        return role in planners
    if "sync-meetings/{pk}" in path:
        return role in SYNC_PEOPLE
    if method == "GET":
        return True
    if (method, path) in SPECIAL:
        return role in SPECIAL[(method, path)]
    return role in WRITERS[path.split("/")[3]]


def test_every_operation_refuses_whoever_the_pages_refuse_and_leaks_nothing(db, demo):  # noqa: F811
    from products.access import can_plan

    objects = real_objects(demo)
    planners = {role for role in ROLES if can_plan(demo.users[role])}
    markers = [demo.markers["sync"], demo.markers["action"], demo.markers["decision"]]
    problems: list[str] = []
    counts = {"allowed": 0, "refused": 0, "calls": 0}
    for role in ROLES:
        user = demo.users[role]
        _token, text = token_create(user=user, name="matrix", can_write=True)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {text}")
        before = snapshot.take()
        for method, template in operations():
            path = concrete(template, objects)
            body = json.dumps(BODIES.get((method, template), {}))
            version = objects.get("version", 1)
            with transaction.atomic():
                response = client.generic(
                    method,
                    path,
                    body,
                    content_type="application/json",
                    HTTP_IF_MATCH=f'"{version}"',
                )
                transaction.set_rollback(True)
            counts["calls"] += 1
            text_body = response.content.decode(errors="replace")
            if allowed(method, template, role, planners):
                counts["allowed"] += 1
                if response.status_code in {401, 403, 404} and not (
                    response.status_code == 404 and method == "DELETE"
                ):
                    problems.append(f"{role} {method} {path}: refused {response.status_code}")
                continue
            counts["refused"] += 1
            expected = {404} if "sync-meetings" in template else {403}
            if response.status_code not in expected:
                problems.append(f"{role} {method} {path}: {response.status_code}, not {expected}")
            problems += [f"{role} {method} {path} shows {m}" for m in markers if m in text_body]
        listed = client.get("/api/v1/sync-meetings?per_page=100").content.decode()
        if role not in SYNC_PEOPLE:
            problems += [f"{role} sees {m} in the sync list" for m in markers if m in listed]
        # Rows, not sequences: the allowed writes were rolled back, their ids stay taken.
        changes = [
            d
            for d in snapshot.differences(before, snapshot.take())
            if "apitoken" not in d and not d.startswith("sequence ")
        ]
        if changes:
            problems.append(f"{role}: the database changed: {changes}")
    print(f"API access matrix: {counts}")
    assert counts["refused"] > 150
    assert not problems, "\n".join(problems[:40])
