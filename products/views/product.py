"""The product list, registering a product, a product's page, editing it and its editors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from products import access, services
from products.charts import kpi_chart
from products.extensions import product_panels
from products.forms import EditorForm, MeasurementForm, ProductCreateForm, ProductForm
from products.models import Horizon, HypothesisStatus, KpiMeasurement, Product
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit

NOW_SHOWN = 10  # items of Now the product page lists; the roadmap has the rest


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    products = list(Product.objects.for_list(request.user))
    can_create = access.can_plan(request.user)
    return render(request, "products/index.html", {"products": products, "can_create": can_create})


@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    access.check_can_plan(request.user)
    form = ProductCreateForm(request.POST or None, initial={"owner": request.user})
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(by=request.user, **form.service_kwargs())
        except ValidationError as exc:  # taken meanwhile by someone registering the same
            form.add_error(None, exc)
        else:
            messages.success(request, f"{product.name} is registered, owned by {product.owner}.")
            return redirect(product)
    status = 422 if form.is_bound else 200
    return render(request, "products/create.html", {"form": form}, status=status)


def kpi_cards(product: Product) -> list[dict]:
    """Each KPI with its measurements, progress against its target and chart: two queries for
    all of them. Progress starts at the baseline, or at the first measurement without one."""
    kpis = product.kpis.prefetch_related(
        Prefetch("measurements", queryset=KpiMeasurement.objects.order_by("date", "id"))
    )
    cards = []
    for kpi in kpis:
        kpi.product = product  # its due date may count from the product's launch
        measurements = list(kpi.measurements.all())
        latest = measurements[-1] if measurements else None
        first = measurements[0].value if measurements else None
        cards.append(
            {
                "kpi": kpi,
                "measurements": measurements,
                "latest": latest,
                "progress": kpi.progress(latest.value if latest else None, start=first),
                "chart": kpi_chart(
                    baseline=kpi.baseline,
                    target=kpi.target,
                    unit=kpi.unit,
                    due_date=kpi.due,
                    measurements=[(m.date, m.value) for m in measurements],
                ),
            }
        )
    return cards


@require_GET
def detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_view(request.user, slug)
    return render(request, "products/detail.html", detail_context(request, product))


def detail_context(request: HttpRequest, product: Product, **forms: object) -> dict:
    """The product page; `forms` are the page's forms that came back with errors."""
    items = product.roadmap_items.all()
    counts = items.aggregate(**{h.value: Count("pk", filter=Q(horizon=h)) for h in Horizon})
    now_items = list(
        items.filter(horizon=Horizon.NOW)
        .only("title", "status", "rice_score", "ice_score", "product_id")
        .order_by("rank")[:NOW_SHOWN]
    )
    hypotheses = product.hypotheses.status_counts()
    return {
        "product": product,
        "panels": [
            {
                "title": panel.title,
                "html": render_to_string(
                    panel.template, {**panel.context, "product": product}, request
                ),
            }
            for panel in product_panels(product, request.user)
        ],
        "hypothesis_counts": [(s, hypotheses[s.value]) for s in HypothesisStatus],
        "hypothesis_total": hypotheses["all"],
        "kpi_cards": kpi_cards(product),
        "now_items": now_items,
        "now_more": counts[Horizon.NOW] - len(now_items),
        "horizon_counts": [(h, counts[h.value]) for h in Horizon],
        "risks": list(product.risks.select_related("owner")),
        "editors": list(product.editors.order_by("first_name", "username")),
        "can_manage_editors": access.can_manage_editors(request.user, product),
        "editor_form": EditorForm(product=product),
        "measurement_form": MeasurementForm(),
        **forms,
    }


@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_edit(request.user, slug)
    form = ProductForm(request.POST or None, instance=product, initial={"version": product.version})
    context: dict = {"product": product, "form": form}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.product_update(
                    product_id=product.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except StaleEdit as exc:
                current = exc.current
                current.asset = product.asset
                current.can_edit = True
                context["product"] = (
                    current  # the page shows what is saved, the form what was typed
                )
                context["conflict"] = exc
                context["form"] = ProductForm(
                    {**request.POST.dict(), "version": current.version}, instance=current
                )
                status = 409
            else:
                messages.success(request, "Saved.")
                return redirect(product)
    return render(request, "products/edit.html", context, status=status)


@require_POST
def editor_add(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_editors(request.user, slug)
    form = EditorForm(request.POST, product=product)
    if not form.is_valid():
        # The page again, the message next to the select (422: nothing was added).
        context = detail_context(request, product, editor_form=form)
        return render(request, "products/detail.html", context, status=422)
    services.product_add_editor(product=product, user=form.cleaned_data["user"])
    messages.success(request, f"{form.cleaned_data['user']} may now edit {product.name}.")
    return redirect(reverse("products:detail", args=[slug]) + "#editors")


@require_POST
def editor_remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    product = access.get_product_for_editors(request.user, slug)
    user = get_object_or_404(User, pk=user_id, editable_products=product)
    services.product_remove_editor(product=product, user=user)
    messages.success(request, f"{user} no longer edits {product.name}.")
    return redirect(reverse("products:detail", args=[slug]) + "#editors")
