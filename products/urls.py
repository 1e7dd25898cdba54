from __future__ import annotations

from django.urls import path

from products.views import hypotheses, imports, items, kpis, product, risks, roadmap

app_name = "products"

urlpatterns = [
    path("", product.index, name="index"),
    path("new/", product.create, name="create"),
    path("<slug:slug>/", product.detail, name="detail"),
    path("<slug:slug>/edit/", product.edit, name="edit"),
    path("<slug:slug>/editors/", product.editor_add, name="editor_add"),
    path("<slug:slug>/editors/<int:user_id>/remove/", product.editor_remove, name="editor_remove"),
    path("<slug:slug>/kpis/new/", kpis.kpi_create, name="kpi_create"),
    path("<slug:slug>/kpis/<int:kpi_id>/edit/", kpis.kpi_edit, name="kpi_edit"),
    path("<slug:slug>/kpis/<int:kpi_id>/delete/", kpis.kpi_delete, name="kpi_delete"),
    path(
        "<slug:slug>/kpis/<int:kpi_id>/measurements/",
        kpis.measurement_add,
        name="measurement_add",
    ),
    path(
        "<slug:slug>/measurements/<int:measurement_id>/delete/",
        kpis.measurement_delete,
        name="measurement_delete",
    ),
    path("<slug:slug>/risks/new/", risks.risk_create, name="risk_create"),
    path("<slug:slug>/risks/<int:risk_id>/edit/", risks.risk_edit, name="risk_edit"),
    path("<slug:slug>/risks/<int:risk_id>/delete/", risks.risk_delete, name="risk_delete"),
    path("<slug:slug>/hypotheses/", hypotheses.hypothesis_list, name="hypotheses"),
    path("<slug:slug>/hypotheses/new/", hypotheses.hypothesis_create, name="hypothesis_create"),
    path(
        "<slug:slug>/hypotheses/<int:hypothesis_id>/",
        hypotheses.hypothesis_page,
        name="hypothesis",
    ),
    path(
        "<slug:slug>/hypotheses/<int:hypothesis_id>/edit/",
        hypotheses.hypothesis_edit,
        name="hypothesis_edit",
    ),
    path(
        "<slug:slug>/hypotheses/<int:hypothesis_id>/status/",
        hypotheses.hypothesis_status,
        name="hypothesis_status",
    ),
    path(
        "<slug:slug>/hypotheses/<int:hypothesis_id>/delete/",
        hypotheses.hypothesis_delete,
        name="hypothesis_delete",
    ),
    path("<slug:slug>/roadmap/", roadmap.roadmap, name="roadmap"),
    path(
        "<slug:slug>/roadmap/columns/<str:horizon>/",
        roadmap.roadmap_column,
        name="roadmap_column",
    ),
    path("<slug:slug>/roadmap/export.csv", imports.roadmap_export, name="roadmap_export"),
    path("<slug:slug>/roadmap/import/", imports.import_start, name="roadmap_import"),
    path(
        "<slug:slug>/roadmap/imports/<int:import_id>/",
        imports.import_review,
        name="roadmap_import_review",
    ),
    path(
        "<slug:slug>/roadmap/imports/<int:import_id>/mapping/",
        imports.import_mapping,
        name="roadmap_import_mapping",
    ),
    path(
        "<slug:slug>/roadmap/imports/<int:import_id>/run/",
        imports.import_run,
        name="roadmap_import_run",
    ),
    path("<slug:slug>/roadmap/items/new/", items.item_create, name="item_create"),
    # A card builds these from the first one's address and its id (products/roadmap.py
    # items_url): each lies under roadmap/items/<id>/.
    path("<slug:slug>/roadmap/items/<int:item_id>/", items.item_page, name="item"),
    path("<slug:slug>/roadmap/items/<int:item_id>/edit/", items.item_edit, name="item_edit"),
    path("<slug:slug>/roadmap/items/<int:item_id>/move/", items.item_move, name="item_move"),
    path("<slug:slug>/roadmap/items/<int:item_id>/card/", items.item_card, name="item_card"),
    path("<slug:slug>/roadmap/items/<int:item_id>/delete/", items.item_delete, name="item_delete"),
]
