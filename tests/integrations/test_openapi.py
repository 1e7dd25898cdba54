"""A client no one here wrote can use the API: /api/openapi.json is a valid OpenAPI 3 document,
and schemathesis, generating requests from it against a live server (with a staff token that
may read and write), finds no 5xx and no answer the document does not describe (status, media
type, body schema, headers). Bounded: a few examples per operation."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from roleplan.integrations.services import token_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES_PER_OPERATION = 8


def test_the_openapi_document_is_valid_openapi_3(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    validate(document)
    operations = sum(len(ops) for ops in document["paths"].values())
    assert operations >= 70
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            errors = {code for code in op["responses"] if code.startswith("4")}
            assert {"401", "404", "422", "429"} <= errors, (method, path)
            for code in errors:
                assert "application/problem+json" in op["responses"][code]["content"]


def test_the_docs_page_is_served_from_local_files(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    # Shipped with django-ninja and collected with the other static files: nothing from a CDN.
    assert finders.find("ninja/swagger-ui-bundle.js")
    assert finders.find("ninja/swagger-ui.css")


def real_objects(demo) -> dict[str, object]:
    """The demo's objects by path parameter (and the segment before it, for `pk`), so that
    generated requests reach the services instead of stopping at 404."""
    from products.models import Hypothesis

    return {
        "products:slug": demo.product.asset.slug,
        "projects:slug": demo.project.slug,
        "assets:slug": demo.asset.slug,
        "kpi_id": demo.kpi.pk,
        "measurement_id": demo.measurement.pk,
        "item_id": demo.item.pk,
        "hypothesis_id": Hypothesis.objects.filter(product=demo.product).first().pk,
        "risk_id": demo.product_risk.pk,
        "deliverables:pk": demo.deliverable.pk,
        "milestones:pk": demo.milestone.pk,
        "cost-lines:pk": demo.cost.pk,
        "risks:pk": demo.project_risk.pk,
        "options:pk": demo.option.pk,
        "sync-meetings:pk": demo.meeting.pk,
        "change-requests:number": demo.change.number,
        "baselines:number": 1,
    }


def with_real_objects(case, objects: dict[str, object]) -> None:
    segments = case.path.strip("/").split("/")
    for name in list(case.path_parameters or {}):
        before = segments[segments.index("{" + name + "}") - 1]
        root = segments[2] if len(segments) > 2 else ""
        for key in (f"{before}:{name}", f"{root}:{name}", name):
            if key in objects:
                case.path_parameters[name] = objects[key]
                break


def checked(operation, base_url: str, headers: dict, failures: list, statuses: dict, objects: dict):
    """A hypothesis test of one operation: each generated request sent and its answer checked;
    failures recorded by operation."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        with_real_objects(case, objects)
        response = case.call(base_url=base_url, headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
            raise

    return run


@pytest.mark.postgresql  # about two minutes against a live server: run once, in the first pass
def test_schemathesis_finds_no_server_error_and_no_undescribed_answer(
    live_server, transactional_db, django_db_blocker
):
    from tests.security.demo import seed

    with django_db_blocker.unblock():
        demo = seed()
        _token, text = token_create(user=demo.users["staff"], name="schemathesis", can_write=True)
        objects = real_objects(demo)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/openapi.json")
    headers = {"Authorization": f"Bearer {text}"}
    failures: list[str] = []
    statuses: dict[int, int] = {}
    tested = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1

        run = checked(operation, live_server.url, headers, failures, statuses, objects)
        try:
            run()
        except Exception:
            if not failures or not failures[-1].startswith(operation.label):
                raise  # not a check's failure: the test itself is broken
    print(f"schemathesis: {tested} operations, answers by status {sorted(statuses.items())}")
    assert tested >= 70
    assert sum(statuses.values()) >= tested * 3, statuses
    assert 200 in statuses, "reads got through to the data"
    assert 201 in statuses, "writes got through to the services"
    assert not failures, "\n".join(failures[:20])
