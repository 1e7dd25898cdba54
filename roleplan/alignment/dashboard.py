"""The sync card of the dashboard: the user's next sync and their open action items."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from roleplan.alignment.models import ActionItem, SyncMeeting, SyncSeries


def dashboard_context(user) -> dict:
    now = timezone.now()
    next_meeting = (
        SyncMeeting.objects.involving(user)
        .with_people()
        .filter(starts_at__gte=now - timedelta(hours=1))
        .order_by("starts_at")
        .first()
    )
    next_series = None
    if next_meeting is None:
        series = list(SyncSeries.objects.with_people().involving(user).running())
        upcoming = sorted(((s.next_start(now)[1], s) for s in series), key=lambda pair: pair[0])
        if upcoming:
            next_series = {"series": upcoming[0][1], "starts_at": upcoming[0][0]}
    items = list(
        ActionItem.objects.open()
        .filter(owner=user)
        .select_related("meeting__series__product_manager", "meeting__series__project_manager")
        .order_by("due_date", "id")[:8]
    )
    return {
        "next_meeting": next_meeting,
        "next_meeting_local": next_meeting.starts_at.astimezone(next_meeting.series.tz)
        if next_meeting
        else None,
        "next_series": next_series,
        "my_action_items": items,
        "today": timezone.localdate(),
    }
