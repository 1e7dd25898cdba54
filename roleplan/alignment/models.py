"""Weekly alignment between two people: a product's owner and a project's manager.

A series belongs to a pair of people (product_manager × project_manager, one series per pair,
never one person with herself) and covers every ACTIVE project they share: those whose
product's asset the first owns and that the second manages. The projects are not stored on the
series: they are read live (shared_projects, projects_of), so a handover or a new project moves
a project from one pair's series to another's with nothing else to update. A pair that shares
no active project has no upcoming meeting (running()).

A meeting records who took part (MeetingParticipant: the pair when it was created; the people
of the time for migrated meetings), and reading it is by participation, not by current roles:
a former owner still reads the meetings she attended. Writing is for the series' two people.

Deliveries (reminder, cancellation and digest emails) are rows claimed before sending; the
unique constraints make a second email for the same (meeting, series sequence or digest,
recipient) impossible.
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from projects.models import ChangeRequest, Project, ProjectStatus
from roleplan.dates import in_range, validate_date_in_range
from roleplan.people import display_name
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


def shared_projects(product_manager, project_manager) -> models.QuerySet[Project]:
    """The active projects a pair shares: the first owns the product's asset, the second
    manages the project. Either argument may be an id, a user or an OuterRef."""
    return Project.objects.filter(
        status=ProjectStatus.ACTIVE,
        product__isnull=False,
        product__asset__owner=product_manager,
        manager=project_manager,
    )


def projects_of(series_list) -> dict[int, list[Project]]:
    """Each series' shared active projects, with product and asset, ordered by product then
    project name: one query for any number of series."""
    series_list = list(series_list)
    pairs = {(s.product_manager_id, s.project_manager_id): s.pk for s in series_list}
    found: dict[int, list[Project]] = {s.pk: [] for s in series_list}
    if not pairs:
        return found
    for project in (
        Project.objects.filter(
            status=ProjectStatus.ACTIVE,
            product__isnull=False,
            manager_id__in={m for _, m in pairs},
            product__asset__owner_id__in={o for o, _ in pairs},
        )
        .select_related("product__asset")
        .order_by("product__asset__name", "name", "pk")
    ):
        pk = pairs.get((project.product.asset.owner_id, project.manager_id))
        if pk is not None:
            found[pk].append(project)
    return found


class SyncSeriesQuerySet(models.QuerySet):
    def with_people(self) -> SyncSeriesQuerySet:
        return self.select_related("product_manager", "project_manager")

    def involving(self, user) -> SyncSeriesQuerySet:
        return self.filter(Q(product_manager=user) | Q(project_manager=user))

    def with_shared(self) -> SyncSeriesQuerySet:
        """Annotate `shares_project`: whether the pair shares an active project now."""
        return self.annotate(
            shares_project=Exists(
                shared_projects(OuterRef("product_manager"), OuterRef("project_manager"))
            )
        )

    def running(self) -> SyncSeriesQuerySet:
        """Series that meet: not paused, and the pair shares an active project."""
        return self.with_shared().filter(paused=False, shares_project=True)


class SyncSeries(Versioned):
    product_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, default=Weekday.TUESDAY)
    time = models.TimeField(default=time(10, 0))
    time_zone = models.CharField(
        max_length=64, default="Europe/Berlin", validators=[validate_time_zone]
    )
    duration_minutes = models.PositiveSmallIntegerField(
        default=30, verbose_name="duration (minutes)"
    )
    paused = models.BooleanField(default=False)
    # The calendar invitation (reminders.invitation): its SEQUENCE, counted up by every change
    # a calendar must apply (schedule, pause, end, restart), and the Monday from which the
    # current schedule runs (the recurring event's first occurrence).
    sequence = models.PositiveIntegerField(default=0, editable=False)
    schedule_from = models.DateField(null=True, blank=True, editable=False)
    # Set when the pair was found sharing no active project any more (a cancellation was
    # planned); cleared when they share one again.
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = SyncSeriesQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "sync series"
        constraints = [
            *Versioned.Meta.constraints,
            models.UniqueConstraint(
                fields=["product_manager", "project_manager"], name="one_series_per_pair"
            ),
            models.CheckConstraint(
                condition=~Q(product_manager=F("project_manager")), name="series_two_people"
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="series_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=5, duration_minutes__lte=480),
                name="series_duration_range",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"Weekly sync · {display_name(self.product_manager)} × "
            f"{display_name(self.project_manager)}"
        )

    @property
    def not_meeting_why(self) -> str:
        """ "" when the series meets, else why not, as the sync pages say it. Reads
        `shares_project` (SyncSeriesQuerySet.with_shared) when annotated."""
        if self.paused:
            return "paused"
        shares = getattr(self, "shares_project", None)
        if shares is None:
            shares = shared_projects(self.product_manager_id, self.project_manager_id).exists()
        if not shares:
            return "no active project shared"
        return ""

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def participants(self) -> list[User]:
        """The pair: the product's owner, then the project's manager."""
        return [self.product_manager, self.project_manager]

    def has_member(self, user) -> bool:
        return user.pk in (self.product_manager_id, self.project_manager_id)

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
        return self.select_related("series__product_manager", "series__project_manager")

    def involving(self, user) -> MeetingQuerySet:
        """The meetings `user` took part in (recorded on each meeting, not read from roles)."""
        return self.filter(
            Exists(MeetingParticipant.objects.filter(meeting=OuterRef("pk"), user=user))
        )

    def for_viewer(self, user) -> MeetingQuerySet:
        """Annotate `viewer_took_part`: whether `user` took part, in the meeting's own query."""
        return self.annotate(
            viewer_took_part=Exists(
                MeetingParticipant.objects.filter(meeting=OuterRef("pk"), user_id=user.pk)
            )
        )

    def for_page(self, user) -> MeetingQuerySet:
        """with_people(), who saved the notes last, and the ids of the series' meetings just
        before and after each one that `user` took part in (`previous_meeting_id`,
        `next_meeting_id`; staff: any): what the sync page's header and the access check
        read, in one query."""
        series_meetings = SyncMeeting.objects.filter(series_id=OuterRef("series_id"))
        if not user.is_staff:
            series_meetings = series_meetings.filter(
                Exists(MeetingParticipant.objects.filter(meeting=OuterRef("pk"), user_id=user.pk))
            )
        return (
            self.with_people()
            .for_viewer(user)
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
    # What the agenda saw when it was built (scope, milestone dates, risk scores, the projects
    # and products covered): the next meeting's agenda says what is new or changed against it.
    snapshot = models.JSONField(default=dict, blank=True)
    # Counted up by every write to the agenda (a build, a tick): the key of its cached rendering.
    agenda_stamp = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    notes_version = models.PositiveIntegerField(default=1)
    notes_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes_updated_at = models.DateTimeField(null=True, blank=True)
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="MeetingParticipant",
        related_name="sync_meetings",
        blank=True,
    )
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
        return f"{self.series} · week of {self.week_start:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("alignment:meeting", args=[self.pk])

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.series.duration_minutes)

    def is_over(self, now: datetime | None = None) -> bool:
        """Whether the meeting has ended: its agenda is then the record of that week."""
        return self.ends_at < (now or timezone.now())


class MeetingParticipant(models.Model):
    """Someone who took part in a meeting: who may read it later, whatever their roles now."""

    meeting = models.ForeignKey(SyncMeeting, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="meeting_participant_once")
        ]
        indexes = [models.Index(fields=["user", "meeting"], name="participant_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.meeting_id}"


class Section(models.TextChoices):
    """The agenda's sections. A product's lines come first (backlog, pipeline, KPIs, its risks,
    its ownership), then each of its projects' (status, milestones, scope, change requests,
    risks). "problems" holds the ownership gaps (and, in agendas built before the pair
    series, the change requests and risks of that time)."""

    STATUS = "status", "Status"
    MILESTONES = "milestones", "Milestones"
    SCOPE = "scope", "Scope"
    CHANGES = "changes", "Change requests"
    RISKS = "risks", "Risks"
    BACKLOG = "backlog", "Backlog prioritisation"
    PIPELINE = "pipeline", "Pipeline"
    KPIS = "kpis", "KPIs"
    PROBLEMS = "problems", "Ownership and problems"


PRODUCT_SECTIONS = [
    Section.BACKLOG,
    Section.PIPELINE,
    Section.KPIS,
    Section.RISKS,
    Section.PROBLEMS,
]
PROJECT_SECTIONS = [
    Section.STATUS,
    Section.MILESTONES,
    Section.SCOPE,
    Section.CHANGES,
    Section.RISKS,
    Section.PROBLEMS,
]
# Lines shown per section of a product or project before "and N more" (the page and the
# reminder); the full list is one click away.
SECTION_CAP = 8


class Tone(models.TextChoices):
    INFO = "info", "Info"
    GOOD = "ok", "Good"
    WARN = "warn", "Warning"
    BAD = "bad", "Problem"
    NEUTRAL = "neutral", "Neutral"  # no verdict: a project not baselined


class AgendaEntry(models.Model):
    """One line of a meeting's agenda, built from live data. `key` identifies what it is about
    (e.g. "cr:12"), so rebuilding refreshes the text and keeps the tick. `product` and
    `project` say which part of the pair's agenda it belongs to (a product's line has no
    project)."""

    meeting = models.ForeignKey(SyncMeeting, on_delete=models.CASCADE, related_name="entries")
    section = models.CharField(max_length=12, choices=Section.choices)
    product = models.ForeignKey(
        "products.Product", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        Project, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
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
            models.CheckConstraint(condition=Q(tone__in=Tone.values), name="agenda_tone_valid"),
        ]

    def __str__(self) -> str:
        return self.title


class TopicQuerySet(models.QuerySet):
    def shown_in(self, meeting: SyncMeeting) -> TopicQuerySet:
        """The topics a meeting lists: raised for it, and earlier ones of its series not
        discussed yet (or discussed since it started): a topic not discussed carries over."""
        return (
            self.filter(
                meeting__series_id=meeting.series_id, meeting__starts_at__lte=meeting.starts_at
            )
            .filter(
                Q(meeting=meeting)
                | Q(discussed_at__isnull=True)
                | Q(discussed_at__gte=meeting.starts_at)
            )
            .select_related("raised_by", "meeting")
            .order_by(F("discussed_at").asc(nulls_first=True), "created_at", "id")
        )


class Topic(models.Model):
    """Something either person wants to talk about, added before or during a meeting."""

    meeting = models.ForeignKey(SyncMeeting, on_delete=models.CASCADE, related_name="topics")
    text = models.CharField(max_length=300)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    discussed_at = models.DateTimeField(null=True, blank=True)
    discussed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="topic_text_not_blank"),
        ]

    def __str__(self) -> str:
        return self.text


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
    due_date = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
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
            models.CheckConstraint(condition=in_range("due_date"), name="action_item_due_in_range"),
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
    CANCELLATION = "cancel", "Invitation cancelled"
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
    # A cancellation: the series whose invitation is withdrawn, at which SEQUENCE.
    series = models.ForeignKey(
        SyncSeries, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    sequence = models.PositiveIntegerField(null=True, blank=True)
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
            models.UniqueConstraint(
                fields=["series", "sequence", "recipient"],
                condition=Q(kind=DeliveryKind.CANCELLATION),
                name="one_cancellation_per_sequence_recipient",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind=DeliveryKind.REMINDER,
                    meeting__isnull=False,
                    digest_week__isnull=True,
                    series__isnull=True,
                )
                | Q(
                    kind=DeliveryKind.DIGEST,
                    meeting__isnull=True,
                    digest_week__isnull=False,
                    series__isnull=True,
                )
                | Q(
                    kind=DeliveryKind.CANCELLATION,
                    meeting__isnull=True,
                    digest_week__isnull=True,
                    series__isnull=False,
                    sequence__isnull=False,
                ),
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
        target = self.meeting_id or self.digest_week or f"series {self.series_id}"
        return f"{self.kind} {target} → {self.recipient_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """Stable per delivery: mail clients fold a duplicate with the same Message-ID."""
        return f"<roleplan-delivery-{self.pk}@{settings.EMAIL_MESSAGE_DOMAIN}>"


class ReminderSetting(models.Model):
    """Whether a person gets the reminders (and invitations) of their syncs: on unless they
    turned them off, by the one-click unsubscribe of a reminder or on its page."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_setting"
    )
    reminders = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"reminders {'on' if self.reminders else 'off'} for {self.user_id}"


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
