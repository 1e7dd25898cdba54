"""The asset page reads its data as three prepared statements (roleplan/ownership/page.py):
these tests hold them to the ORM's answers, in every state the page shows."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.ownership import services
from roleplan.ownership.forms import people_choices
from roleplan.ownership.models import Asset, Gap
from roleplan.ownership.page import handover_history, load_asset_page
from roleplan.ownership.views import asset_page_queryset
from tests.factories import AssetFactory, UserFactory


@pytest.fixture
def assets(owner, editor, staff):
    """A product with every gap and a handover, a plain process, an unconfirmed system."""
    nameless = UserFactory(username="no.name", first_name="", last_name="")
    product_asset = AssetFactory(
        name="<b>\"Shop\" & 'co'</b>",
        slug="shop",
        kind="product",
        owner=editor,
        deputy=None,
        team="<T>",
    )
    product = Product.objects.create(asset=product_asset)
    Project.objects.create(
        name="Migration",
        slug="migration",
        product=product,
        manager=owner,
        start_date=date(2026, 1, 1),
        deadline=date(2026, 3, 1),
    )
    services.asset_hand_over(
        asset_id=product_asset.pk,
        expected_owner_id=editor.pk,
        new_owner=owner,
        by=staff,
        reason="<script>x</script> “moves”",
    )
    User.objects.filter(pk=owner.pk).update(is_active=False)
    process = AssetFactory(
        name="Release", kind="process", owner=editor, deputy=nameless, confirmed_at=timezone.now()
    )
    system = AssetFactory(
        name="Billing",
        kind="system",
        owner=nameless,
        deputy=editor,
        confirmed_at=timezone.now() - timedelta(days=400),
        description="Line one\n\nLine <two>",
    )
    return [Asset.objects.get(pk=a.pk) for a in (product_asset, process, system)]


def orm_view(asset: Asset) -> dict:
    annotated = asset_page_queryset().get(pk=asset.pk)
    return described(annotated)


def described(asset: Asset) -> dict:
    def person(user):
        if user is None:
            return None
        return (user.pk, user.username, user.first_name, user.last_name, user.is_active)

    product = getattr(asset, "product", None) if asset.kind == "product" else None
    return {
        "fields": {f.attname: getattr(asset, f.attname) for f in Asset._meta.concrete_fields},
        "gaps": list(asset.gaps),
        "owner": person(asset.owner),
        "deputy": person(asset.deputy),
        "product": None if product is None else (product.pk, product.get_absolute_url()),
    }


def test_the_page_reads_what_the_orm_reads(assets, editor, staff, viewer):
    for asset in assets:
        for user in (editor, staff, viewer):
            page = load_asset_page(user, asset.slug)
            assert described(page.asset) == orm_view(asset)
            assert page.history == handover_history(asset.pk)
            may_be_owner = user.is_staff or user.pk == asset.owner_id
            assert page.people == (people_choices() if may_be_owner else [])
    assert load_asset_page(editor, "no-such-asset") is None


def test_the_gaps_come_from_the_row(assets):
    product, process, system = assets
    assert load_asset_page(product.owner, product.slug).asset.gaps == list(Gap)
    assert load_asset_page(process.owner, process.slug).asset.gaps == []
    assert load_asset_page(system.owner, system.slug).asset.gaps == [Gap.UNCONFIRMED]


def test_other_databases_run_the_statements_one_after_the_other(assets, editor, monkeypatch):
    expected = [load_asset_page(editor, a.slug) for a in assets]
    monkeypatch.setattr(connection, "vendor", "sqlite")
    for asset, page in zip(assets, expected, strict=True):
        other = load_asset_page(editor, asset.slug)
        assert described(other.asset) == described(page.asset)
        assert (other.history, other.people) == (page.history, page.people)


def test_the_page_is_three_statements_whoever_looks(client, assets, editor, viewer):
    for user in (editor, viewer):
        client.force_login(user)
        for asset in assets:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(reverse("ownership:asset", args=[asset.slug]))
            assert response.status_code == 200
            assert len(ctx.captured_queries) == 5, [q["sql"] for q in ctx.captured_queries]


def test_an_unknown_asset_is_404(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("ownership:asset", args=["no-such-asset"])).status_code == 404
