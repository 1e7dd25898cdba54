"""Importing an MS Project plan, in three pages: the file (and whose project it becomes), the
preview of what would be created with every warning, and the summary after importing.

Between the pages the file waits in the configured cache for an hour under a random token
(shared by every web process with Redis), with who uploaded it: the preview reads it again,
the import reads it a last time and writes it all or nothing (projects.services.plan_import).
Only someone with the planner permission, the rule for creating a project, imports.
"""

from __future__ import annotations

import re
import secrets

from django.contrib.auth.models import User
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from products.models import Product
from projects import mspdi_import, services
from projects.access import require_planner
from projects.forms import PlanImportForm
from projects.views.editing import people
from roleplan.http import HttpRequest

KEEP_SECONDS = 3600
SHOWN = 100  # rows of each list in the preview; the counts say how many there are


TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what secrets.token_urlsafe() makes


def _key(token: str, step: str = "file") -> str:
    """The cache key of an upload's `step`; 404 for a token upload() never makes (a NUL byte or
    a thousand characters are not a cache key)."""
    if not TOKEN.fullmatch(token):
        raise Http404("No such import.")
    return f"projects:plan-import:{step}:{token}"


def _form_kwargs() -> dict:
    return {
        "products": list(Product.objects.select_related("asset").order_by("asset__name")),
        "people": people(),
    }


@require_http_methods(["GET", "POST"])
def plan_import(request: HttpRequest) -> HttpResponse:
    """The file and whose project it becomes; a file that cannot be imported is answered
    here, next to the field, and nothing is kept."""
    require_planner(request.user)
    kwargs = _form_kwargs()
    if request.method == "GET":
        form = PlanImportForm(initial={"manager": request.user}, **kwargs)
        return render(request, "projects/import.html", {"form": form})
    form = PlanImportForm(request.POST, request.FILES, **kwargs)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > mspdi_import.MAX_BYTES:  # refused before reading it
                raise mspdi_import.Unreadable(
                    f"The file is {upload.size / 1024 / 1024:.1f} MB; plans of up to "
                    f"{mspdi_import.MAX_BYTES // 1024 // 1024} MB are imported."
                )
            data = upload.read()
            mspdi_import.read(data, today=timezone.localdate())
        except mspdi_import.Unreadable as exc:
            form.add_error("file", str(exc))
        else:
            token = secrets.token_urlsafe(18)
            product, manager = form.cleaned_data["product"], form.cleaned_data["manager"]
            cache.set(
                _key(token),
                {
                    "data": data,
                    "filename": upload.name[:200],
                    "by": request.user.pk,
                    "product": product.pk if product else None,
                    "manager": manager.pk,
                },
                KEEP_SECONDS,
            )
            return redirect("projects:import_preview", token=token)
    return render(request, "projects/import.html", {"form": form}, status=422)


def _upload(request: HttpRequest, token: str) -> dict:
    """The file waiting under `token`, for the person who uploaded it; 404 once it is gone."""
    upload = cache.get(_key(token))
    if not upload or upload["by"] != request.user.pk:
        raise Http404("This import is no longer waiting: upload the file again.")
    return upload


@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    """What the import would create, with every warning; POST imports it and shows the
    summary."""
    require_planner(request.user)
    upload = _upload(request, token)
    proposal = mspdi_import.read(upload["data"], today=timezone.localdate())
    product = (
        Product.objects.select_related("asset").filter(pk=upload["product"]).first()
        if upload["product"]
        else None
    )
    manager = User.objects.get(pk=upload["manager"])
    if request.method == "POST":
        # Claimed before writing: a second click (or tab) finds it gone, not a second project.
        if not cache.delete(_key(token)):
            raise Http404("This import is no longer waiting: upload the file again.")
        project = services.plan_import(
            proposal=proposal, by=request.user, manager=manager, product=product
        )
        cache.set(
            _key(token, "done"),
            {
                "by": request.user.pk,
                "project": project.slug,
                "name": project.name,
                "deliverables": len(proposal.deliverables),
                "milestones": len(proposal.milestones),
                "links": len(proposal.links),
                "milestone_links": len(proposal.milestone_links),
                "costs": len(proposal.costs),
                "groups": len(proposal.groups),
                "matched": [
                    (r.name, str(r.person.get_full_name() or r.person)) for r in proposal.matched
                ],
                "unmatched": [(r.name, r.why_unmatched) for r in proposal.unmatched],
                "notes": len(proposal.notes),
                "filename": upload["filename"],
            },
            KEEP_SECONDS,
        )
        return redirect("projects:import_done", token=token)
    by_uid = {t.uid: t.name for t in proposal.deliverables}
    context = {
        "proposal": proposal,
        "product": product,
        "manager": manager,
        "filename": upload["filename"],
        "deliverables": proposal.deliverables[:SHOWN],
        "milestones": proposal.milestones[:SHOWN],
        "costs": proposal.costs[:SHOWN],
        "shown": SHOWN,
        "links": [
            (by_uid[link.predecessor], by_uid[link.successor], link.lag_days)
            for link in proposal.links[:SHOWN]
        ],
        "link_count": len(proposal.links) + len(proposal.milestone_links),
        "action": reverse("projects:import_preview", args=[token]),
    }
    return render(request, "projects/import_preview.html", context)


@require_GET
def import_done(request: HttpRequest, token: str) -> HttpResponse:
    """What the import created, and the people it could not match."""
    summary = cache.get(_key(token, "done"))
    if not summary or summary["by"] != request.user.pk:
        raise Http404("No such import.")
    return render(request, "projects/import_done.html", {"summary": summary})
