from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from roleplan.http import HttpRequest
from roleplan.ownership import extensions, fragments, services
from roleplan.ownership.access import get_asset_for_edit, get_asset_for_view
from roleplan.ownership.forms import (
    AssetCreateForm,
    AssetEditForm,
    HandoverForm,
    RegistryFilterForm,
    handover_people,
)
from roleplan.ownership.models import (
    GAP_HELP,
    Asset,
    AssetKind,
    AssetQuerySet,
    Gap,
    Handover,
    gap_condition,
    gap_conditions,
    offered_gaps,
)
from roleplan.people import display_name
from roleplan.versioning import StaleEdit

PAGE_SIZE = 50

# Sort keys of the registry: the column, then the name, so equal values keep a stable order.
SORTS = {
    "name": [Lower("name")],
    "kind": [F("kind"), Lower("name")],
    "owner": [F("owner__first_name"), F("owner__last_name"), Lower("name")],
    "deputy": [F("deputy__first_name"), F("deputy__last_name"), Lower("name")],
    "confirmed": [F("confirmed_at"), Lower("name")],
}
COLUMNS = [
    ("name", "Name"),
    ("kind", "Kind"),
    ("owner", "Owner"),
    ("deputy", "Deputy"),
    ("confirmed", "Last confirmed"),
]


def registry_condition(data: dict) -> Q:
    """The registry's filters but the gap (name, kind, owner) as one condition."""
    condition = Q()
    if data.get("q"):
        condition &= Q(name__icontains=data["q"])
    if data.get("kind"):
        condition &= Q(kind=data["kind"])
    if data.get("owner"):
        condition &= Q(owner__username=data["owner"])
    return condition


def registry_order(data: dict) -> list:
    """The registry's order: the chosen column, then the name, then the pk (a stable order)."""
    sort = data.get("sort") or "name"
    first, *rest = SORTS[sort.lstrip("-")]
    # Never-confirmed assets sort first when ascending (they need attention), last descending.
    if sort.startswith("-"):
        first = first.desc(nulls_last=True)
    else:
        first = first.asc(nulls_first=True if sort == "confirmed" else None)
    return [first, *rest, "pk"]


def registry_filtered(
    qs: AssetQuerySet, data: dict, conditions: dict[Gap, Q] | None = None
) -> AssetQuerySet:
    """`qs` under every filter of the registry, in the chosen order."""
    qs = qs.filter(registry_condition(data))
    gap = gap_condition(data.get("gap", ""), conditions)
    if gap is not None:
        qs = qs.filter(gap)
    return qs.order_by(*registry_order(data))


def registry_page_ids(data: dict, conditions: dict[Gap, Q]) -> QuerySet:
    """The pks of the registry's rows in order: what a page is cut from. Sorting only these (and
    the sort keys) stays in memory at 50,000 assets, where sorting whole rows spilled to disk
    for pages deep in the list; the page's 50 rows are then read by pk."""
    return registry_filtered(Asset.objects.all(), data, conditions).values_list("pk", flat=True)


def registry_filters(request: HttpRequest) -> tuple[RegistryFilterForm, dict]:
    form = RegistryFilterForm(request.GET)
    form.is_valid()  # invalid values are dropped, never an error page
    data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    return form, data


def query_string(data: dict, **changes) -> str:
    merged = {**data, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def registry_counts(data: dict, conditions: dict[Gap, Q]) -> dict[str, int]:
    """In one aggregate: how many assets the filters show (the paginator's count) and, of those
    the other filters show, how many have each gap."""
    gap = gap_condition(data.get("gap", ""), conditions)
    counts = {
        "total": Count("pk", filter=gap) if gap is not None else Count("pk"),
        **{g.value: Count("pk", filter=conditions[g]) for g in offered_gaps()},
    }
    return Asset.objects.filter(registry_condition(data)).aggregate(**counts)


def pager_links(data: dict, page: Page) -> dict[str, str]:
    """The query strings of the first, previous, next and last pages, filters kept ("" when
    there is no such page)."""
    last = page.paginator.num_pages
    return {
        "first_query": query_string(data, page=None) if page.number > 2 else "",
        "prev_query": query_string(data, page=page.previous_page_number())
        if page.has_previous()
        else "",
        "next_query": query_string(data, page=page.next_page_number()) if page.has_next() else "",
        "last_query": query_string(data, page=last) if page.number < last - 1 else "",
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    form, data = registry_filters(request)
    conditions = gap_conditions()  # built once: the counts and the page both use them
    counts = registry_counts(data, conditions)
    paginator = Paginator(registry_page_ids(data, conditions), PAGE_SIZE)
    paginator.count = counts["total"]  # counted above, with the gaps: no second COUNT query
    page = paginator.get_page(data.get("page"))
    ids = list(page.object_list)
    by_pk = Asset.objects.for_list().in_bulk(ids)
    current_sort = data.get("sort") or "name"
    columns = []
    for key, label in COLUMNS:
        active = current_sort.lstrip("-") == key
        descending = active and current_sort.startswith("-")
        next_sort = key if (not active or descending) else f"-{key}"
        columns.append(
            {
                "label": label,
                "query": query_string(data, sort=next_sort, page=None),
                "sort": ("descending" if descending else "ascending") if active else "",
            }
        )
    gap_counts = [
        {
            "label": gap.label,
            "count": counts[gap.value],
            "query": query_string(data, gap=gap.value, page=None),
            "current": data.get("gap") == gap.value,
        }
        for gap in offered_gaps()
    ]
    owners = (
        User.objects.filter(Exists(Asset.objects.filter(owner=OuterRef("pk"))))
        .only("username", "first_name", "last_name")
        .order_by("first_name", "last_name", "username")
    )
    assets = [by_pk[pk] for pk in ids if pk in by_pk]
    row_context = {
        "confirm_days": settings.OWNERSHIP_CONFIRM_DAYS,
        "role_conflict_summary": role_conflict_summary(),
    }
    context = {
        "form": form,
        "filters": data,
        "page": page,
        "assets": assets,
        # The partial asset-row for each asset, cached per row state (fragments.py).
        "rows": fragments.registry_rows(request, assets, row_context),
        "columns": columns,
        "gap_counts": gap_counts,
        "owners": list(owners),
        "kinds": AssetKind.choices,
        "gap_choices": [("any", "Any gap"), *((g.value, g.label) for g in offered_gaps())],
        **pager_links(data, page),
        "export_query": query_string(data, page=None),
    }
    template = "ownership/index.html#registry" if request.htmx else "ownership/index.html"
    return render(request, template, context)


def csv_cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ is read as text."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


class Echo:
    def write(self, value: str) -> str:
        return value


@require_GET
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _, data = registry_filters(request)
    qs = registry_filtered(Asset.objects.for_list(), data)
    writer = csv.writer(Echo())

    def rows():
        yield writer.writerow(
            [
                "kind",
                "name",
                "owner",
                "owner_name",
                "owner_email",
                "deputy",
                "team",
                "confirmed_at",
                "gaps",
                "url",
            ]
        )
        for asset in qs.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    csv_cell(v)
                    for v in (
                        asset.kind,
                        asset.name,
                        asset.owner.username,
                        asset.owner.get_full_name(),
                        asset.owner.email,
                        asset.deputy.username if asset.deputy else "",
                        asset.team,
                        asset.confirmed_at.isoformat() if asset.confirmed_at else "",
                        ";".join(asset.gaps),
                        f"{settings.SITE_URL}{asset.get_absolute_url()}",
                    )
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="ownership-registry.csv"'
    return response


# Regions of the asset page that refresh after a handover (ownerChanged): who is accountable,
# the page's actions (a former owner loses "Edit details"), and the history.
ASSET_REGIONS = {"accountability", "asset-actions", "history"}


def asset_context(request: HttpRequest, asset: Asset, *, region: str | None = None) -> dict:
    """What the asset page (or one of its regions) shows, read here so the template runs no
    queries. `asset` comes from an access helper (Asset.objects.for_page(): people and gaps)."""
    can_edit = asset.can_edit(request.user)
    context = {
        "asset": asset,
        "gaps": [(gap, GAP_HELP[gap]) for gap in asset.gaps],
        "link": asset.link,
        "can_edit": can_edit,
        "confirm_days": settings.OWNERSHIP_CONFIRM_DAYS,
        "is_owner": asset.owner_id == request.user.pk,
    }
    if region in (None, "history"):
        context["history"] = list(asset.handovers.select_related("from_owner", "to_owner", "by"))
    return context


@require_GET
def asset_detail(request: HttpRequest, slug: str) -> HttpResponse:
    asset = get_asset_for_view(request.user, slug)
    region = request.htmx.target if request.htmx else None
    if region in ASSET_REGIONS:
        context = asset_context(request, asset, region=region)
        return render(request, f"ownership/asset.html#{region}", context)
    return render(request, "ownership/asset.html", asset_context(request, asset))


@require_http_methods(["GET", "POST"])
def asset_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = AssetCreateForm(request.POST)
        if form.is_valid():
            try:
                asset = services.asset_register(by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            else:
                messages.success(
                    request,
                    f"{asset.name} is registered, owned by {display_name(asset.owner)}.",
                )
                return redirect(asset)
    else:
        kind = request.GET.get("kind")
        form = AssetCreateForm(
            initial={
                "kind": kind
                if kind in {AssetKind.PROCESS, AssetKind.SYSTEM}
                else AssetKind.PROCESS,
                "owner": request.user.pk,
            }
        )
    status = 422 if form.errors else 200
    return render(request, "ownership/asset_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def asset_edit(request: HttpRequest, slug: str) -> HttpResponse:
    asset = get_asset_for_edit(request.user, slug)
    conflict = None
    if request.method == "POST":
        form = AssetEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            changes = {name: value for name, value in data.items() if name != "version"}
            try:
                services.asset_update(
                    asset_id=asset.pk, expected_version=data["version"], by=request.user, **changes
                )
            except StaleEdit as exc:
                conflict = exc
                # Keep what the user typed; base the next save on the version now stored.
                form = AssetEditForm({**request.POST.dict(), "version": exc.current.version})
                form.is_valid()
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            else:
                messages.success(request, "Saved.")
                return redirect("ownership:asset", slug=asset.slug)
    else:
        initial = {name: getattr(asset, name) for name in Asset.EDITABLE}
        form = AssetEditForm(initial={**initial, "version": asset.version})
    status = 409 if conflict else (422 if form.errors else 200)
    context = {"form": form, "asset": asset, "conflict": conflict}
    return render(request, "ownership/asset_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def handover(request: HttpRequest, slug: str) -> HttpResponse:
    """Hand an asset over, in two steps: the form (new owner, reason) answers with a summary
    to confirm (asset, from, to, reason; "Change" goes back to the form), and the confirmed
    summary hands over. From a registry row (where=row) it answers with the row; from the
    asset page (where=page) with the handover panel and an ownerChanged event, which also
    refreshes the page's other regions; without htmx the confirmed handover redirects to the
    asset page with a message. Someone who no longer owns the asset (a page left open) is told
    so in place, never a bare refusal."""
    asset = get_asset_for_view(request.user, slug)
    where = request.POST.get("where") or request.GET.get("where") or "page"
    where = where if where in {"row", "page"} else "page"
    if not asset.can_edit(request.user):
        return not_yours(request, asset, where)

    if request.method == "GET":
        try:
            seen_owner = int(request.GET.get("seen_owner", asset.owner_id))
        except ValueError:
            seen_owner = asset.owner_id
        form = HandoverForm(initial={"expected_owner": seen_owner}, current_owner_id=asset.owner_id)
        context = {
            "asset": asset,
            "handover_form": form,
            "where": where,
            "people": handover_people(asset.owner_id),
        }
        if request.htmx:
            # Loaded in place when asked for: the person goes on with choosing.
            context["autofocus"] = True
            return render(request, "ownership/handover.html#handover-form", context)
        return render(request, "ownership/handover.html", context)

    form = HandoverForm(request.POST, current_owner_id=asset.owner_id)
    # The owner the user saw may no longer be the owner: then the picker above excludes the
    # current owner, and the conflict is reported rather than a confusing field error.
    conflict = None
    done = None
    confirming = False
    if form.is_valid():
        data = form.cleaned_data
        if data["expected_owner"] != asset.owner_id:
            conflict = services.HandoverConflict(asset, latest_handover(asset))
        elif request.POST.get("confirm") != "yes" or "change" in request.POST:
            # Not yet: the summary to confirm, or ("Change") the form again as filled in.
            confirming = "change" not in request.POST
        else:
            try:
                done = services.asset_hand_over(
                    asset_id=asset.pk,
                    expected_owner_id=data["expected_owner"],
                    new_owner=data["new_owner"],
                    by=request.user,
                    reason=data["reason"],
                )
            except services.HandoverConflict as exc:
                conflict = exc
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
    elif (
        "expected_owner" in form.cleaned_data
        and form.cleaned_data["expected_owner"] != asset.owner_id
    ):
        conflict = services.HandoverConflict(asset, latest_handover(asset))

    status = 409 if conflict else (422 if form.errors else 200)
    step = {"confirming": confirming, "autofocus": not done}
    if not request.htmx:
        if done:
            messages.success(request, handed_over_message(done))
            return redirect(asset)
        context = {
            "asset": asset,
            "handover_form": form,
            "conflict": conflict,
            "where": "page",
            **step,
        }
        if conflict:
            context["handover_form"] = HandoverForm(
                initial={
                    "expected_owner": conflict.asset.owner_id,
                    "reason": request.POST.get("reason", ""),
                },
                current_owner_id=conflict.asset.owner_id,
            )
        context["people"] = handover_people(context["asset"].owner_id)
        return render(request, "ownership/handover.html", context, status=status)

    fresh = Asset.objects.for_list().get(pk=asset.pk)
    if where == "row":
        context = {
            "asset": fresh,
            "confirm_days": settings.OWNERSHIP_CONFIRM_DAYS,
            "conflict": conflict,
            "done_message": handed_over_message(done) if done else "",
            "handover_form": None if (done or conflict) else form,
            "people": [] if (done or conflict) else handover_people(fresh.owner_id),
            "role_conflict_summary": role_conflict_summary(),
            **step,
        }
        response = render(request, "ownership/index.html#asset-row", context, status=status)
    else:
        # Done: the message, and the form again only when asked for. Refused: the form again,
        # based on the owner now and with the reason typed.
        context = {
            "asset": fresh,
            "conflict": conflict,
            "done_message": handed_over_message(done) if done else "",
            # The panel stays for whoever just used it: it says what happened, and to a former
            # owner that the asset is no longer theirs.
            "can_edit": True,
            **step,
        }
        if not done:
            context["handover_form"] = form
            if conflict:
                context["handover_form"] = HandoverForm(
                    initial={
                        "expected_owner": fresh.owner_id,
                        "reason": request.POST.get("reason", ""),
                    },
                    current_owner_id=fresh.owner_id,
                )
            context["people"] = handover_people(fresh.owner_id)
        response = render(request, "ownership/asset.html#handover-panel", context, status=status)
    if done or conflict:
        trigger_client_event(response, "ownerChanged", {"asset": asset.pk})
    return response


def not_yours(request: HttpRequest, asset: Asset, where: str) -> HttpResponse:
    """A handover asked for by someone who may not hand the asset over: most often its former
    owner, on a page left open. Without htmx, the error page (with the layout) says who owns it
    now; with htmx, the region they used says so in place, and the page's regions refresh."""
    if not request.htmx:
        raise PermissionDenied(
            f"Only the owner of {asset.name} ({display_name(asset.owner)}) or staff can hand it "
            "over. Ask them if it should change hands."
        )
    if where == "row":
        context = {
            "asset": Asset.objects.for_list().get(pk=asset.pk),
            "confirm_days": settings.OWNERSHIP_CONFIRM_DAYS,
            "role_conflict_summary": role_conflict_summary(),
        }
        response = render(request, "ownership/index.html#asset-row", context)
        response = reswap(retarget(response, f"#asset-{asset.pk}"), "outerHTML")
    else:
        context = {"asset": asset, "can_edit": True}  # the panel: "You no longer own …"
        response = render(request, "ownership/asset.html#handover-panel", context)
        response = reswap(retarget(response, "#handover-panel"), "outerHTML")
    return trigger_client_event(response, "ownerChanged", {"asset": asset.pk})


def latest_handover(asset: Asset) -> Handover | None:
    return asset.handovers.select_related("from_owner", "to_owner", "by").first()


def role_conflict_summary() -> str:
    rule = extensions.role_conflict_rule()
    return rule.summary if rule else ""


def handed_over_message(done: Handover) -> str:
    who = display_name(done.to_owner)
    return f"{done.asset.name} is now owned by {who}."


@require_POST
def confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """The owner's "Still mine". Whether the user owns the asset is decided by the service on
    the locked row, not here: a handover may be waiting to commit. Someone who is not (or no
    longer) the owner gets the error page without htmx (403), and with htmx the region they
    used, saying who owns it now (409, and the page's other regions refresh)."""
    asset = get_asset_for_view(request.user, slug)
    where = request.POST.get("where")
    try:
        services.asset_confirm(asset_id=asset.pk, by=request.user)
    except services.NotTheOwner as exc:
        if not request.htmx:
            raise
        response = confirm_region(request, asset, where, refused=str(exc), status=409)
        return trigger_client_event(response, "ownerChanged", {"asset": asset.pk})
    if request.htmx:
        response = confirm_region(request, asset, where, just_confirmed=True)
        return trigger_client_event(response, "ownershipConfirmed", {"asset": asset.pk})
    messages.success(request, f"Thanks: {asset.name} is confirmed as yours.")
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("ownership:asset", args=[asset.slug])
    return redirect(next_url)


def confirm_region(
    request: HttpRequest,
    asset: Asset,
    where: str | None,
    *,
    refused: str = "",
    just_confirmed: bool = False,
    status: int = 200,
) -> HttpResponse:
    """What a "Still mine" button answers in place, read after the confirmation (or refusal):
    the asset page's accountability region, or the button's own span in a row or card."""
    if where == "page":
        fresh = Asset.objects.for_page().get(pk=asset.pk)
        context = {**asset_context(request, fresh, region="accountability"), "refused": refused}
        return render(request, "ownership/asset.html#accountability", context, status=status)
    fresh = Asset.objects.for_list().get(pk=asset.pk)
    context = {
        "asset": fresh,
        "just_confirmed": just_confirmed,
        "refused": refused,
        "is_owner": fresh.owner_id == request.user.pk,
        "where": where,
    }
    return render(request, "ownership/_confirm.html", context, status=status)
