from __future__ import annotations

from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    label = "products"
    verbose_name = "Products"

    def ready(self) -> None:
        from django.urls import reverse

        from roleplan.ownership.extensions import register_asset_link
        from roleplan.ownership.models import AssetKind

        # A product's asset links to the product page (its slug is the asset's).
        register_asset_link(
            AssetKind.PRODUCT,
            lambda asset: reverse("products:detail", args=[asset.slug]),
            label="Open the product",
        )
