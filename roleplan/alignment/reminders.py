"""When a sync's reminder is due: the day before, at the meeting's local time.

Every series meets at a wall-clock time in its own time zone ("Tuesday 10:00 Europe/Berlin").
The reminder window opens one calendar day before the meeting *in that zone*, at the same local
time, and closes when the meeting starts. Across a daylight-saving change that day is 23 or 25
hours long, so the window is computed on local dates and converted to UTC, never by
subtracting 24 hours from a UTC instant: a sync on the Sunday the clocks change is still
announced at 10:00 on Saturday, and a sync on the Monday after is announced at 10:00 on Sunday.

The meeting's own start comes from SyncSeries.starts_at, which builds the local date and time in
the series' zone; so 10:00 stays 10:00 in winter and in summer, and UTC moves by an hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import get_template
from django.utils.html import escape

from roleplan.alignment.models import (
    SECTION_ORDER,
    ActionItem,
    AgendaEntry,
    Delivery,
    Section,
    SyncMeeting,
    SyncSeries,
)
from roleplan.people import display_name

# How long before a meeting its reminder goes out: one local calendar day.
REMINDER_LEAD_DAYS = 1


@dataclass(frozen=True)
class DueMeeting:
    """A meeting whose reminder window is open: prepare it and remind its people."""

    series: SyncSeries
    week_start: date
    starts_at: datetime
    remind_from: datetime


def reminder_opens_at(series: SyncSeries, starts_at: datetime) -> datetime:
    """The UTC instant the reminder of a meeting starting at `starts_at` may go out: the same
    local wall-clock time one calendar day earlier, in the series' zone."""
    local = starts_at.astimezone(series.tz)
    day_before = datetime.combine(
        local.date() - timedelta(days=REMINDER_LEAD_DAYS), local.timetz().replace(tzinfo=None)
    ).replace(tzinfo=series.tz)
    return day_before.astimezone(UTC)


def due_meeting(series: SyncSeries, now: datetime) -> DueMeeting | None:
    """The series' next meeting if its reminder window is open at `now`, else None."""
    week_start, starts_at = series.next_start(now)
    remind_from = reminder_opens_at(series, starts_at)
    if remind_from <= now:
        return DueMeeting(series, week_start, starts_at, remind_from)
    return None


def due_meetings(now: datetime, series: Iterable[SyncSeries] | None = None) -> Iterator[DueMeeting]:
    """The meetings, one per running series at most, that start within their reminder window
    at `now`: not yet started, and starting no later than one local day from now."""
    if series is None:
        series = SyncSeries.objects.running().order_by("pk").iterator(chunk_size=2000)
    for one in series:
        due = due_meeting(one, now)
        if due is not None:
            yield due


# --- the reminder email -----------------------------------------------------------------------

# Agenda lines shown per section in the email; the page has the rest.
EMAIL_ENTRIES_PER_SECTION = 5


def local_when(starts_at: datetime, series: SyncSeries) -> dict[str, str]:
    """A meeting's start as its people read it: in the series' zone, with the zone's name."""
    local = starts_at.astimezone(series.tz)
    return {
        "day": f"{local:%A} {local.day} {local:%B %Y}",
        "time": f"{local:%H:%M}",
        "weekday_time": f"{local:%A %H:%M}",
        "zone": series.time_zone,
        "abbreviation": local.tzname() or "",
        "text": f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M} {series.time_zone}",
    }


# Stand-ins for what differs between the people of one meeting, so its reminder is rendered
# once (the templates' work is most of a reminder's cost) and each person's copy is a string
# replacement. NUL never occurs in the data (PostgreSQL text cannot hold it, and form fields
# refuse it), nor in the templates.
RECIPIENT_NAME = "\x00recipient-name\x00"
WITH_OTHERS = "\x00with-others\x00"


def reminder_contexts(meeting_ids: Iterable[int]) -> dict[int, dict]:
    """Everything the reminders of these meetings show, in three queries whatever their number:
    the meetings with their people, their agenda entries, the open action items of their series.
    Each meeting's subject, text and HTML are rendered here from the templates
    alignment/email/reminder*.*, once for its people."""
    meetings = {m.pk: m for m in SyncMeeting.objects.filter(pk__in=list(meeting_ids)).with_people()}
    entries: dict[int, list[AgendaEntry]] = {pk: [] for pk in meetings}
    for entry in AgendaEntry.objects.filter(meeting_id__in=list(meetings), stale=False).order_by(
        "meeting_id", "position", "id"
    ):
        entries[entry.meeting_id].append(entry)
    series_ids = {m.series_id for m in meetings.values()}
    actions: dict[int, list[ActionItem]] = {pk: [] for pk in series_ids}
    for item in (
        ActionItem.objects.open()
        .filter(meeting__series_id__in=series_ids)
        .select_related("owner", "meeting")
        .order_by(F("due_date").asc(nulls_last=True), "id")
    ):
        actions[item.meeting.series_id].append(item)

    subject = get_template("alignment/email/reminder_subject.txt")
    text = get_template("alignment/email/reminder.txt")
    html = get_template("alignment/email/reminder.html")
    contexts = {}
    for pk, meeting in meetings.items():
        series = meeting.series
        by_section = {section: [] for section in SECTION_ORDER}
        for entry in entries[pk]:
            by_section.setdefault(entry.section, []).append(entry)
        sections = [
            {
                "label": Section(section).label,
                "count": len(lines),
                "entries": lines[:EMAIL_ENTRIES_PER_SECTION],
                "more": max(len(lines) - EMAIL_ENTRIES_PER_SECTION, 0),
            }
            for section, lines in by_section.items()
        ]
        url = settings.SITE_URL + meeting.get_absolute_url()
        context = {
            "meeting": meeting,
            "series": series,
            "project": series.project,
            "product": series.project.product,
            "people": series.participants(),
            "when": local_when(meeting.starts_at, series),
            "duration": series.duration_minutes,
            "sections": sections,
            "actions": [a for a in actions[series.pk] if a.meeting.starts_at < meeting.starts_at],
            "url": url,
            "site_url": settings.SITE_URL,
            "recipient_name": RECIPIENT_NAME,
            "with_others": WITH_OTHERS,
        }
        context["subject"] = " ".join(subject.render(context).split())
        context["text"] = text.render(context)
        context["html"] = html.render(context)
        contexts[pk] = context
    return contexts


def names(people: list) -> str:
    return ", ".join(display_name(p) for p in people)


def reminder_message(delivery: Delivery, context: dict) -> EmailMultiAlternatives:
    """The reminder of one meeting for one person, text and HTML, with the delivery's stable
    Message-ID so that a rare second copy folds into the first: the meeting's rendering with
    this person's name and the other people's (escaped in the HTML part)."""
    person = delivery.recipient
    others = [p for p in context["people"] if p.pk != person.pk]
    with_others = f" with {names(others)}" if others else ""
    body = (
        context["text"]
        .replace(RECIPIENT_NAME, person.first_name or person.username)
        .replace(WITH_OTHERS, with_others)
    )
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((person.get_full_name(), person.email))],
        headers=email_headers(delivery),
    )
    message.attach_alternative(
        context["html"].replace(WITH_OTHERS, escape(with_others)), "text/html"
    )
    return message


def email_headers(delivery: Delivery) -> dict[str, str]:
    return {
        "Message-ID": delivery.message_id,
        # RFC 3834: sent by a program; vacation responders do not answer it.
        "Auto-Submitted": "auto-generated",
    }
