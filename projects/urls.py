from __future__ import annotations

from django.urls import path

from projects import views

app_name = "projects"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<slug:slug>/", views.detail, name="detail"),
    path("<slug:slug>/edit/", views.edit, name="edit"),
    path("<slug:slug>/approve/", views.approve, name="approve"),
    path("<slug:slug>/scope/", views.scope, name="scope"),
    path("<slug:slug>/timeline/", views.timeline, name="timeline"),
    path("<slug:slug>/budget/", views.budget, name="budget"),
    path("<slug:slug>/changes/", views.changes, name="changes"),
    path("<slug:slug>/deliverables/new/", views.deliverable_add, name="deliverable_add"),
    path("<slug:slug>/deliverables/<int:pk>/", views.deliverable_edit, name="deliverable_edit"),
    path(
        "<slug:slug>/deliverables/<int:pk>/done/", views.deliverable_done, name="deliverable_done"
    ),
    path(
        "<slug:slug>/deliverables/<int:pk>/delete/",
        views.deliverable_delete,
        name="deliverable_delete",
    ),
    path("<slug:slug>/milestones/new/", views.milestone_add, name="milestone_add"),
    path("<slug:slug>/milestones/<int:pk>/", views.milestone_edit, name="milestone_edit"),
    path(
        "<slug:slug>/milestones/<int:pk>/delete/", views.milestone_delete, name="milestone_delete"
    ),
    path("<slug:slug>/costs/new/", views.cost_add, name="cost_add"),
    path("<slug:slug>/costs/<int:pk>/", views.cost_edit, name="cost_edit"),
    path("<slug:slug>/costs/<int:pk>/delete/", views.cost_delete, name="cost_delete"),
    path("<slug:slug>/risks/", views.risks, name="risks"),
    path("<slug:slug>/risks/new/", views.risk_add, name="risk_add"),
    path("<slug:slug>/risks/<int:pk>/", views.risk_edit, name="risk_edit"),
    path("<slug:slug>/risks/<int:pk>/delete/", views.risk_delete, name="risk_delete"),
    path("<slug:slug>/changes/new/", views.change_new, name="change_new"),
    path("<slug:slug>/changes/<int:number>/", views.change_detail, name="change"),
    path("<slug:slug>/changes/<int:number>/options/new/", views.option_add, name="option_add"),
    path(
        "<slug:slug>/changes/<int:number>/options/<int:pk>/", views.option_edit, name="option_edit"
    ),
    path(
        "<slug:slug>/changes/<int:number>/options/<int:pk>/delete/",
        views.option_delete,
        name="option_delete",
    ),
    path("<slug:slug>/changes/<int:number>/decide/", views.change_decide, name="change_decide"),
    path(
        "<slug:slug>/changes/<int:number>/withdraw/", views.change_withdraw, name="change_withdraw"
    ),
    path("<slug:slug>/export/<slug:filename>.xml", views.export_mspdi, name="export_mspdi"),
    path("<slug:slug>/export/<slug:filename>.ics", views.export_ics, name="export_ics"),
    path(
        "<slug:slug>/export/deliverables.csv",
        views.export_deliverables_csv,
        name="export_deliverables",
    ),
    path("<slug:slug>/export/risks.csv", views.export_risks_csv, name="export_risks"),
]
