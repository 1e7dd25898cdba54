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
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import F
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from icalendar import Calendar, Event, vCalAddress, vText

from roleplan.alignment import agenda
from roleplan.alignment.models import (
    ActionItem,
    AgendaEntry,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    ReminderSetting,
    SyncMeeting,
    SyncSeries,
    Topic,
    projects_of,
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


@dataclass(frozen=True)
class ReminderSchedule:
    """When a meeting's reminder goes out (or went out), as the sync page says it."""

    opens_at: datetime
    opens_local: datetime
    sent_at: datetime | None
    is_due: bool
    recipients_off: list[str]


def reminder_schedule(meeting: SyncMeeting, now: datetime | None = None) -> ReminderSchedule | None:
    """None for a meeting that has started (its reminder is history)."""
    now = now or timezone.now()
    if meeting.starts_at <= now:
        return None
    series = meeting.series
    opens = reminder_opens_at(series, meeting.starts_at)
    sent = (
        Delivery.objects.filter(
            kind=DeliveryKind.REMINDER, meeting=meeting, status=DeliveryStatus.SENT
        )
        .order_by("sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    off = set(
        ReminderSetting.objects.filter(
            user_id__in=[series.product_manager_id, series.project_manager_id], reminders=False
        ).values_list("user_id", flat=True)
    )
    return ReminderSchedule(
        opens_at=opens,
        opens_local=opens.astimezone(series.tz),
        sent_at=sent,
        is_due=opens <= now,
        recipients_off=[display_name(p) for p in series.participants() if p.pk in off],
    )


def reminders_on(user_ids: Iterable[int]) -> set[int]:
    """Those of these people who take reminders (on unless turned off): one query."""
    user_ids = set(user_ids)
    off = ReminderSetting.objects.filter(user_id__in=user_ids, reminders=False)
    return user_ids - set(off.values_list("user_id", flat=True))


# --- the one-click unsubscribe (RFC 8058) ----------------------------------------------------

UNSUBSCRIBE_SALT = "roleplan.alignment.unsubscribe"


def unsubscribe_token(user_id: int) -> str:
    """A signed, URL-safe token naming the person: the unsubscribe address needs no sign-in."""
    return signing.dumps(user_id, salt=UNSUBSCRIBE_SALT)


def unsubscribe_user_id(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_url(user_id: int) -> str:
    return settings.SITE_URL + reverse("alignment:unsubscribe", args=[unsubscribe_token(user_id)])


# --- the calendar invitation -------------------------------------------------------------------


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "roleplan"


def invitation_uid(series: SyncSeries) -> str:
    """Stable for the life of the series: a calendar updates the event instead of adding one."""
    return f"sync-series-{series.pk}@{_host()}"


def invitation_start(series: SyncSeries) -> datetime:
    """The recurring event's first occurrence, in the series' zone: the week the current
    schedule runs from (set when the schedule last changed), else the series' first week."""
    week = series.schedule_from or series.week_start(series.created_at)
    return series.starts_at(week).astimezone(series.tz)


def _address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    for key, value in params.items():
        address.params[key] = vText(value)
    return address


def invitation(
    series: SyncSeries,
    project_names: list[str],
    *,
    cancel: bool = False,
    now: datetime | None = None,
) -> bytes:
    """The series as one recurring event (RRULE weekly, in its zone with the VTIMEZONE), with a
    stable UID and the series' SEQUENCE: METHOD:REQUEST, or METHOD:CANCEL when it is paused or
    has ended."""
    now = now or timezone.now()
    start = invitation_start(series)
    people = series.participants()
    cal = Calendar()
    cal.add("prodid", "-//roleplan//weekly sync//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", invitation_uid(series))
    event.add("sequence", series.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=series.duration_minutes))
    event.add("rrule", {"freq": "weekly"})
    event.add("summary", f"Weekly sync · {' × '.join(display_name(p) for p in people)}")
    url = settings.SITE_URL + reverse("alignment:index")
    covers = ", ".join(project_names) if project_names else "no active project now"
    event.add(
        "description",
        f"Product manager and project manager: {covers}.\nThe agenda: {url}",
    )
    event.add("url", url)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    event.add("organizer", _address(address or "roleplan@localhost", name or "roleplan"))
    for person in people:
        if person.email:
            event.add(
                "attendee",
                _address(
                    person.email,
                    display_name(person),
                    ROLE="REQ-PARTICIPANT",
                    PARTSTAT="NEEDS-ACTION",
                    RSVP="FALSE",
                ),
            )
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def invitation_summary(ics: bytes) -> dict[str, str]:
    """What the sync page's preview says of an invitation, read back from it."""
    cal = Calendar.from_ical(ics)
    event = next(iter(cal.walk("VEVENT")))
    start = event.decoded("dtstart")
    return {
        "method": str(cal.get("method")),
        "uid": str(event.get("uid")),
        "sequence": str(event.get("sequence")),
        "summary": str(event.get("summary")),
        "starts": f"{start:%A %d %B %Y, %H:%M} {start.tzinfo}",
        "repeats": event.get("rrule").to_ical().decode(),
        "status": str(event.get("status")),
    }


# --- the reminder email -----------------------------------------------------------------------


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
UNSUBSCRIBE = "\x00unsubscribe\x00"


def reminder_contexts(meeting_ids: Iterable[int]) -> dict[int, dict]:
    """Everything the reminders of these meetings show, in five queries whatever their number:
    the meetings with their pair, their agenda entries (with product and project names), the
    open action items and topics of their series, the projects each pair shares. Each
    meeting's subject, text, HTML and invitation are rendered here from the templates
    alignment/email/reminder*.*, once for its people."""
    meetings = {m.pk: m for m in SyncMeeting.objects.filter(pk__in=list(meeting_ids)).with_people()}
    entries: dict[int, list[AgendaEntry]] = {pk: [] for pk in meetings}
    for entry in (
        AgendaEntry.objects.filter(meeting_id__in=list(meetings), stale=False)
        .select_related("product__asset", "project")
        .order_by("meeting_id", "position", "id")
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
    topics: dict[int, list[Topic]] = {pk: [] for pk in series_ids}
    for topic in (
        Topic.objects.filter(meeting__series_id__in=series_ids, discussed_at__isnull=True)
        .select_related("raised_by", "meeting")
        .order_by("created_at", "id")
    ):
        topics[topic.meeting.series_id].append(topic)
    projects = projects_of({m.series_id: m.series for m in meetings.values()}.values())

    subject = get_template("alignment/email/reminder_subject.txt")
    text = get_template("alignment/email/reminder.txt")
    html = get_template("alignment/email/reminder.html")
    contexts = {}
    for pk, meeting in meetings.items():
        series = meeting.series
        url = settings.SITE_URL + meeting.get_absolute_url()
        shared = projects[series.pk]
        context = {
            "meeting": meeting,
            "series": series,
            "projects": shared,
            "people": series.participants(),
            "when": local_when(meeting.starts_at, series),
            "duration": series.duration_minutes,
            "groups": agenda.grouped(entries[pk]),
            "actions": [a for a in actions[series.pk] if a.meeting.starts_at < meeting.starts_at],
            "topics": [t for t in topics[series.pk] if t.meeting.starts_at <= meeting.starts_at],
            "url": url,
            "full_url": f"{url}?full=1",
            "site_url": settings.SITE_URL,
            "recipient_name": RECIPIENT_NAME,
            "with_others": WITH_OTHERS,
            "unsubscribe_url": UNSUBSCRIBE,
        }
        context["subject"] = " ".join(subject.render(context).split())
        context["text"] = text.render(context)
        context["html"] = html.render(context)
        context["ics"] = invitation(series, [p.name for p in shared])
        contexts[pk] = context
    return contexts


def names(people: list) -> str:
    return ", ".join(display_name(p) for p in people)


def reminder_message(delivery: Delivery, context: dict) -> EmailMultiAlternatives:
    """The reminder of one meeting for one person: text, HTML and the series' calendar
    invitation (text/calendar; method=REQUEST), with the delivery's stable Message-ID so that a
    rare second copy folds into the first, and a one-click unsubscribe (RFC 8058) for this
    person: the meeting's rendering with their name and the other people's."""
    person = delivery.recipient
    others = [p for p in context["people"] if p.pk != person.pk]
    with_others = f" with {names(others)}" if others else ""
    leave = unsubscribe_url(person.pk)
    body = (
        context["text"]
        .replace(RECIPIENT_NAME, person.first_name or person.username)
        .replace(WITH_OTHERS, with_others)
        .replace(UNSUBSCRIBE, leave)
    )
    message = EmailMultiAlternatives(
        subject=context["subject"],
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((person.get_full_name(), person.email))],
        headers={**email_headers(delivery), **unsubscribe_headers(leave)},
    )
    message.attach_alternative(
        context["html"].replace(WITH_OTHERS, escape(with_others)).replace(UNSUBSCRIBE, leave),
        "text/html",
    )
    message.attach_alternative(context["ics"].decode(), "text/calendar; method=REQUEST")
    return message


def cancellation_message(delivery: Delivery) -> EmailMultiAlternatives:
    """The invitation withdrawn (METHOD:CANCEL, the series' SEQUENCE at the time): the series
    was paused or its pair shares no active project any more."""
    series = delivery.series
    person = delivery.recipient
    series.sequence = delivery.sequence
    why = "is paused" if series.paused else "has ended: you share no active project any more"
    ics = invitation(series, [], cancel=True)
    leave = unsubscribe_url(person.pk)
    context = {
        "series": series,
        "why": why,
        "recipient": person,
        "index_url": settings.SITE_URL + reverse("alignment:index"),
        "unsubscribe_url": leave,
    }
    message = EmailMultiAlternatives(
        subject=f"Cancelled: {series}",
        body=get_template("alignment/email/cancellation.txt").render(context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((person.get_full_name(), person.email))],
        headers={**email_headers(delivery), **unsubscribe_headers(leave)},
    )
    message.attach_alternative(ics.decode(), "text/calendar; method=CANCEL")
    return message


def email_headers(delivery: Delivery) -> dict[str, str]:
    return {
        "Message-ID": delivery.message_id,
        # RFC 3834: sent by a program; vacation responders do not answer it.
        "Auto-Submitted": "auto-generated",
    }


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 8058: a mail client offers "unsubscribe" and POSTs List-Unsubscribe=One-Click to the
    address (https in production: SITE_URL)."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def reminder_preview(meeting: SyncMeeting, user) -> dict:
    """The next reminder of `meeting` as `user` would get it: subject, text part, the
    invitation's summary, and when it goes out."""
    context = reminder_contexts([meeting.pk])[meeting.pk]
    message = reminder_message(Delivery(pk=0, meeting=meeting, recipient=user), context)
    return {
        "subject": message.subject,
        "text": message.body,
        "headers": unsubscribe_headers(unsubscribe_url(user.pk)),
        "invitation": invitation_summary(context["ics"]),
        "schedule": reminder_schedule(meeting),
    }
