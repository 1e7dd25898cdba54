from __future__ import annotations

from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    label = "projects"
    verbose_name = "Projects"

    def ready(self) -> None:
        from django.db.models import Exists, OuterRef, Q

        from projects.models import Project
        from roleplan.ownership.extensions import register_role_conflict
        from roleplan.ownership.models import AssetKind

        def owner_manages_a_project() -> Q:
            managed = Project.objects.filter(
                product__asset=OuterRef("pk"), manager=OuterRef("owner")
            )
            return Q(kind=AssetKind.PRODUCT) & Exists(managed)

        # The ownership registry's role-conflict gap: a product's owner manages one of its
        # projects (the product and project voices are then one person).
        register_role_conflict(
            owner_manages_a_project,
            summary="The product's owner also manages one of its projects",
            explanation="The product's owner also manages one of its projects (allowed, but the "
            "product and project voices are then one person).",
        )

        from products.extensions import register_item_delivery, register_product_panel
        from projects import delivery

        # The roadmap names the project delivering each item, and the product page lists the
        # product's projects (projects/delivery.py).
        register_item_delivery(delivery.item_deliveries)
        register_product_panel(delivery.projects_panel, name="projects")
