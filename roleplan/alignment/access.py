"""Who may see a sync. A sync is a private meeting between a product's owner and a project's
manager: others get 404 (its existence is not theirs to know); staff may see all. The same
people (and staff) may set up the weekly sync of a project that has none."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404

from projects.models import Project
from roleplan.alignment.models import SyncMeeting, SyncSeries


def is_participant(user: User, series: SyncSeries) -> bool:
    return user.is_staff or any(p.pk == user.pk for p in series.participants())


def get_series_for_view(user: User, pk: int) -> SyncSeries:
    series = SyncSeries.objects.with_people().filter(pk=pk).first()
    if series is None or not is_participant(user, series):
        raise Http404("No such sync.")
    return series


def get_meeting_for_view(user: User, pk: int, meetings: QuerySet | None = None) -> SyncMeeting:
    """The meeting with its series, project, product and people, in one query: read from
    `meetings` when the view shows more of it (MeetingQuerySet.for_page for the whole page),
    else from SyncMeeting.objects.with_people()."""
    meetings = SyncMeeting.objects.with_people() if meetings is None else meetings
    try:
        meeting = meetings.get(pk=pk)  # get(), not first(): no ORDER BY to build
    except SyncMeeting.DoesNotExist:
        raise Http404("No such sync.") from None
    if not is_participant(user, meeting.series):
        raise Http404("No such sync.")
    return meeting


def get_project_for_setup(user: User, slug: str) -> Project:
    """The project whose weekly sync `user` may set up: its manager, its product's owner, or
    staff. Anyone else gets 404, as for a sync."""
    project = Project.objects.select_related("product__asset").filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    owner_id = project.product.asset.owner_id if project.product else None
    if not (user.is_staff or user.pk in {project.manager_id, owner_id}):
        raise Http404("No such project.")
    return project
