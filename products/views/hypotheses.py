"""A product's hypotheses (HADI): the list with its status filter and counts, a page per
hypothesis, creating and editing one, and changing its status (concluding it changes the
confidence of its roadmap items: products/services.py hypothesis_set_status)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from products import access, services
from products.forms import HypothesisForm, HypothesisStatusForm
from products.models import Hypothesis, HypothesisStatus, RoadmapItem
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

PAGE_SIZE = 50


@require_GET
def hypothesis_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The hypotheses of a product, newest first, filtered by status (in the URL), with how
    many have each status: three queries whatever their number."""
    product = access.get_product_for_view(request.user, slug)
    status = request.GET.get("status", "")
    status = status if status in HypothesisStatus.values else ""
    hypotheses = (
        product.hypotheses.select_related("kpi").annotate_items().order_by("-created_at", "-id")
    )
    if status:
        hypotheses = hypotheses.filter(status=status)
    page = Paginator(hypotheses, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = product.hypotheses.status_counts()
    filters = [
        {"value": "", "label": "All", "count": counts["all"], "current": not status},
        *[
            {"value": s.value, "label": s.label, "count": counts[s.value], "current": s == status}
            for s in HypothesisStatus
        ],
    ]
    keep = {"status": status} if status else {}
    context = {
        "product": product,
        "page": page,
        "hypotheses": page.object_list,
        "filters": filters,
        "status": status,
        "previous_query": urlencode({**keep, "page": page.number - 1})
        if page.has_previous()
        else "",
        "next_query": urlencode({**keep, "page": page.number + 1}) if page.has_next() else "",
    }
    return render(request, "products/hypotheses.html", context)


@require_GET
def hypothesis_page(request: HttpRequest, slug: str, hypothesis_id: int) -> HttpResponse:
    product, hypothesis = access.get_hypothesis_for_view(request.user, slug, hypothesis_id)
    return render(request, "products/hypothesis.html", page_context(product, hypothesis))


def page_context(product, hypothesis: Hypothesis, **more: object) -> dict:
    items = list(
        hypothesis.items.only(
            "title", "status", "horizon", "confidence", "ice_confidence"
        ).order_by("horizon", "rank", "id")
    )
    status_form = more.pop("status_form", None) or HypothesisStatusForm(
        initial={
            "version": hypothesis.version,
            "status": hypothesis.status,
            "insight": hypothesis.insight,
        }
    )
    return {
        "product": product,
        "hypothesis": hypothesis,
        "items": items,
        "status_form": status_form,
        **more,
    }


@require_http_methods(["GET", "POST"])
def hypothesis_create(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_edit(request.user, slug)
    kpis = list(product.kpis.all())
    initial = {}
    item_id = request.GET.get("item", "")
    if item_id.isdigit():
        # "Add a hypothesis" from an item's page: linked to it, measured by its KPI.
        item = RoadmapItem.objects.filter(pk=int(item_id), product=product).first()
        if item is not None:
            initial = {"items": [item.pk], "kpi": item.kpi_id}
    form = HypothesisForm(request.POST or None, product=product, kpis=kpis, initial=initial)
    if request.method == "POST" and form.is_valid():
        hypothesis = services.hypothesis_create(
            product=product, by=request.user, **form.changes_for_create()
        )
        messages.success(request, "Hypothesis added: proposed.")
        return redirect(hypothesis.get_absolute_url())
    status = 422 if form.is_bound else 200
    context = {"product": product, "form": form}
    return render(request, "products/hypothesis_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def hypothesis_edit(request: HttpRequest, slug: str, hypothesis_id: int) -> HttpResponse:
    product, hypothesis = access.get_hypothesis_for_edit(request.user, slug, hypothesis_id)
    hypothesis.product = product
    kpis = list(product.kpis.all())
    form = HypothesisForm(
        request.POST or None,
        instance=hypothesis,
        product=product,
        kpis=kpis,
        initial={"version": hypothesis.version},
    )
    context: dict = {"product": product, "hypothesis": hypothesis, "form": form}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.hypothesis_update(
                    hypothesis_id=hypothesis.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except StaleEdit as exc:
                current = exc.current
                current.product = product
                context["hypothesis"] = current  # the heading shows what is saved
                context["conflict"] = exc
                context["form"] = HypothesisForm(
                    {
                        **request.POST.dict(),
                        "version": current.version,
                        "items": request.POST.getlist("items"),
                    },
                    instance=current,
                    product=product,
                    kpis=kpis,
                )
                status = 409
            else:
                messages.success(request, "Hypothesis saved.")
                return redirect(hypothesis.get_absolute_url())
    return render(request, "products/hypothesis_form.html", context, status=status)


@require_POST
def hypothesis_status(request: HttpRequest, slug: str, hypothesis_id: int) -> HttpResponse:
    """A new status for the hypothesis; concluding it changes its items' confidence, said in
    the message and in each item's history."""
    product, hypothesis = access.get_hypothesis_for_edit(request.user, slug, hypothesis_id)
    hypothesis.product = product
    form = HypothesisStatusForm(request.POST)
    if not form.is_valid():
        context = page_context(product, hypothesis, status_form=form)
        return render(request, "products/hypothesis.html", context, status=422)
    data = form.cleaned_data
    try:
        saved, revised = services.hypothesis_set_status(
            hypothesis_id=hypothesis.pk,
            version=data["version"],
            by=request.user,
            status=data["status"],
            insight=data["insight"],
        )
    except StaleEdit as exc:
        current = exc.current
        current.product = product
        form = HypothesisStatusForm({**request.POST.dict(), "version": current.version})
        form.is_valid()
        context = page_context(product, current, conflict=exc, status_form=form)
        return render(request, "products/hypothesis.html", context, status=409)
    said = f"Hypothesis {saved.get_status_display().lower()}."
    if revised:
        titles = ", ".join(f"“{item.title}”" for item in revised)
        said += f" Confidence changed for {titles}."
    messages.success(request, said)
    return redirect(saved.get_absolute_url())


@require_POST
def hypothesis_delete(request: HttpRequest, slug: str, hypothesis_id: int) -> HttpResponse:
    product, hypothesis = access.get_hypothesis_for_edit(request.user, slug, hypothesis_id)
    services.hypothesis_delete(hypothesis=hypothesis)
    messages.success(request, "Hypothesis deleted; its items keep their confidence.")
    return redirect("products:hypotheses", slug=product.slug)
