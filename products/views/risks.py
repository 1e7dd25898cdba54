"""A product's risks (business, legal, reputational; delivery risks belong to projects)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from products import access, services
from products.forms import RiskForm
from roleplan.http import HttpRequest
from roleplan.versioning import StaleEdit


@require_http_methods(["GET", "POST"])
def risk_create(request: HttpRequest, slug: str) -> HttpResponse:
    product = access.get_product_for_edit(request.user, slug)
    form = RiskForm(request.POST or None, initial={"owner": product.asset.owner_id})
    if request.method == "POST" and form.is_valid():
        services.risk_create(product=product, by=request.user, **form.changes())
        messages.success(request, "Risk added.")
        return redirect(reverse("products:detail", args=[slug]) + "#risks")
    status = 422 if form.is_bound else 200
    return render(
        request, "products/risk_form.html", {"product": product, "form": form}, status=status
    )


@require_http_methods(["GET", "POST"])
def risk_edit(request: HttpRequest, slug: str, risk_id: int) -> HttpResponse:
    product, risk = access.get_risk_for_edit(request.user, slug, risk_id)
    form = RiskForm(request.POST or None, instance=risk, initial={"version": risk.version})
    context: dict = {"product": product, "form": form, "risk": risk}
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                services.risk_update(
                    risk_id=risk.pk,
                    version=form.cleaned_data["version"],
                    by=request.user,
                    data=form.changes(),
                )
            except StaleEdit as exc:
                context["conflict"] = exc
                context["form"] = RiskForm(
                    {**request.POST.dict(), "version": exc.current.version}, instance=exc.current
                )
                status = 409
            else:
                messages.success(request, "Risk saved.")
                return redirect(reverse("products:detail", args=[slug]) + "#risks")
    return render(request, "products/risk_form.html", context, status=status)


@require_POST
def risk_delete(request: HttpRequest, slug: str, risk_id: int) -> HttpResponse:
    product, risk = access.get_risk_for_edit(request.user, slug, risk_id)
    services.risk_delete(risk=risk)
    messages.success(request, f"Risk “{risk.title}” deleted.")
    return redirect(reverse("products:detail", args=[slug]) + "#risks")
