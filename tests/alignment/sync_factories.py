"""A sync between a product's owner and a project's manager, built from the other apps' data."""

from __future__ import annotations

from datetime import datetime

from projects import services as project_services
from projects.models import Project
from roleplan.alignment import services
from roleplan.alignment.models import SyncMeeting, SyncSeries, projects_of
from tests.factories import UserFactory
from tests.projects.factories import DeliverableFactory, ProjectFactory, approved_project


def active_project(*, product_owner=None, manager=None, product=None, **fields) -> Project:
    """An approved, active project serving `product` (or a new product of `product_owner`)."""
    if product is None:
        project = approved_project(
            product_owner=product_owner or UserFactory(), manager=manager or UserFactory(), **fields
        )
    else:
        project = ProjectFactory(manager=manager or UserFactory(), product=product, **fields)
        DeliverableFactory(project=project, title="Feature A")
        project_services.project_approve(project_id=project.pk, by=product.asset.owner)
    Project.objects.filter(pk=project.pk).update(status="active")
    project.refresh_from_db()
    return project


def make_series(*, product_owner=None, manager=None, **series_fields) -> SyncSeries:
    """The series of a new pair sharing one new active project; `series.project` is that
    project (a convenience of the tests: a series covers every project the pair shares)."""
    project = active_project(product_owner=product_owner, manager=manager)
    services.series_ensure_for_active_projects()
    series = SyncSeries.objects.with_people().get(
        product_manager=project.product.asset.owner, project_manager=project.manager
    )
    if series_fields:
        for key, value in series_fields.items():
            setattr(series, key, value)
        series.save()
    series.project = project
    return series


def make_meeting(series: SyncSeries, moment: datetime) -> SyncMeeting:
    return services.meeting_prepare(series_id=series.pk, week_start=series.week_start(moment))


def series_of(project: Project):
    """The series of the project's pair (a queryset: empty when it has none)."""
    return SyncSeries.objects.filter(
        product_manager=project.product.asset.owner_id, project_manager=project.manager_id
    )


def project_of(series: SyncSeries) -> Project:
    """The first active project a series' pair shares (by product, then name)."""
    return projects_of([series])[series.pk][0]
