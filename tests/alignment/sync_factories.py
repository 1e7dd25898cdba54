"""A sync between a product's owner and a project's manager, built from the other apps' data."""

from __future__ import annotations

from datetime import datetime

from roleplan.alignment import services
from roleplan.alignment.models import SyncMeeting, SyncSeries
from tests.factories import UserFactory
from tests.projects.factories import approved_project


def make_series(*, product_owner=None, manager=None, **series_fields) -> SyncSeries:
    project = approved_project(
        product_owner=product_owner or UserFactory(), manager=manager or UserFactory()
    )
    project.status = "active"
    project.save(update_fields=["status"])
    services.series_ensure_for_active_projects()
    series = SyncSeries.objects.select_related(
        "project__product__asset__owner", "project__manager"
    ).get(project=project)
    if series_fields:
        for key, value in series_fields.items():
            setattr(series, key, value)
        series.save()
    return series


def make_meeting(series: SyncSeries, moment: datetime) -> SyncMeeting:
    return services.meeting_prepare(series_id=series.pk, week_start=series.week_start(moment))
