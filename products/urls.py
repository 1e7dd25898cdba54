from __future__ import annotations

from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/editors/", views.editor_add, name="editor_add"),
    path("<slug:slug>/editors/<int:user_id>/remove/", views.editor_remove, name="editor_remove"),
    path("<slug:slug>/kpis/new/", views.kpi_create, name="kpi_create"),
    path("<slug:slug>/kpis/<int:kpi_id>/edit/", views.kpi_edit, name="kpi_edit"),
    path("<slug:slug>/kpis/<int:kpi_id>/delete/", views.kpi_delete, name="kpi_delete"),
    path(
        "<slug:slug>/kpis/<int:kpi_id>/measurements/",
        views.measurement_add,
        name="measurement_add",
    ),
    path(
        "<slug:slug>/measurements/<int:measurement_id>/delete/",
        views.measurement_delete,
        name="measurement_delete",
    ),
    path("<slug:slug>/risks/new/", views.risk_create, name="risk_create"),
    path("<slug:slug>/risks/<int:risk_id>/edit/", views.risk_edit, name="risk_edit"),
    path("<slug:slug>/risks/<int:risk_id>/delete/", views.risk_delete, name="risk_delete"),
    path("<slug:slug>/roadmap/", views.roadmap, name="roadmap"),
    path("<slug:slug>/roadmap/items/new/", views.item_create, name="item_create"),
    path("<slug:slug>/roadmap/items/<int:item_id>/", views.item_page, name="item"),
    path("<slug:slug>/roadmap/items/<int:item_id>/move/", views.item_move, name="item_move"),
    path("<slug:slug>/roadmap/items/<int:item_id>/card/", views.item_card, name="item_card"),
    path(
        "<slug:slug>/roadmap/items/<int:item_id>/fields/<str:field>/",
        views.item_field,
        name="item_field",
    ),
    path("<slug:slug>/roadmap/items/<int:item_id>/delete/", views.item_delete, name="item_delete"),
]
