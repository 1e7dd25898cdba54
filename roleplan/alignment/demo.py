"""Demo data for the weekly sync: a series per pair (the project manager meets the email
platform's product manager, and the CRM's for both CRM projects they share), last week's
meeting with notes, decisions and open action items, and this week's meeting prepared from live
data."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from products.models import RoadmapItem, RoadmapItemChange
from projects.models import ChangeRequest, Deliverable
from roleplan.alignment import services
from roleplan.alignment.models import ActionItem, Decision, SyncMeeting, SyncSeries, projects_of
from roleplan.ownership.demo import DemoUsers

LAST_WEEK_NOTES = """Status: migration of lists and consent is done; templates 80% migrated.
Load test at 2 million emails an hour passed on the second try (IP warm-up plan agreed).
Backlog: Priya wants personalised recommendations (Feature XYZ) live for Black Friday too.
Marco will come back with options; the deadline cannot move past 23 November.
"""


def backdate_demo_history(before) -> None:
    """The demo is created in one go; date its product and project history before last week's
    sync, so this week's agenda shows what changed since then: Feature XYZ, added this week."""
    xyz = RoadmapItem.objects.filter(title__contains="(Feature XYZ)").values_list("pk", flat=True)
    RoadmapItem.objects.filter(created_at__gt=before).exclude(pk__in=xyz).update(created_at=before)
    RoadmapItemChange.objects.filter(at__gt=before).exclude(item_id__in=xyz).update(at=before)
    Deliverable.objects.filter(created_at__gt=before).update(created_at=before, updated_at=before)


# The project manager meets several product managers: the email platform's pair (Black Friday)
# keeps the default Tuesday 10:00, the others follow it on the same day, so that none clashes
# (the sync index flags clashes).
LATER_SLOTS = [time(11, 0), time(14, 0), time(15, 0), time(16, 0)]
EMAIL = "replace-legacy-email"


def seed_alignment(users: DemoUsers) -> None:
    now = timezone.now()
    services.series_ensure_for_active_projects()
    running = list(SyncSeries.objects.running().with_people())
    projects = projects_of(running)

    def has_email(series: SyncSeries) -> bool:
        return any(p.slug.startswith(EMAIL) for p in projects[series.pk])

    series_list = sorted(running, key=lambda s: (not has_email(s), str(s)))
    if not series_list:
        return
    later = iter(LATER_SLOTS)
    for series in series_list:
        if not has_email(series) and not series.meetings.exists():
            series.time = next(later, series.time)
            series.save(update_fields=["time"])
    anchor = series_list[0]  # the earliest slot: every other meeting of its week comes after it
    this_week, _ = anchor.next_start(now)  # the next sync, prepared
    last_week = this_week - timedelta(days=7)  # the last one held
    backdate_demo_history(anchor.starts_at(last_week) - timedelta(days=1))
    for series in series_list:
        past = SyncMeeting.objects.filter(series=series, week_start=last_week).first()
        if past is None:
            past = services.meeting_prepare(
                series_id=series.pk, week_start=last_week, today=(now - timedelta(days=7)).date()
            )
            for entry in past.entries.all():
                services.entry_mark(entry_id=entry.pk, discussed=True, by=series.project_manager)
            if has_email(series):
                email = next(p for p in projects[series.pk] if p.slug.startswith(EMAIL))
                seed_black_friday_meeting(past, users, email)
        current = SyncMeeting.objects.filter(series=series, week_start=this_week).first()
        if current is None:
            services.meeting_prepare(series_id=series.pk, week_start=this_week)


def seed_black_friday_meeting(past: SyncMeeting, users: DemoUsers, project) -> None:
    pm, priya = users["project.manager"], users["product.manager"]
    past.notes = LAST_WEEK_NOTES
    past.notes_version = 2
    past.notes_updated_by = priya
    past.notes_updated_at = past.starts_at + timedelta(minutes=25)
    past.save(update_fields=["notes", "notes_version", "notes_updated_by", "notes_updated_at"])
    Decision.objects.create(
        meeting=past,
        made_by=priya,
        text="Abandoned-cart journeys (Feature ABC) stay the launch priority; nothing may put "
        "the Black Friday deadline at risk.",
        created_at=past.starts_at + timedelta(minutes=20),
    )
    cr = ChangeRequest.objects.open().filter(project=project).first()
    if cr is not None:
        Decision.objects.create(
            meeting=past,
            made_by=pm,
            change_request=cr,
            text=f"{cr.code}: Marco prepares three options (keep ABC and backlog XYZ; more budget "
            "and a later date; a simpler ABC so XYZ fits) for Priya to decide this week.",
            created_at=past.starts_at + timedelta(minutes=24),
        )
    ActionItem.objects.create(
        meeting=past,
        owner=pm,
        created_by=pm,
        text="Put the cost and date impact on each option of the XYZ change request",
        due_date=past.week_start + timedelta(days=4),
    )
    ActionItem.objects.create(
        meeting=past,
        owner=priya,
        created_by=pm,
        text="Ask legal whether the consent import needs a re-opt-in email",
        due_date=past.week_start + timedelta(days=3),
    )
    done = ActionItem.objects.create(
        meeting=past,
        owner=pm,
        created_by=priya,
        text="Book the extra sending IPs for warm-up",
        due_date=past.week_start + timedelta(days=2),
    )
    services.action_item_set_done(item_id=done.pk, done=True, by=pm)
