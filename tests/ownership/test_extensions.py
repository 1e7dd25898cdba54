"""Ownership's one extension point (roleplan/ownership/extensions.py): alone, ownership knows
no role conflict and no other app's page; with the projects and products apps' registrations
(their AppConfig.ready(), loaded in every test run) the role conflict and the product link
show."""

from __future__ import annotations

from datetime import date

import pytest
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.ownership import extensions
from roleplan.ownership.models import GAP_HELP, Asset, Gap
from tests.factories import AssetFactory


@pytest.fixture
def alone(monkeypatch):
    """Ownership as if no other app had registered anything."""
    monkeypatch.setattr(extensions, "EXTENSIONS", extensions.Extensions())


@pytest.fixture
def conflicted(owner):
    """A confirmed product whose owner manages one of its projects."""
    asset = AssetFactory(
        name="Shop", slug="shop", kind="product", owner=owner, confirmed_at=timezone.now()
    )
    product = Product.objects.create(asset=asset)
    Project.objects.create(
        name="Migration",
        slug="migration",
        product=product,
        manager=owner,
        start_date=date(2026, 1, 1),
        deadline=date(2026, 3, 1),
    )
    return asset


def test_alone_no_asset_has_a_role_conflict(alone, conflicted):
    assert Asset.objects.for_list().get(pk=conflicted.pk).gaps == []
    assert Asset.objects.get(pk=conflicted.pk).gaps == []
    assert list(Asset.objects.with_gap(Gap.ROLE_CONFLICT)) == []
    assert list(Asset.objects.with_gap("any")) == []
    assert Gap.ROLE_CONFLICT not in GAP_HELP
    assert list(GAP_HELP) == [Gap.OWNERLESS, Gap.UNCONFIRMED]


def test_alone_the_pages_offer_no_role_conflict_and_no_product_link(
    alone, client, conflicted, owner
):
    client.force_login(owner)
    registry = client.get(reverse("ownership:index")).content.decode()
    assert 'value="role_conflict"' not in registry
    assert "role conflict" not in registry.lower()
    page = client.get(conflicted.get_absolute_url()).content.decode()
    assert "gap-role_conflict" not in page
    assert "No gaps" in page
    assert "Open the product" not in page


def test_alone_a_role_conflict_filter_from_an_old_link_is_ignored(alone, client, conflicted, owner):
    client.force_login(owner)
    response = client.get(reverse("ownership:index"), {"gap": "role_conflict"})
    assert [a.name for a in response.context["assets"]] == ["Shop"]


def test_with_the_projects_registration_the_conflict_shows(client, conflicted, owner):
    assert Asset.objects.for_list().get(pk=conflicted.pk).gaps == [Gap.ROLE_CONFLICT]
    assert Asset.objects.get(pk=conflicted.pk).gaps == [Gap.ROLE_CONFLICT]
    assert "manages one of its projects" in GAP_HELP[Gap.ROLE_CONFLICT]
    client.force_login(owner)
    registry = client.get(reverse("ownership:index"), {"gap": "role_conflict"})
    assert [a.name for a in registry.context["assets"]] == ["Shop"]
    assert 'title="The product&#x27;s owner also manages one of its projects"' in (
        registry.content.decode()
    )
    page = client.get(conflicted.get_absolute_url()).content.decode()
    assert '<li class="gap gap-role_conflict">' in page


def test_the_conflict_ends_when_someone_else_manages_the_project(conflicted, editor):
    Project.objects.filter(product__asset=conflicted).update(manager=editor)
    assert Asset.objects.for_list().get(pk=conflicted.pk).gaps == []


def test_with_the_products_registration_a_product_links_to_its_page(client, conflicted, owner):
    client.force_login(owner)
    page = client.get(conflicted.get_absolute_url()).content.decode()
    assert f'<a class="btn" href="/products/{conflicted.slug}/">Open the product</a>' in page


def test_a_registration_may_name_no_page_for_an_asset(monkeypatch, client, owner):
    monkeypatch.setattr(extensions, "EXTENSIONS", extensions.Extensions())
    extensions.register_asset_link("system", lambda asset: None, label="Open the system")
    extensions.register_asset_link("process", lambda asset: "/elsewhere/", label="Open it there")
    system = AssetFactory(kind="system", owner=owner)
    process = AssetFactory(kind="process", owner=owner)
    client.force_login(owner)
    assert "Open the system" not in client.get(system.get_absolute_url()).content.decode()
    assert '<a class="btn" href="/elsewhere/">Open it there</a>' in (
        client.get(process.get_absolute_url()).content.decode()
    )


def test_registering_a_rule_replaces_the_earlier_one(monkeypatch, owner):
    monkeypatch.setattr(extensions, "EXTENSIONS", extensions.Extensions())
    asset = AssetFactory(owner=owner, kind="system", confirmed_at=timezone.now())
    extensions.register_role_conflict(
        lambda: Q(kind="system"), summary="first", explanation="First rule."
    )
    extensions.register_role_conflict(
        lambda: Q(kind="process"), summary="second", explanation="Second rule."
    )
    assert Asset.objects.for_list().get(pk=asset.pk).gaps == []
    assert GAP_HELP[Gap.ROLE_CONFLICT] == "Second rule."
