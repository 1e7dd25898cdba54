"""The registry's rows come from the cache when nothing they show has changed, and are rendered
again as soon as anything they show changes (roleplan/ownership/fragments.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.ownership import fragments, services
from roleplan.ownership.models import Asset
from tests.factories import AssetFactory, UserFactory

URL = reverse("ownership:index")


@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    """The names of the assets whose rows were rendered (not taken from the cache)."""
    names: list[str] = []
    render_rows = fragments.render_rows

    def counting(request, missing, row_context):
        names.extend(asset.name for _, asset in missing)
        return render_rows(request, missing, row_context)

    monkeypatch.setattr(fragments, "render_rows", counting)
    return names


@pytest.fixture
def asset(owner, editor):
    return AssetFactory(
        name="Release train", kind="process", owner=owner, deputy=editor, confirmed_at=None
    )


def registry(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def row_of(html: str, asset: Asset) -> str:
    start = html.index(f'<tr id="asset-{asset.pk}"')
    return html[start : html.index("</tr>", start)]


def test_a_row_is_rendered_once_then_served_from_the_cache(client, asset, viewer, rendered):
    client.force_login(viewer)
    first = registry(client)
    assert rendered == ["Release train"]
    second = registry(client)
    assert rendered == ["Release train"]
    assert row_of(first, asset) == row_of(second, asset)


def test_an_edit_renders_the_row_again(client, asset, owner, viewer, rendered):
    client.force_login(viewer)
    registry(client)
    services.asset_update(
        asset_id=asset.pk,
        expected_version=asset.version,
        by=owner,
        name="Release guild",
        deputy=None,
        team="Platform",
        description="",
    )
    row = row_of(registry(client), asset)
    assert "Release guild" in row
    assert "Platform" in row
    assert rendered == ["Release train", "Release guild"]


def test_a_handover_and_a_confirmation_show_at_once(client, asset, owner, viewer, staff):
    client.force_login(owner)
    assert '<span class="muted">never</span>' in row_of(registry(client), asset)
    services.asset_confirm(asset_id=asset.pk, by=owner)
    row = row_of(registry(client), asset)
    assert "never" not in row
    assert "Unconfirmed" not in row
    assert "Hand over" in row
    services.asset_hand_over(
        asset_id=asset.pk, expected_owner_id=owner.pk, new_owner=viewer, by=staff, reason="x"
    )
    row = row_of(registry(client), asset)
    assert viewer.get_full_name() in row
    assert "Hand over" not in row  # the viewer of the page no longer owns it


def test_renaming_or_deactivating_a_person_shows_at_once(client, asset, owner, editor, staff):
    client.force_login(staff)
    registry(client)
    User.objects.filter(pk=editor.pk).update(first_name="Edwina")
    assert f"Edwina {editor.last_name}" in row_of(registry(client), asset)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    row = row_of(registry(client), asset)
    assert "person-inactive" in row
    assert "Ownerless" in row


def test_each_viewer_sees_the_button_they_may_use(client, asset, owner, viewer, staff):
    for user, button in [(owner, True), (viewer, False), (staff, True), (viewer, False)]:
        client.force_login(user)
        assert ("Hand over" in row_of(registry(client), asset)) is button


def test_time_passing_makes_a_row_unconfirmed(client, owner, viewer, settings):
    settings.OWNERSHIP_CONFIRM_DAYS = 30
    with time_machine.travel("2026-03-01 12:00Z", tick=False):
        asset = AssetFactory(owner=owner, confirmed_at=timezone.now())
        client.force_login(viewer)
        assert "Unconfirmed" not in row_of(registry(client), asset)
    with time_machine.travel("2026-04-01 12:00Z", tick=False):
        client.force_login(viewer)
        assert "Unconfirmed" in row_of(registry(client), asset)


def test_a_project_manager_who_owns_the_product_shows_at_once(client, owner, viewer, editor):
    asset = AssetFactory(kind="product", owner=owner, confirmed_at=timezone.now())
    project = Project.objects.create(
        name="Migration",
        slug="migration",
        product=Product.objects.create(asset=asset),
        manager=editor,
        start_date=date(2026, 1, 1),
        deadline=date(2026, 3, 1),
    )
    client.force_login(viewer)
    assert "Role conflict" not in row_of(registry(client), asset)
    Project.objects.filter(pk=project.pk).update(manager=owner)
    assert "Role conflict" in row_of(registry(client), asset)


def test_keys_differ_for_everything_a_row_shows(owner, editor, staff):
    asset = Asset.objects.for_list().get(pk=AssetFactory(owner=owner, deputy=editor).pk)
    context = fragments.page_context()
    key = fragments.row_key(asset, user=editor, context=context)
    assert key == fragments.row_key(asset, user=UserFactory(), context=context)
    assert key != fragments.row_key(asset, user=staff, context=context)
    changed = [
        ("version", asset.version + 1),
        ("updated_at", asset.updated_at + timedelta(microseconds=1)),
        ("confirmed_at", timezone.now()),  # no longer unconfirmed
        ("gap_role_conflict", True),
    ]
    for name, value in changed:
        original = getattr(asset, name)
        setattr(asset, name, value)
        assert fragments.row_key(asset, user=editor, context=context) != key, name
        setattr(asset, name, original)
    asset.owner.is_active = False  # ownerless
    assert fragments.row_key(asset, user=editor, context=context) != key
    asset.owner.is_active = True
    asset.deputy.last_name = "Other"
    assert fragments.row_key(asset, user=editor, context=context) != key
    assert fragments.row_key(asset, user=editor, context=(*context[:-1], "x")) != key
