"""Who may see and change an asset. The registry is open to everyone signed in, so an asset's
existence is not private: unknown slugs get 404, forbidden changes get 403. Confirming
ownership ("still mine") has no helper here: only the owner may, and that is decided by
services.asset_confirm under the row lock (a check before the lock would race a handover)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from roleplan.ownership.models import Asset
from roleplan.people import display_name


def get_asset_for_view(user: User, slug: str) -> Asset:
    """Everyone signed in may view an asset: with its owner, deputy and gaps."""
    return get_object_or_404(Asset.objects.for_page(), slug=slug)


def get_asset_for_edit(user: User, slug: str) -> Asset:
    """The owner and staff may edit and hand over an asset."""
    asset = get_asset_for_view(user, slug)
    if not asset.can_edit(user):
        raise PermissionDenied(
            f"Only the owner of {asset.name} ({display_name(asset.owner)}) or staff can change "
            "it. Ask them if something should change."
        )
    return asset
