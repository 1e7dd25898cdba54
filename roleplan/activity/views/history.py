"""The Activity tab of a product and of a project, and the history of one object.

Access: exactly the people who may see the object, through its app's access helper (the
product's, the project's, the ownership record's, the sync's): an unknown object is a 404. A
sync's rows are read by those who may read the sync (roleplan/alignment/access.py): a series'
settings by its pair, a topic, action item or decision by its meeting's participants; staff
read all; anyone else gets 404, as on the sync's pages. A product or a
project shows everything in it (roleplan/activity/history.py: product_sources,
project_sources); an object's page loads its own history after it renders ({% history_for %}),
a page of entries at a time, older ones on asking.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from products.access import get_product_for_view
from products.models import Product
from projects.access import get_project
from projects.models import Project
from roleplan.activity import history
from roleplan.alignment.access import get_meeting_for_view, get_series_for_view
from roleplan.alignment.models import ActionItem, Decision, Topic
from roleplan.http import HttpRequest
from roleplan.ownership.access import get_asset_for_view
from roleplan.ownership.models import Asset


def _item_url(slug: str):
    return lambda item_id: reverse("products:item", args=[slug, item_id])


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, f"{template}#edits" if request.htmx else template, context)


@require_GET
def product_activity(request: HttpRequest, slug: str) -> HttpResponse:
    product = get_product_for_view(request.user, slug)
    page = history.feed(
        history.product_sources(product), request.GET.get("page"), item_url=_item_url(slug)
    )
    context = {
        "product": product,
        "page": page,
        "here": reverse("activity:product_history", args=[slug]),
        "whole": True,
    }
    return _render(request, "activity/product_history.html", context)


@require_GET
def project_activity(request: HttpRequest, slug: str) -> HttpResponse:
    access = get_project(request.user, slug)
    project = access.project
    page = history.feed(history.project_sources(project), request.GET.get("page"))
    context = {
        "access": access,
        "project": project,
        "page": page,
        "here": reverse("activity:project_history", args=[slug]),
        "whole": True,
    }
    return _render(request, "activity/project_history.html", context)


# Where each kind's object sits: the lookup from its product or project to it.
PRODUCT_PATHS = {
    "product": "pk",
    history.ITEM: "roadmap_items",
    "kpi": "kpis",
    "measurement": "kpis__measurements",
    "hypothesis": "hypotheses",
    "product-risk": "risks",
}
PROJECT_PATHS = {
    "project": "pk",
    "deliverable": "deliverables",
    "milestone": "milestones",
    "cost-line": "cost_lines",
    "project-risk": "risks",
    "change": "change_requests",
    "change-option": "change_requests__options",
}


# The rows of a sync's meeting: read by whoever may read the meeting.
MEETING_ROWS = {"topic": Topic, "action-item": ActionItem, "decision": Decision}


def _find_sync(user, kind: str, pk: int) -> dict:
    if kind in {history.MEETING, "sync-notes"}:
        meeting = get_meeting_for_view(user, pk)
        return {
            "title": str(meeting),
            "context_label": "Weekly sync",
            "url": meeting.get_absolute_url(),
        }
    if kind == "sync-series":
        series = get_series_for_view(user, pk)
        return {
            "title": f"{series} settings",
            "context_label": "Weekly sync",
            "url": reverse("alignment:series", args=[pk]),
        }
    meeting_id = MEETING_ROWS[kind].objects.filter(pk=pk).values_list("meeting_id", flat=True)
    meeting = get_meeting_for_view(user, next(iter(meeting_id), None))
    return {"context_label": str(meeting), "url": meeting.get_absolute_url()}


def _find(request: HttpRequest, kind: str, pk: int) -> dict:
    """What the history page names of the object, once its app says the person may see it."""
    user = request.user
    if kind in {"sync-series", "sync-notes", history.MEETING, *MEETING_ROWS}:
        return _find_sync(user, kind, pk)
    if kind == "asset":
        asset = Asset.objects.filter(pk=pk).first()
        if asset is None:
            raise Http404("No such object.")
        asset = get_asset_for_view(user, asset.slug)
        return {
            "title": asset.name,
            "context_label": "Ownership record",
            "url": asset.get_absolute_url(),
        }
    if kind in PRODUCT_PATHS:
        product = (
            Product.objects.filter(**{PRODUCT_PATHS[kind]: pk}).select_related("asset").first()
        )
        if product is None:
            raise Http404("No such object.")
        get_product_for_view(user, product.asset.slug)
        return {
            "context_label": product.asset.name,
            "url": reverse("products:detail", args=[product.asset.slug]),
            "item_url": _item_url(product.asset.slug),
        }
    project = Project.objects.filter(**{PROJECT_PATHS[kind]: pk}).first()
    if project is not None:
        get_project(user, project.slug)
        return {
            "context_label": project.name,
            "url": reverse("projects:detail", args=[project.slug]),
        }
    raise Http404("No such object.")


@require_GET
def object_history(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """One object's history: a region to htmx (the object's page loads it), a page otherwise."""
    if kind not in history.KINDS and kind not in {history.ITEM, history.MEETING}:
        raise Http404("No history of that kind.")
    found = _find(request, kind, pk)
    page = history.feed(
        history.object_sources(kind, pk), request.GET.get("page"), item_url=found.get("item_url")
    )
    labels = {history.ITEM: history.ITEM_LABEL, history.MEETING: history.MEETING_LABEL}
    label = labels[kind] if kind in labels else history.KINDS[kind].label
    first = next(iter(page.object_list), None)
    context = {
        **found,
        "label": label,
        "title": found.get("title") or (first.title if first else label),
        "page": page,
        "here": reverse("activity:history", args=[kind, pk]),
        # A meeting's history lists several objects: each line names its object.
        "whole": kind == history.MEETING,
    }
    return _render(request, "activity/history.html", context)
