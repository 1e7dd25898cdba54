"""Who may see and change a sync.

A sync is a private meeting of two people: anyone else gets 404 (its existence is not theirs to
know); staff may see and change all.

- A series (its settings, "open the next sync") is its pair's: the product's owner and the
  project's manager it was made for.
- A meeting is read by the people who took part in it, as recorded on the meeting
  (MeetingParticipant), not by current roles: a former owner still reads the minutes of the
  meetings she attended after a handover. It is changed (notes, ticks, topics, action items,
  decisions, refreshing the agenda) by its series' pair only: someone who took part but no
  longer belongs to the pair reads it and gets 403 on a change.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from projects.models import Project
from roleplan.alignment.models import SyncMeeting, SyncSeries


def is_participant(user: User, series: SyncSeries) -> bool:
    """Whether `user` belongs to the series' pair (or is staff)."""
    return user.is_staff or series.has_member(user)


def get_series_for_view(user: User, pk: int) -> SyncSeries:
    series = SyncSeries.objects.with_people().with_shared().filter(pk=pk).first()
    if series is None or not is_participant(user, series):
        raise Http404("No such sync.")
    return series


def get_meeting_for_view(user: User, pk: int, meetings: QuerySet | None = None) -> SyncMeeting:
    """The meeting with its series and pair, in one query, if `user` took part in it (or is
    staff); `meeting.can_edit` says whether they may change it. Read from `meetings` when the
    view shows more of it (MeetingQuerySet.for_page for the whole page)."""
    meetings = SyncMeeting.objects.with_people().for_viewer(user) if meetings is None else meetings
    try:
        meeting = meetings.get(pk=pk)  # get(), not first(): no ORDER BY to build
    except SyncMeeting.DoesNotExist:
        raise Http404("No such sync.") from None
    if not (user.is_staff or meeting.viewer_took_part):
        raise Http404("No such sync.")
    meeting.can_edit = is_participant(user, meeting.series)
    return meeting


def get_meeting_for_edit(user: User, pk: int, meetings: QuerySet | None = None) -> SyncMeeting:
    """The meeting, if `user` may change it: 404 for those who may not read it, 403 for those
    who took part but no longer belong to its pair."""
    meeting = get_meeting_for_view(user, pk, meetings)
    if not meeting.can_edit:
        raise PermissionDenied("You took part in this sync but no longer belong to its pair.")
    return meeting


def get_project_for_setup(user: User, slug: str) -> Project:
    """The project whose pair's weekly sync `user` may set up: its manager, its product's
    owner, or staff. Anyone else gets 404, as for a sync."""
    project = Project.objects.select_related("product__asset").filter(slug=slug).first()
    if project is None:
        raise Http404("No such project.")
    owner_id = project.product.asset.owner_id if project.product else None
    if not (user.is_staff or user.pk in {project.manager_id, owner_id}):
        raise Http404("No such project.")
    return project
