"""Who may see and change an asset. The registry is open to everyone signed in, so an asset's
existence is not private: unknown slugs get 404, forbidden changes get 403."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from roleplan.ownership.models import Asset
from roleplan.ownership.page import AssetPage, load_asset_page


def get_asset_for_view(user: User, slug: str) -> Asset:
    """Everyone signed in may view an asset."""
    return get_object_or_404(Asset.objects.select_related("owner", "deputy"), slug=slug)


def get_asset_page(user: User, slug: str) -> AssetPage:
    """Everyone signed in may view an asset: what its page shows (page.load_asset_page)."""
    page = load_asset_page(user, slug)
    if page is None:
        raise Http404("No Asset matches the given query.")
    return page


def get_asset_for_edit(user: User, slug: str) -> Asset:
    """The owner and staff may edit and hand over an asset."""
    asset = get_asset_for_view(user, slug)
    if not asset.can_edit(user):
        raise PermissionDenied("Only the owner or staff can change this asset.")
    return asset


def get_asset_for_confirm(user: User, slug: str) -> Asset:
    """Only the owner can say "still mine"."""
    asset = get_asset_for_view(user, slug)
    if asset.owner_id != user.pk:
        raise PermissionDenied("Only the owner can confirm ownership.")
    return asset
