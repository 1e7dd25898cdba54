from __future__ import annotations

from datetime import date, timedelta

import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.ownership.models import Asset, Gap
from tests.factories import AssetFactory


def gaps_of(asset: Asset) -> list[str]:
    return list(Asset.objects.for_list().get(pk=asset.pk).gaps)


def test_an_asset_whose_owner_is_deactivated_is_ownerless(owner):
    asset = AssetFactory(owner=owner, confirmed_at=timezone.now())
    assert gaps_of(asset) == []
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert gaps_of(asset) == [Gap.OWNERLESS]
    assert list(Asset.objects.with_gap("ownerless")) == [asset]


def test_an_owner_who_has_not_confirmed_within_the_period_is_unconfirmed(owner, settings):
    settings.OWNERSHIP_CONFIRM_DAYS = 30
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        asset = AssetFactory(owner=owner, confirmed_at=timezone.now())
        assert gaps_of(asset) == []
    with time_machine.travel("2026-03-31 11:59Z", tick=False):
        assert gaps_of(asset) == []
    with time_machine.travel("2026-03-31 12:01Z", tick=False):
        assert gaps_of(asset) == [Gap.UNCONFIRMED]


def test_never_confirmed_is_unconfirmed(owner):
    asset = AssetFactory(owner=owner, confirmed_at=None)
    assert gaps_of(asset) == [Gap.UNCONFIRMED]


def test_product_owner_who_manages_one_of_its_projects_is_a_role_conflict(owner, editor):
    asset = AssetFactory(owner=owner, kind="product", confirmed_at=timezone.now())
    product = Product.objects.create(asset=asset)
    project = Project.objects.create(
        name="Migration",
        slug="migration",
        product=product,
        manager=editor,
        start_date=date(2026, 1, 1),
        deadline=date(2026, 3, 1),
    )
    assert gaps_of(asset) == []
    project.manager = owner
    project.save()
    assert gaps_of(asset) == [Gap.ROLE_CONFLICT]
    assert list(Asset.objects.with_gap("role_conflict")) == [asset]
    # the single-row path (no annotation) agrees
    assert Asset.objects.get(pk=asset.pk).gaps == [Gap.ROLE_CONFLICT]


def test_any_gap_filter_combines_all_three(owner, editor):
    fine = AssetFactory(owner=editor, confirmed_at=timezone.now())
    stale = AssetFactory(owner=editor, confirmed_at=timezone.now() - timedelta(days=400))
    assert set(Asset.objects.with_gap("any")) == {stale}
    assert fine not in Asset.objects.with_gap("any")
