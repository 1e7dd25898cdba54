"""The API's conventions on the product side: tokens (read-only, revoked, expired), ETags and
If-Match (412 when stale, 428 when none), problem documents with field errors, pages with Link
headers, filters and ordering, the rate limit, and the session with CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from products.models import Product, RoadmapItem
from roleplan.integrations.models import ApiToken
from roleplan.integrations.services import token_create, token_revoke
from tests.factories import UserFactory
from tests.integrations.conftest import ApiClient, api_client_for
from tests.products.factories import make_item, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(owner, editor) -> Product:
    return make_product(owner=owner, editors=[editor])


def items_url(product: Product) -> str:
    return f"/api/v1/products/{product.asset.slug}/roadmap-items"


def test_a_request_without_a_token_answers_401_as_a_problem(client):
    response = client.get("/api/v1/products")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Not authenticated"


def test_a_revoked_or_expired_or_unknown_token_answers_401(owner):
    token, text = token_create(user=owner, name="old", can_write=True)
    assert ApiClient(text).get("/api/v1/products").status_code == 200
    token_revoke(token=token)
    revoked = ApiClient(text).get("/api/v1/products")
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]

    token, text = token_create(user=owner, name="short", expires_in_days=1)
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - timedelta(days=2), expires_at=now - timedelta(seconds=1)
    )
    expired = ApiClient(text).get("/api/v1/products")
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]
    assert ApiClient("rp_not-a-token").get("/api/v1/products").status_code == 401


def test_a_deactivated_persons_token_answers_401(owner):
    api = api_client_for(owner)
    owner.is_active = False
    owner.save()
    assert api.get("/api/v1/products").status_code == 401


def test_a_read_only_token_reads_but_cannot_write(product, owner):
    api = api_client_for(owner, write=False)
    assert api.get(items_url(product)).status_code == 200
    response = api.post(items_url(product), {"title": "Never"})
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert not RoadmapItem.objects.filter(title="Never").exists()


def test_a_token_records_when_it_was_last_used(owner):
    token, text = token_create(user=owner, name="seen")
    assert token.last_used_at is None
    ApiClient(text).get("/api/v1/products")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_an_item_answers_with_its_version_as_etag_and_a_write_needs_it(product, owner):
    item = make_item(product, title="Segments")
    api = api_client_for(owner)
    url = f"{items_url(product)}/{item.pk}"
    read = api.get(url)
    assert read.status_code == 200
    assert read["ETag"] == f'"{item.version}"'

    missing = api.patch(url, {"title": "No version"})
    assert missing.status_code == 428
    saved = api.patch(url, {"title": "Segments v2", "reach": 500}, if_match=read["ETag"])
    assert saved.status_code == 200, saved.content
    assert saved.json()["title"] == "Segments v2"
    assert saved.json()["rice_score"] is not None
    assert saved["ETag"] == f'"{item.version + 1}"'


def test_a_stale_write_answers_412_and_changes_nothing(product, owner, editor):
    item = make_item(product, title="Segments")
    first, second = api_client_for(owner), api_client_for(editor)
    url = f"{items_url(product)}/{item.pk}"
    etag = first.get(url)["ETag"]
    assert second.patch(url, {"title": "Editor's"}, if_match=etag).status_code == 200
    stale = first.patch(url, {"title": "Owner's"}, if_match=etag)
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["title"] == "Changed meanwhile"
    assert problem["current_version"] == item.version + 1
    assert stale["ETag"] == f'"{item.version + 1}"'
    item.refresh_from_db()
    assert item.title == "Editor's"
    # The version in the body works as If-Match does.
    body_version = first.patch(url, {"title": "Owner's", "version": item.version})
    assert body_version.status_code == 200


def test_invalid_input_is_a_problem_with_the_forms_own_messages_by_field(product, owner):
    api = api_client_for(owner)
    response = api.post(items_url(product), {"title": "", "reach": -3})
    assert response.status_code == 422
    problem = response.json()
    assert problem["type"].endswith("invalid-input")
    fields = {error["field"]: error["detail"] for error in problem["errors"]}
    assert "title" in fields
    assert fields["reach"] == "Reach cannot be negative."
    assert {e["pointer"] for e in problem["errors"]} >= {"/title", "/reach"}


def test_a_body_that_is_not_the_described_shape_is_a_422_problem(product, owner):
    api = api_client_for(owner)
    response = api.post(items_url(product), {"title": "X", "horizon": "someday"})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["horizon"]


def test_lists_are_pages_with_link_headers_filters_and_ordering(product, owner):
    for n in range(7):
        make_item(product, title=f"Item {n}", horizon="now" if n < 4 else "later")
    api = api_client_for(owner)
    page = api.get(f"{items_url(product)}?horizon=now&per_page=3")
    assert page.status_code == 200
    assert page["X-Total-Count"] == "4"
    assert [i["horizon"] for i in page.json()] == ["now"] * 3
    links = page["Link"]
    assert 'rel="next"' in links
    assert 'rel="last"' in links
    assert 'rel="prev"' not in links
    assert "horizon=now" in links
    assert "page=2" in links
    last = api.get(f"{items_url(product)}?horizon=now&per_page=3&page=2")
    assert len(last.json()) == 1
    assert 'rel="prev"' in last["Link"]
    by_title = api.get(f"{items_url(product)}?ordering=-title&per_page=100").json()
    assert [i["title"] for i in by_title] == sorted((i["title"] for i in by_title), reverse=True)
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert api.get(items_url(product), updated_since=None).status_code == 200
    assert (
        api.client.get(items_url(product), {"updated_since": future}, **api.headers()).json() == []
    )


def test_a_move_puts_the_item_where_asked_with_if_match(product, owner):
    a = make_item(product, title="A", horizon="now")
    b = make_item(product, title="B", horizon="now")
    c = make_item(product, title="C", horizon="later")
    api = api_client_for(owner)
    url = f"{items_url(product)}/{c.pk}/move"
    moved = api.post(url, {"horizon": "now", "before_id": b.pk}, if_match=f'"{c.version}"')
    assert moved.status_code == 200, moved.content
    order = list(
        RoadmapItem.objects.filter(product=product, horizon="now")
        .order_by("rank")
        .values_list("title", flat=True)
    )
    assert order == ["A", "C", "B"]
    stale = api.post(url, {"horizon": "later"}, if_match=f'"{c.version}"')
    assert stale.status_code == 412
    assert a.pk


def test_the_rate_limit_answers_429_with_retry_after(product, owner, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    cache.clear()
    api = api_client_for(owner)
    answers = [api.get("/api/v1/products").status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = api.get("/api/v1/products")
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Per token: another token of the same person is counted apart.
    assert api_client_for(owner).get("/api/v1/products").status_code == 200


def test_the_session_reads_and_writes_with_csrf_only(product, owner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.get(items_url(product)).status_code == 200
    refused = browser.post(
        items_url(product), data='{"title": "No CSRF"}', content_type="application/json"
    )
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    browser.get("/integrations/tokens/")  # any page sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    made = browser.post(
        items_url(product),
        data='{"title": "With CSRF"}',
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert made.status_code == 201, made.content


def test_an_unknown_product_is_a_404_problem(owner):
    response = api_client_for(owner).get("/api/v1/products/nope/roadmap-items")
    assert response.status_code == 404
    assert response.json()["title"] == "Not found"


def test_a_method_the_address_does_not_take_is_a_405_problem(owner):
    response = api_client_for(owner).call("PUT", "/api/v1/products", {})
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"
    assert "GET" in response["Allow"]


def test_a_viewer_reads_a_product_but_gets_403_on_every_change(product):
    viewer = UserFactory()
    api = api_client_for(viewer)
    url = f"/api/v1/products/{product.asset.slug}"
    etag = api.get(url)["ETag"]
    refused = api.patch(url, {"vision": "Mine now"}, if_match=etag)
    assert refused.status_code == 403
    product.refresh_from_db()
    assert product.vision != "Mine now"
