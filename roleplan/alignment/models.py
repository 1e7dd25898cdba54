"""Weekly alignment between a product's owner and a project's manager.

A series exists for every active project that serves a product. Its two people are not stored:
they are read live (product.asset.owner and project.manager), so a handover or a new project
manager changes who is invited with nothing else to update.

Deliveries (reminder and digest emails) are rows claimed before sending; the unique constraints
make a second email for the same (meeting or digest, recipient) impossible.
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from projects.models import ChangeRequest, Project, ProjectStatus
from roleplan.versioning import Versioned


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (for example Europe/Berlin).")


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class SyncSeriesQuerySet(models.QuerySet):
    def with_people(self) -> SyncSeriesQuerySet:
        return self.select_related("project__manager", "project__product__asset__owner")

    def involving(self, user) -> SyncSeriesQuerySet:
        return self.filter(Q(project__manager=user) | Q(project__product__asset__owner=user))

    def running(self) -> SyncSeriesQuerySet:
        """Series that meet: not paused, for an active project that serves a product."""
        return self.filter(
            paused=False, project__status=ProjectStatus.ACTIVE, project__product__isnull=False
        )


class SyncSeries(Versioned):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="sync_series")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.TUESDAY)
    time = models.TimeField(default=time(10, 0))
    time_zone = models.CharField(
        max_length=64, default="Europe/Berlin", validators=[validate_time_zone]
    )
    duration_minutes = models.PositiveSmallIntegerField(
        default=30, verbose_name="duration (minutes)"
    )
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SyncSeriesQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "sync series"
        constraints = [
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="series_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="series_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Weekly sync · {self.project.name}"

    @property
    def not_meeting_why(self) -> str:
        """ "" when the series meets (running(): not paused, for an active project that serves a
        product), else why not, as the sync pages say it."""
        if self.paused:
            return "paused"
        if self.project.status != ProjectStatus.ACTIVE:
            return f"project {self.project.get_status_display().lower()}"
        if self.project.product_id is None:
            return "project serves no product"
        return ""

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def product_manager(self) -> User | None:
        product = self.project.product
        return product.asset.owner if product else None

    @property
    def project_manager(self) -> User:
        return self.project.manager

    def participants(self) -> list:
        """The two people, live; one person when the roles are combined."""
        people = [p for p in (self.product_manager, self.project_manager) if p is not None]
        unique = {p.pk: p for p in people}
        return list(unique.values())

    def week_start(self, moment: datetime) -> date:
        """The Monday of the week that contains `moment`, in the series' time zone."""
        local = moment.astimezone(self.tz).date()
        return local - timedelta(days=local.weekday())

    def starts_at(self, week_start: date) -> datetime:
        """The meeting's start in UTC, for the week starting on `week_start` (a local Monday).
        Computed in the series' zone, so 10:00 stays 10:00 across daylight-saving changes."""
        local_day = week_start + timedelta(days=self.weekday)
        local = datetime.combine(local_day, self.time, tzinfo=self.tz)
        return local.astimezone(zoneinfo.ZoneInfo("UTC"))

    def next_start(self, after: datetime) -> tuple[date, datetime]:
        """The first meeting that starts after `after`: (week_start, starts_at)."""
        week = self.week_start(after)
        for offset in (0, 7, 14):
            candidate = week + timedelta(days=offset)
            start = self.starts_at(candidate)
            if start > after:
                return candidate, start
        raise AssertionError("a weekly meeting starts within three weeks")  # pragma: no cover


class MeetingQuerySet(models.QuerySet):
    def with_people(self) -> MeetingQuerySet:
        return self.select_related(
            "series__project__manager", "series__project__product__asset__owner"
        )

    def involving(self, user) -> MeetingQuerySet:
        return self.filter(
            Q(series__project__manager=user) | Q(series__project__product__asset__owner=user)
        )

    def for_page(self) -> MeetingQuerySet:
        """with_people(), who saved the notes last, and the ids of the series' meetings just
        before and after each one (`previous_meeting_id`, `next_meeting_id`): what the sync
        page's header and the access check read, in one query."""
        series_meetings = SyncMeeting.objects.filter(series_id=OuterRef("series_id"))
        return (
            self.with_people()
            .select_related("notes_updated_by")
            .annotate(
                previous_meeting_id=Subquery(
                    series_meetings.filter(starts_at__lt=OuterRef("starts_at"))
                    .order_by("-starts_at")
                    .values("pk")[:1]
                ),
                next_meeting_id=Subquery(
                    series_meetings.filter(starts_at__gt=OuterRef("starts_at"))
                    .order_by("starts_at")
                    .values("pk")[:1]
                ),
            )
        )


class SyncMeeting(models.Model):
    series = models.ForeignKey(SyncSeries, on_delete=models.CASCADE, related_name="meetings")
    week_start = models.DateField(help_text="The local Monday of the meeting's week.")
    starts_at = models.DateTimeField()
    prepared_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    notes_version = models.PositiveIntegerField(default=1)
    notes_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "week_start"], name="one_meeting_per_series_week"
            ),
            models.CheckConstraint(
                condition=Q(week_start__week_day=2), name="meeting_week_starts_monday"
            ),
        ]
        indexes = [models.Index(fields=["starts_at"], name="meeting_starts_idx")]

    def __str__(self) -> str:
        return f"{self.series.project.name} · week of {self.week_start:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("alignment:meeting", args=[self.pk])

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.series.duration_minutes)

    def is_over(self, now: datetime | None = None) -> bool:
        """Whether the meeting has ended: its agenda is then the record of that week."""
        return self.ends_at < (now or timezone.now())


class Section(models.TextChoices):
    STATUS = "status", "Status"
    BACKLOG = "backlog", "Backlog prioritisation"
    PIPELINE = "pipeline", "Pipeline"
    PROBLEMS = "problems", "Problem-solving"


SECTION_ORDER = [Section.STATUS, Section.BACKLOG, Section.PIPELINE, Section.PROBLEMS]


class Tone(models.TextChoices):
    INFO = "info", "Info"
    GOOD = "ok", "Good"
    WARN = "warn", "Warning"
    BAD = "bad", "Problem"


class AgendaEntry(models.Model):
    """One line of a meeting's agenda, built from live data. `key` identifies what it is about
    (e.g. "cr:12"), so rebuilding refreshes the text and keeps the tick."""

    meeting = models.ForeignKey(SyncMeeting, on_delete=models.CASCADE, related_name="entries")
    section = models.CharField(max_length=12, choices=Section.choices)
    key = models.CharField(max_length=80)
    title = models.CharField(max_length=300)
    detail = models.CharField(max_length=500, blank=True)
    url = models.CharField(max_length=300, blank=True)
    tone = models.CharField(max_length=8, choices=Tone.choices, default=Tone.INFO)
    position = models.PositiveIntegerField(default=0)
    discussed = models.BooleanField(default=False)
    discussed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    discussed_at = models.DateTimeField(null=True, blank=True)
    stale = models.BooleanField(
        default=False, help_text="No longer true in the live data since the agenda was built."
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "key"], name="agenda_entry_key_unique"),
            models.CheckConstraint(
                condition=Q(section__in=Section.values), name="agenda_section_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ActionItemQuerySet(models.QuerySet):
    def open(self) -> ActionItemQuerySet:
        return self.filter(done_at__isnull=True)

    def overdue(self, today: date) -> ActionItemQuerySet:
        return self.open().filter(due_date__lt=today)

    def shown_in(self, meeting: SyncMeeting) -> ActionItemQuerySet:
        """The action items a meeting's page lists: those raised there, and those of earlier
        meetings of its series that are open or were done since it started (so a tick made
        during the meeting stays visible). Open ones first, each by due date."""
        return (
            self.filter(
                meeting__series_id=meeting.series_id, meeting__starts_at__lte=meeting.starts_at
            )
            .filter(
                Q(meeting=meeting) | Q(done_at__isnull=True) | Q(done_at__gte=meeting.starts_at)
            )
            .select_related("owner", "meeting")
            .order_by(F("done_at").asc(nulls_first=True), F("due_date").asc(nulls_last=True), "id")
        )


class ActionItem(models.Model):
    """Raised in one meeting; shown in every later meeting of the series until done."""

    meeting = models.ForeignKey(SyncMeeting, on_delete=models.CASCADE, related_name="action_items")
    text = models.CharField(max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="action_items"
    )
    due_date = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="action_item_text_not_blank"),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True) | Q(done_at__isnull=False),
                name="action_item_done_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Decision(models.Model):
    meeting = models.ForeignKey(SyncMeeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    change_request = models.ForeignKey(
        ChangeRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sync_decisions",
    )
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="decision_text_not_blank")
        ]

    def __str__(self) -> str:
        return self.text[:80]


class DeliveryKind(models.TextChoices):
    REMINDER = "reminder", "Meeting reminder"
    DIGEST = "digest", "Weekly digest"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed, will retry"


class Delivery(models.Model):
    """One email to one person, claimed before it is sent. The unique constraints make a
    second row, and so a second email, for the same meeting or digest and recipient impossible."""

    kind = models.CharField(max_length=10, choices=DeliveryKind.choices)
    meeting = models.ForeignKey(
        SyncMeeting, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    digest_week = models.DateField(
        null=True, blank=True, help_text="Monday (UTC) of the digest's week."
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "recipient"],
                condition=Q(kind=DeliveryKind.REMINDER),
                name="one_reminder_per_meeting_recipient",
            ),
            models.UniqueConstraint(
                fields=["digest_week", "recipient"],
                condition=Q(kind=DeliveryKind.DIGEST),
                name="one_digest_per_week_recipient",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=DeliveryKind.REMINDER, meeting__isnull=False, digest_week__isnull=True)
                )
                | (Q(kind=DeliveryKind.DIGEST, meeting__isnull=True, digest_week__isnull=False)),
                name="delivery_kind_matches_target",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ]

    def __str__(self) -> str:
        target = self.meeting_id or self.digest_week
        return f"{self.kind} {target} → {self.recipient_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """Stable per delivery: mail clients fold a duplicate with the same Message-ID."""
        return f"<roleplan-delivery-{self.pk}@{settings.EMAIL_MESSAGE_DOMAIN}>"


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarToken(models.Model):
    """The secret in a user's private calendar feed address; revoking replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"calendar feed of {self.user}"
