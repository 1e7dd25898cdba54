"""The project page's "Weekly sync" panel (projects/extensions.py register_project_panel).

Shown to the project's pair (its manager and its product's owner) and to staff: the pair's next
sync, at the series' local time, with a link to its meeting when prepared. A sync is private to
its two people (alignment/access.py), so anyone else sees no panel. Two queries.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from projects.extensions import ProjectPanel
from roleplan.alignment.models import SyncMeeting, SyncSeries
from roleplan.alignment.reminders import local_when


def next_sync_panel(project, user) -> ProjectPanel | None:
    product = project.product
    if product is None or project.status != "active":
        return None
    owner_id = product.asset.owner_id
    if owner_id is None or owner_id == project.manager_id:
        return None
    if not (user.is_staff or user.pk in {owner_id, project.manager_id}):
        return None
    series = (
        SyncSeries.objects.with_people()
        .with_shared()
        .filter(product_manager_id=owner_id, project_manager_id=project.manager_id)
        .first()
    )
    context: dict = {"series": series, "project": project}
    if series is not None and not series.not_meeting_why:
        now = timezone.now()
        week, starts_at = series.next_start(now - timedelta(minutes=series.duration_minutes))
        context["when"] = local_when(starts_at, series)
        context["meeting"] = SyncMeeting.objects.filter(series=series, week_start=week).first()
    return ProjectPanel(
        title="Weekly sync", template="alignment/_project_panel.html", context=context
    )
