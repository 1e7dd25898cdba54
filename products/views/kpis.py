"""A product's KPIs and their measurements."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from products import access, services
from products.forms import KpiForm, MeasurementForm
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit


@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_edit(request.user, slug)
    form = KpiForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.kpi_create(product=product, by=request.user, **form.changes())
        except ValidationError as exc:  # the name taken meanwhile
            form.add_error(None, exc)
        else:
            messages.success(request, f"KPI “{form.cleaned_data['name']}” added.")
            return redirect(reverse("products:detail", args=[slug]) + "#kpis")
    status = 422 if form.is_bound else 200
    return render(
        request, "products/kpi_form.html", {"product": product, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, slug: str, kpi_id: int) -> HttpResponse:
    product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    form = KpiForm(
        request.POST or None, instance=kpi, product=product, initial={"version": kpi.version}
    )
    context: dict = {"product": product, "form": form, "kpi": kpi}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.kpi_update(
                    kpi_id=kpi.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except ValidationError as exc:  # the name taken meanwhile
                form.add_error(None, exc)
            except StaleEdit as exc:
                context["kpi"] = exc.current  # the heading names the KPI as saved
                context["conflict"] = exc
                context["form"] = KpiForm(
                    {**request.POST.dict(), "version": exc.current.version},
                    instance=exc.current,
                    product=product,
                )
                status = 409
            else:
                messages.success(request, "KPI saved.")
                return redirect(reverse("products:detail", args=[slug]) + "#kpis")
    return render(request, "products/kpi_form.html", context, status=status)


@require_POST
def kpi_delete(request: HttpRequest, slug: str, kpi_id: int) -> HttpResponse:
    product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    services.kpi_delete(kpi=kpi)
    messages.success(request, f"KPI “{kpi.name}” deleted with its measurements.")
    return redirect(reverse("products:detail", args=[slug]) + "#kpis")


@require_POST
def measurement_add(request: HttpRequest, slug: str, kpi_id: int) -> HttpResponse:
    product, kpi = access.get_kpi_for_edit(request.user, slug, kpi_id)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        services.measurement_record(kpi=kpi, by=request.user, **form.cleaned_data)
        messages.success(request, f"Recorded {kpi.name} for {form.cleaned_data['date']:%d %b %Y}.")
        return redirect(reverse("products:detail", args=[slug]) + f"#kpi-{kpi.pk}")
    return render(
        request,
        "products/measurement_form.html",
        {"product": product, "kpi": kpi, "form": form},
        status=422,
    )


@require_POST
def measurement_delete(request: HttpRequest, slug: str, measurement_id: int) -> HttpResponse:
    product, measurement = access.get_measurement_for_edit(request.user, slug, measurement_id)
    services.measurement_delete(measurement=measurement)
    messages.success(request, "Measurement deleted.")
    return redirect(reverse("products:detail", args=[slug]) + f"#kpi-{measurement.kpi_id}")
