"""The ownership card of the dashboard: what the user owns, with its gaps."""

from __future__ import annotations

from roleplan.ownership.models import Asset


def dashboard_context(user) -> dict:
    owned = list(Asset.objects.owned_by(user).for_list().order_by("kind", "name"))
    return {"owned_assets": owned, "owned_gap_count": sum(1 for a in owned if a.gaps)}
