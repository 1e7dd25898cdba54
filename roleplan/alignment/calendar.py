"""Each person's private calendar feed: their weekly syncs and the milestones and deadlines of
their projects, as iCalendar for any calendar app that subscribes to an address.

The address carries a secret token (CalendarToken), because calendar apps fetch feeds without
signing in. Anyone holding the address can read the feed, so it shows only what its owner may
see, and the owner can replace the token (the old address stops working at once) or remove it.

Syncs are explicit events, one per week, not a recurrence rule: each has the wall-clock time in
the series' zone (TZID, with its VTIMEZONE), so 10:00 stays 10:00 on both sides of a
daylight-saving change in every client, a paused series simply has no future events, and a
meeting already held keeps the time it had. UIDs are stable ("sync-<series>-<week>@host"), so
clients update events in place when the series moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from projects.models import Milestone, Project, ProjectStatus
from roleplan.alignment.models import CalendarToken, SyncMeeting, SyncSeries, new_calendar_token
from roleplan.people import display_name

# How far the feed reaches: held syncs of the last weeks, and the coming weeks.
PAST_WEEKS = 12
FUTURE_WEEKS = 26


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "roleplan"


def feed_url(token: CalendarToken) -> str:
    return settings.SITE_URL + reverse("alignment:calendar_feed", args=[token.token])


def webcal_url(token: CalendarToken) -> str:
    """The same address with the webcal scheme: calendar apps open it as a subscription."""
    return "webcal://" + feed_url(token).split("://", 1)[1]


@transaction.atomic
def calendar_token_regenerate(*, user: User) -> CalendarToken:
    """Give `user` a new secret feed address; the previous one stops working at once."""
    token, created = CalendarToken.objects.select_for_update().get_or_create(user=user)
    if not created:
        token.token = new_calendar_token()
        token.created_at = timezone.now()
        token.save(update_fields=["token", "created_at"])
    return token


@transaction.atomic
def calendar_token_revoke(*, user: User) -> bool:
    """Turn the feed off: no address works until a new one is made. True if there was one."""
    deleted, _ = CalendarToken.objects.filter(user=user).delete()
    return bool(deleted)


@dataclass
class SyncOccurrence:
    series: SyncSeries
    week_start: date
    starts_at: datetime
    meeting: SyncMeeting | None


@dataclass
class FeedContents:
    syncs: list[SyncOccurrence]
    projects: list[Project]
    milestones: list[Milestone]


def feed_contents(user: User, now: datetime | None = None) -> FeedContents:
    """What `user`'s feed holds, in four queries whatever its size."""
    now = now or timezone.now()
    series_by_pk = {
        s.pk: s
        for s in SyncSeries.objects.involving(user).with_people().with_shared().order_by("pk")
    }
    since = now - timedelta(weeks=PAST_WEEKS)
    meetings = {
        (m.series_id, m.week_start): m
        for m in SyncMeeting.objects.filter(
            series_id__in=list(series_by_pk), starts_at__gte=since
        ).order_by("starts_at")
    }
    occurrences: dict[tuple[int, date], SyncOccurrence] = {}
    for (series_id, week), meeting in meetings.items():
        occurrences[(series_id, week)] = SyncOccurrence(
            series_by_pk[series_id], week, meeting.starts_at, meeting
        )
    for series in series_by_pk.values():
        if series.not_meeting_why:
            continue
        week, _ = series.next_start(now)
        for offset in range(FUTURE_WEEKS):
            week_start = week + timedelta(weeks=offset)
            if (series.pk, week_start) not in occurrences:
                occurrences[(series.pk, week_start)] = SyncOccurrence(
                    series, week_start, series.starts_at(week_start), None
                )
    projects = list(
        Project.objects.involving(user)
        .exclude(status=ProjectStatus.CANCELLED)
        .order_by("deadline", "name")
    )
    milestones = list(
        Milestone.objects.filter(project__in=[p.pk for p in projects])
        .select_related("project")
        .order_by("due_date", "id")
    )
    return FeedContents(
        syncs=sorted(occurrences.values(), key=lambda o: o.starts_at),
        projects=projects,
        milestones=milestones,
    )


def _sync_event(occurrence: SyncOccurrence, user: User, stamp: datetime) -> Event:
    series = occurrence.series
    local_start = occurrence.starts_at.astimezone(series.tz)
    if occurrence.meeting is not None:
        url = settings.SITE_URL + occurrence.meeting.get_absolute_url()
    else:
        url = settings.SITE_URL + reverse("alignment:index")
    people = series.participants()
    event = Event()
    event.add("uid", f"sync-{series.pk}-{occurrence.week_start:%Y%m%d}@{_host()}")
    event.add("dtstamp", stamp)
    event.add("dtstart", local_start)
    event.add("dtend", local_start + timedelta(minutes=series.duration_minutes))
    event.add("summary", str(series))
    event.add(
        "description",
        "Product manager and project manager: status, backlog, pipeline, problem-solving.\n"
        + "With: "
        + ", ".join(display_name(p) for p in people)
        + f"\n{url}",
    )
    event.add("url", url)
    event.add("categories", ["Sync"])
    return event


def _all_day(uid: str, day: date, summary: str, category: str, url: str, stamp) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("categories", [category])
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


def feed(user: User, now: datetime | None = None) -> bytes:
    """The iCalendar document of `user`'s feed."""
    now = now or timezone.now()
    contents = feed_contents(user, now)
    cal = Calendar()
    cal.add("prodid", "-//roleplan//weekly sync//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"roleplan · {display_name(user)}")
    cal.add("x-published-ttl", "PT1H")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for occurrence in contents.syncs:
        cal.add_component(_sync_event(occurrence, user, now))
    site = settings.SITE_URL
    for m in contents.milestones:
        done = " (done)" if m.done_on else ""
        cal.add_component(
            _all_day(
                f"milestone-{m.pk}@{_host()}",
                m.due_date,
                f"{m.title}{done} · {m.project.name}",
                "Milestone",
                site + m.project.get_absolute_url(),
                now,
            )
        )
    for project in contents.projects:
        cal.add_component(
            _all_day(
                f"project-{project.pk}-deadline@{_host()}",
                project.deadline,
                f"Deadline · {project.name}",
                "Deadline",
                site + project.get_absolute_url(),
                now,
            )
        )
    # Definitions of the zones used, covering the feed's reach (not 1970 to 2038).
    cal.add_missing_timezones(
        first_date=(now - timedelta(weeks=PAST_WEEKS + 1)).date(),
        last_date=(now + timedelta(weeks=FUTURE_WEEKS + 1)).date(),
    )
    return cal.to_ical()
