from __future__ import annotations

from django.urls import path

from roleplan.ownership import views

app_name = "ownership"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export_csv, name="export"),
    path("new/", views.asset_create, name="create"),
    path("<slug:slug>/", views.asset_detail, name="asset"),
    path("<slug:slug>/edit/", views.asset_edit, name="edit"),
    path("<slug:slug>/handover/", views.handover, name="handover"),
    path("<slug:slug>/confirm/", views.confirm, name="confirm"),
]
