"""The ownership registry in the JSON API (/api/v1/, mounted by roleplan.integrations):
assets, their handover log, a handover and the owner's confirmation.

Another door to the same rules as the pages: roleplan.ownership.access, its forms and services
(a handover based on an owner who is no longer the owner answers 412, as any stale write).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.db.models.functions import Lower
from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from roleplan.http import HttpRequest
from roleplan.ownership import services
from roleplan.ownership.access import (
    get_asset_for_edit,
    get_asset_for_view,
)
from roleplan.ownership.forms import AssetCreateForm, AssetEditForm, HandoverForm
from roleplan.ownership.models import Asset, Handover
from roleplan.rest import (
    LIST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ApiError,
    expected_version,
    form_data,
    ordered,
    page_of,
    patched,
    since,
    validated,
    with_etag,
)

router = Router(tags=["Ownership"])


class AssetOut(Schema):
    slug: str
    kind: str
    name: str
    description: str
    owner: int
    deputy: int | None
    team: str
    confirmed_at: datetime | None
    gaps: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_owner(obj: Asset) -> int:
        return obj.owner_id

    @staticmethod
    def resolve_deputy(obj: Asset) -> int | None:
        return obj.deputy_id

    @staticmethod
    def resolve_gaps(obj: Asset) -> list[str]:
        return [str(gap) for gap in obj.gaps]


class HandoverOut(Schema):
    id: int
    from_owner: int | None
    to_owner: int
    by: int | None
    reason: str
    at: datetime

    @staticmethod
    def resolve_from_owner(obj: Handover) -> int | None:
        return obj.from_owner_id

    @staticmethod
    def resolve_to_owner(obj: Handover) -> int:
        return obj.to_owner_id

    @staticmethod
    def resolve_by(obj: Handover) -> int | None:
        return obj.by_id


class AssetFilters(Schema):
    kind: Literal["product", "process", "system"] | None = None
    owner: int | None = Field(None, description="A person's id.")
    updated_since: datetime | None = None
    ordering: Literal["name", "-name", "updated_at", "-updated_at"] | None = None
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


class AssetCreate(Schema):
    kind: Literal["process", "system"]
    name: str
    owner: int
    deputy: int | None = None
    team: str = ""
    description: str = ""


class AssetPatch(Schema):
    name: str | None = None
    deputy: int | None = None
    team: str | None = None
    description: str | None = None
    version: int | None = None


class HandoverIn(Schema):
    new_owner: int
    reason: str
    version: int | None = None


class Paging(Schema):
    page: int = Field(1, ge=1)
    per_page: int = Field(25, ge=1, le=100)


def fresh(slug: str) -> Asset:
    return Asset.objects.for_page().get(slug=slug)


@router.get("/assets", response={200: list[AssetOut], **LIST_ERRORS})
def asset_list(request: HttpRequest, response: HttpResponse, q: Query[AssetFilters]):
    """The registry: every product, process and system with its one owner and its gaps."""
    assets = Asset.objects.with_gaps().order_by(Lower("name"), "pk")
    if q.kind:
        assets = assets.filter(kind=q.kind)
    if q.owner:
        assets = assets.filter(owner_id=q.owner)
    assets = ordered(
        since(assets, q.updated_since), q.ordering, {"name": "name", "updated_at": "updated_at"}
    )
    return page_of(request, response, assets, page=q.page, per_page=q.per_page)


@router.post("/assets", response={201: AssetOut, **WRITE_ERRORS})
def asset_create(request: HttpRequest, response: HttpResponse, payload: AssetCreate):
    """Register a process or a system (products are registered as products)."""
    form = validated(AssetCreateForm(form_data([], None, payload.model_dump())))
    asset = services.asset_register(by=request.user, **form.cleaned_data)
    return 201, with_etag(response, fresh(asset.slug))


@router.get("/assets/{slug}", response={200: AssetOut, **READ_ERRORS})
def asset_detail(request: HttpRequest, response: HttpResponse, slug: str):
    return with_etag(response, get_asset_for_view(request.user, slug))


@router.patch("/assets/{slug}", response={200: AssetOut, **WRITE_ERRORS})
def asset_update(request: HttpRequest, response: HttpResponse, slug: str, payload: AssetPatch):
    asset = get_asset_for_edit(request.user, slug)
    version = expected_version(request, payload.version)
    body = payload.model_dump(exclude_unset=True)
    body.pop("version", None)
    form = patched(AssetEditForm, asset, body, version)
    changes = {name: value for name, value in form.cleaned_data.items() if name != "version"}
    services.asset_update(asset_id=asset.pk, expected_version=version, by=request.user, **changes)
    return with_etag(response, fresh(asset.slug))


@router.get("/assets/{slug}/handovers", response={200: list[HandoverOut], **LIST_ERRORS})
def handover_list(request: HttpRequest, response: HttpResponse, slug: str, q: Query[Paging]):
    """The asset's handover log, newest first (its first row is the registration)."""
    asset = get_asset_for_view(request.user, slug)
    rows = Handover.objects.filter(asset=asset).order_by("-at", "-pk")
    return page_of(request, response, rows, page=q.page, per_page=q.per_page)


@router.post("/assets/{slug}/handover", response={200: AssetOut, **WRITE_ERRORS})
def asset_hand_over(request: HttpRequest, response: HttpResponse, slug: str, payload: HandoverIn):
    """Hand the asset over, based on the version read (If-Match): the owner the caller saw
    must still be the owner."""
    asset = get_asset_for_edit(request.user, slug)
    version = expected_version(request, payload.version)
    if version != asset.version:
        raise ApiError(
            412,
            "Changed meanwhile",
            f"{asset.name} was changed since version {version}: read it again.",
            current_version=asset.version,
        )
    fields = {"new_owner": payload.new_owner, "reason": payload.reason}
    form = validated(
        HandoverForm({**fields, "expected_owner": asset.owner_id}, current_owner_id=asset.owner_id)
    )
    services.asset_hand_over(
        asset_id=asset.pk,
        expected_owner_id=asset.owner_id,
        new_owner=form.cleaned_data["new_owner"],
        by=request.user,
        reason=form.cleaned_data["reason"],
    )
    return with_etag(response, fresh(asset.slug))


@router.post("/assets/{slug}/confirmation", response={200: AssetOut, **WRITE_ERRORS})
def asset_confirm(request: HttpRequest, response: HttpResponse, slug: str):
    """The owner says “still mine” (anyone else: 403, naming the owner)."""
    asset = get_asset_for_view(request.user, slug)
    services.asset_confirm(asset_id=asset.pk, by=request.user)
    return with_etag(response, fresh(asset.slug))
