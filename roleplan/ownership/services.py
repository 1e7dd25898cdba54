"""Writes to the ownership registry. A handover is the only way an owner changes.

A handover announces Event.HANDOVER_DONE (asset_id, handover_id) through roleplan.events, after
its transaction commits: the apps above ownership react there (notifications, webhooks, who is
invited to the weekly sync), ownership itself knows none of them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from roleplan.events import Event, announce
from roleplan.ownership.models import Asset, AssetKind, Handover
from roleplan.people import display_name
from roleplan.uniqueness import Unique, save_with_free_slug, unique_or_error
from roleplan.versioning import StaleEdit, lock_for_edit, save_edit, save_fields


class HandoverConflict(Exception):
    """Someone changed the owner after the user saw it; nothing was written."""

    def __init__(self, asset: Asset, latest: Handover | None):
        self.asset = asset
        self.latest = latest
        super().__init__(f"{asset} is now owned by {asset.owner}")


class NotTheOwner(PermissionDenied):
    """Only the owner (or, where said, staff) may do this and `by` is not the owner, or no
    longer: decided on the locked row, so a handover that got there first is seen. Names the
    owner now; pages answer 403 (409 in place for htmx), the API a 403 problem."""

    def __init__(self, asset: Asset, action: str):
        self.asset = asset
        super().__init__(f"{action} {asset.name} is owned by {display_name(asset.owner)}.")


class OwnerStillOwns(Exception):
    """A user who still owns assets cannot be deactivated before handing them over."""

    def __init__(self, user: User, assets: list[Asset]):
        self.user = user
        self.assets = assets
        names = ", ".join(a.name for a in assets)
        super().__init__(f"{user.get_username()} still owns: {names}. Hand these over first.")


# Addresses the registry's own pages use: an asset is never given one.
RESERVED_SLUGS = {"new", "export"}


def name_rule(kind: str, name: str) -> Unique:
    """One name per kind, whatever the case (the asset_name_unique_per_kind constraint)."""
    return Unique(
        "asset_name_unique_per_kind",
        "name",
        f"A {AssetKind(kind).label.lower()} named “{name}” already exists.",
    )


def asset_insert(asset: Asset, name: Unique | None = None) -> None:
    """Save a new asset under an address made from its name: a name taken meanwhile is a field
    error (roleplan.uniqueness; `name` words it, as products do), an address taken meanwhile
    gives the next free one. Products register their asset through it too."""
    with unique_or_error(asset, name or name_rule(asset.kind, asset.name)):
        save_with_free_slug(asset, asset.name, fallback=asset.kind, reserved=RESERVED_SLUGS)


@transaction.atomic
def asset_register(
    *,
    kind: str,
    name: str,
    owner: User,
    by: User | None,
    deputy: User | None = None,
    team: str = "",
    description: str = "",
    reason: str = "Registered",
) -> Asset:
    """Create an asset with its first handover-log row (from nobody to its first owner)."""
    if not owner.is_active:
        raise ValidationError({"owner": "The owner must be an active user."})
    if deputy is not None and deputy.pk == owner.pk:
        raise ValidationError({"deputy": "The deputy cannot be the owner."})
    asset = Asset(
        kind=kind,
        name=name,
        owner=owner,
        deputy=deputy,
        team=team,
        description=description,
        confirmed_at=timezone.now() if by is not None and by.pk == owner.pk else None,
        updated_by=by,  # the author of its first history row
    )
    asset_insert(asset)
    Handover.objects.create(asset=asset, to_owner=owner, by=by, reason=reason)
    return asset


@transaction.atomic
def asset_hand_over(
    *, asset_id: int, expected_owner_id: int, new_owner: User, by: User, reason: str
) -> Handover:
    """Give the asset to new_owner, if its owner is still the one the user saw.

    The asset row is locked (SELECT ... FOR UPDATE) before the comparison, so of two concurrent
    handovers based on the same owner exactly one wins; the other gets HandoverConflict.
    The new owner has not confirmed yet, so confirmed_at is cleared until they do."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the asset changes hands."})
    # Lock the bare row: with a join, PostgreSQL re-checks the join after waiting for the lock,
    # and a row whose owner changed meanwhile would vanish from the result (DoesNotExist).
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if asset.owner_id != expected_owner_id:
        latest = asset.handovers.select_related("from_owner", "to_owner", "by").first()
        raise HandoverConflict(asset, latest)
    if not (by.is_staff or by.pk == asset.owner_id):
        raise NotTheOwner(asset, "Only the owner or staff may hand an asset over:")
    if not new_owner.is_active:
        raise ValidationError({"new_owner": "The new owner must be an active user."})
    if new_owner.pk == asset.owner_id:
        raise ValidationError({"new_owner": "This person already owns it."})
    previous_id = asset.owner_id
    data = {"owner": new_owner, "confirmed_at": None}
    if asset.deputy_id == new_owner.pk:
        data["deputy"] = None  # the deputy steps up; the deputy slot is left empty
    # A handover is a save like any other: an edit form opened before it is then stale.
    save_edit(asset, data, by=by)
    handover = Handover.objects.create(
        asset=asset, from_owner_id=previous_id, to_owner=new_owner, by=by, reason=reason
    )
    announce(Event.HANDOVER_DONE, asset_id=asset.pk, handover_id=handover.pk)
    return handover


@transaction.atomic
def asset_confirm(*, asset_id: int, by: User) -> Asset:
    """The owner says "still mine": the confirmation date becomes now. Who the owner is, is
    read under the row lock: a confirmation that waited for a handover is refused (NotTheOwner)
    rather than confirming for the new owner."""
    asset = Asset.objects.select_for_update().get(pk=asset_id)
    if by.pk != asset.owner_id:
        raise NotTheOwner(asset, "Only the owner can confirm ownership:")
    asset.confirmed_at = timezone.now()
    save_fields(asset, ["confirmed_at", "updated_at"], by=by)
    return asset


@transaction.atomic
def asset_update(*, asset_id: int, expected_version: int, by: User, **changes: Any) -> Asset:
    """Edit the descriptive fields of an asset (Asset.EDITABLE: never its owner, which only a
    handover changes), refusing stale edits with roleplan.versioning.StaleEdit (the row as
    saved now, with its people, and what was sent)."""
    if not changes.keys() <= Asset.EDITABLE:
        raise ValueError(f"Not editable on an asset: {sorted(changes.keys() - Asset.EDITABLE)}")
    try:
        # The bare row is locked, no join: see asset_hand_over.
        asset = lock_for_edit(Asset, asset_id, expected_version, changes)
    except StaleEdit as stale:
        # What the conflict region shows reads the people: load them here, not in the template.
        current = Asset.objects.select_related("owner", "deputy", "updated_by").get(pk=asset_id)
        raise StaleEdit(current, changes) from stale
    deputy = changes.get("deputy", asset.deputy)
    if deputy is not None and deputy.pk == asset.owner_id:
        raise ValidationError({"deputy": "The deputy cannot be the owner."})
    with unique_or_error(asset, name_rule(asset.kind, changes.get("name", asset.name))):
        save_edit(asset, changes, by=by)
    return asset


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Deactivate an account, refusing while it still owns assets (they must be handed over)."""
    owned = list(Asset.objects.select_for_update().filter(owner=user).order_by("kind", "name"))
    if owned:
        raise OwnerStillOwns(user, owned)
    user.is_active = False
    user.save(update_fields=["is_active"])
