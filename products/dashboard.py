"""The products card of the dashboard: the products the user manages or edits, with their stage,
KPI progress and open roadmap items per horizon. Two queries, whatever the numbers."""

from __future__ import annotations

from django.db.models import Prefetch

from products.models import Kpi, Product


def dashboard_context(user) -> dict:
    products = list(
        Product.objects.filter(pk__in=Product.objects.owned_or_edited_by(user).values("pk"))
        .select_related("asset")
        .with_roadmap_counts()
        .prefetch_related(
            Prefetch("kpis", queryset=Kpi.objects.with_latest(), to_attr="dashboard_kpis")
        )
        .order_by("asset__name")
    )
    for product in products:
        product.is_owner = product.asset.owner_id == user.pk
        for kpi in product.dashboard_kpis:
            kpi.product = product  # the due date may count from the product's launch
            kpi.progress_pct = kpi.progress(kpi.latest_value)
    return {"my_products": products}
