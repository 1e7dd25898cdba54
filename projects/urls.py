from __future__ import annotations

from django.urls import path

from projects.views import (
    approval,
    budget,
    changes,
    exports,
    imports,
    project,
    risks,
    scope,
    timeline,
)

app_name = "projects"

urlpatterns = [
    path("", project.index, name="index"),
    path("new/", project.create, name="create"),
    path("import/", imports.plan_import, name="import"),
    path("import/<str:token>/", imports.import_preview, name="import_preview"),
    path("import/<str:token>/done/", imports.import_done, name="import_done"),
    path("<slug:slug>/", project.detail, name="detail"),
    path("<slug:slug>/edit/", project.edit, name="edit"),
    path("<slug:slug>/approve/", approval.approve, name="approve"),
    path("<slug:slug>/approval/ask/", approval.approval_ask, name="approval_ask"),
    path("<slug:slug>/approval/return/", approval.approval_return, name="approval_return"),
    path("<slug:slug>/scope/", scope.scope, name="scope"),
    path("<slug:slug>/timeline/", timeline.timeline, name="timeline"),
    path("<slug:slug>/budget/", budget.budget, name="budget"),
    path("<slug:slug>/changes/", changes.changes, name="changes"),
    path("<slug:slug>/deliverables/new/", scope.deliverable_add, name="deliverable_add"),
    path("<slug:slug>/deliverables/<int:pk>/", scope.deliverable_edit, name="deliverable_edit"),
    path(
        "<slug:slug>/deliverables/<int:pk>/done/", scope.deliverable_done, name="deliverable_done"
    ),
    path(
        "<slug:slug>/deliverables/<int:pk>/dependencies/",
        scope.deliverable_dependencies,
        name="deliverable_dependencies",
    ),
    path(
        "<slug:slug>/deliverables/<int:pk>/dependencies/<int:link>/remove/",
        scope.dependency_remove,
        name="dependency_remove",
    ),
    path(
        "<slug:slug>/deliverables/<int:pk>/delete/",
        scope.deliverable_delete,
        name="deliverable_delete",
    ),
    path(
        "<slug:slug>/deliverables/<int:pk>/remove/",
        scope.deliverable_remove,
        name="deliverable_remove",
    ),
    path("<slug:slug>/milestones/new/", timeline.milestone_add, name="milestone_add"),
    path("<slug:slug>/milestones/<int:pk>/", timeline.milestone_edit, name="milestone_edit"),
    path(
        "<slug:slug>/milestones/<int:pk>/delete/",
        timeline.milestone_delete,
        name="milestone_delete",
    ),
    path("<slug:slug>/costs/new/", budget.cost_add, name="cost_add"),
    path("<slug:slug>/costs/<int:pk>/", budget.cost_edit, name="cost_edit"),
    path("<slug:slug>/costs/<int:pk>/delete/", budget.cost_delete, name="cost_delete"),
    path("<slug:slug>/risks/", risks.risks, name="risks"),
    path("<slug:slug>/risks/new/", risks.risk_add, name="risk_add"),
    path("<slug:slug>/risks/<int:pk>/", risks.risk_edit, name="risk_edit"),
    path("<slug:slug>/risks/<int:pk>/delete/", risks.risk_delete, name="risk_delete"),
    path("<slug:slug>/changes/new/", changes.change_new, name="change_new"),
    path("<slug:slug>/changes/<int:number>/", changes.change_detail, name="change"),
    path("<slug:slug>/changes/<int:number>/options/new/", changes.option_add, name="option_add"),
    path(
        "<slug:slug>/changes/<int:number>/options/<int:pk>/",
        changes.option_edit,
        name="option_edit",
    ),
    path(
        "<slug:slug>/changes/<int:number>/options/<int:pk>/delete/",
        changes.option_delete,
        name="option_delete",
    ),
    path("<slug:slug>/changes/<int:number>/decide/", changes.change_decide, name="change_decide"),
    path(
        "<slug:slug>/changes/<int:number>/withdraw/",
        changes.change_withdraw,
        name="change_withdraw",
    ),
    path("<slug:slug>/export/<slug:filename>.xml", exports.export_mspdi, name="export_mspdi"),
    path("<slug:slug>/export/<slug:filename>.ics", exports.export_ics, name="export_ics"),
    path(
        "<slug:slug>/export/deliverables.csv",
        exports.export_deliverables_csv,
        name="export_deliverables",
    ),
    path("<slug:slug>/export/risks.csv", exports.export_risks_csv, name="export_risks"),
]
