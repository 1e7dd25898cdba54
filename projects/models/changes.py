"""Changes to a project's plan: change requests, their options and decisions, baselines, approval
requests, scope taken out outside a decision, and the health last noted (the invariants:
projects/models/__init__.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from products.models import Horizon, Kpi, RoadmapItem
from projects.models.plan import (
    Deliverable,
    Moscow,
    Project,
)
from roleplan.versioning import Versioned


class ChangeStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ChangeRequestQuerySet(models.QuerySet):
    def open(self) -> ChangeRequestQuerySet:
        return self.filter(status=ChangeStatus.OPEN)

    def with_option_count(self) -> ChangeRequestQuerySet:
        """Annotate option_count: a subquery per request, not a join and a GROUP BY over every
        selected column of the request and its related rows."""
        options = (
            ChangeOption.objects.filter(request=OuterRef("pk"))
            .values("request")
            .annotate(n=Count("id"))
            .values("n")
        )
        return self.annotate(option_count=Coalesce(Subquery(options), 0))


class ChangeRequest(models.Model):
    """The product manager asks for a change of scope, saying why (roadmap item, KPI)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="change_requests")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="The change asked for.")
    why = models.TextField(help_text="Why it matters now: the customer or business need.")
    value = models.TextField(
        blank=True, help_text="The value expected, in the KPI's terms if it has one."
    )
    roadmap_item = models.ForeignKey(
        RoadmapItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kpi = models.ForeignKey(Kpi, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.OPEN
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="change_number_per_project"),
            models.CheckConstraint(
                condition=Q(status__in=ChangeStatus.values), name="change_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=ChangeStatus.WITHDRAWN, withdrawn_at__isnull=False)
                | (~Q(status=ChangeStatus.WITHDRAWN) & Q(withdrawn_at__isnull=True)),
                name="change_withdrawn_has_date",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="change_title_not_blank"),
            models.CheckConstraint(condition=~Q(why=""), name="change_why_not_blank"),
            models.CheckConstraint(condition=Q(number__gte=1), name="change_number_positive"),
        ]

    def __str__(self) -> str:
        return f"CR-{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("projects:change", args=[self.project.slug, self.number])

    @property
    def code(self) -> str:
        return f"CR-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status == ChangeStatus.OPEN


class ChangeOption(Versioned):
    """One answer of the project manager: its impact on scope, deadline and budget."""

    request = models.ForeignKey(ChangeRequest, on_delete=models.PROTECT, related_name="options")
    label = models.CharField(max_length=2)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    scope_impact = models.TextField(
        blank=True, help_text="What changes in scope, in words (what goes to the backlog, …)."
    )
    adds = models.TextField(
        blank=True,
        help_text="Deliverables added to the scope if this option is chosen, one per line.",
    )
    descopes = models.ManyToManyField(
        Deliverable,
        blank=True,
        related_name="+",
        help_text="Deliverables moved out of scope if this option is chosen.",
    )
    deadline_days = models.IntegerField(
        "deadline impact (days)",
        default=0,
        help_text="Days added to the deadline (negative: earlier).",
    )
    budget_amount = models.DecimalField(
        "budget impact",
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="Amount added to the budget (negative: saved).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["label"]
        constraints = [
            *Versioned.Meta.constraints,
            models.UniqueConstraint(fields=["request", "label"], name="change_option_label_unique"),
            models.CheckConstraint(condition=~Q(title=""), name="change_option_title_not_blank"),
            models.CheckConstraint(condition=~Q(label=""), name="change_option_label_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.title}"

    @property
    def added_titles(self) -> list[str]:
        return [line.strip() for line in self.adds.splitlines() if line.strip()]


class ItemEffect(models.TextChoices):
    """What an option does to a roadmap item of the project's product, if it is chosen."""

    BRING_IN = "bring_in", "Brought into this project"
    SIMPLIFY = "simplify", "Simplified"
    DESCOPE = "descope", "Descoped back to a horizon"
    DEFER = "defer", "Deferred to a horizon"


# The effects that send the item back to a horizon, and the horizons they may send it to.
TO_A_HORIZON = (ItemEffect.DESCOPE, ItemEffect.DEFER)
LATER_HORIZONS = (Horizon.NEXT, Horizon.LATER)


class ChangeOptionItem(models.Model):
    """One roadmap item an option touches: what happens to it, to which horizon when it goes
    back to one, and the deliverables the option adds for it (traced to this item)."""

    option = models.ForeignKey(ChangeOption, on_delete=models.CASCADE, related_name="item_effects")
    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="+")
    effect = models.CharField(max_length=10, choices=ItemEffect.choices)
    horizon = models.CharField(max_length=8, choices=Horizon.choices, blank=True)
    adds = models.TextField(blank=True, help_text="Deliverables added for this item, one per line.")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["option", "item"], name="option_item_once"),
            models.CheckConstraint(
                condition=Q(effect__in=ItemEffect.values), name="option_item_effect_valid"
            ),
            models.CheckConstraint(
                condition=Q(effect__in=TO_A_HORIZON, horizon__in=LATER_HORIZONS)
                | (~Q(effect__in=TO_A_HORIZON) & Q(horizon="")),
                name="option_item_horizon_when_sent_back",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.effect}"

    @property
    def added_titles(self) -> list[str]:
        return [line.strip() for line in self.adds.splitlines() if line.strip()]

    @property
    def summary(self) -> str:
        """The effect as a sentence goes on: "deferred to Later", "brought into this project"."""
        if self.effect in TO_A_HORIZON:
            verb = "descoped" if self.effect == ItemEffect.DESCOPE else "deferred"
            return f"{verb} to {Horizon(self.horizon).label}"
        label = ItemEffect(self.effect).label
        return label[0].lower() + label[1:]


class DecisionOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class ChangeDecision(models.Model):
    """The product manager's decision on a request: which option (or none), who, when, why."""

    request = models.OneToOneField(ChangeRequest, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(max_length=10, choices=DecisionOutcome.choices)
    option = models.ForeignKey(
        ChangeOption, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rationale = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome=DecisionOutcome.ACCEPTED, option__isnull=False)
                | Q(outcome=DecisionOutcome.REJECTED, option__isnull=True),
                name="decision_accepted_names_an_option",
            ),
            models.CheckConstraint(condition=~Q(rationale=""), name="decision_rationale_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.request}: {self.outcome}"


class BaselineKind(models.TextChoices):
    APPROVAL = "approval", "Approval"
    CHANGE = "change", "Change request"


class BaselineQuerySet(models.QuerySet):
    def current(self) -> BaselineQuerySet:
        return self.filter(is_current=True)


class Baseline(models.Model):
    """What was committed: scope (items), deadline and budget, at approval or after a decided
    change request. Rows are never changed; the next baseline switches `is_current` off."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="baselines")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=BaselineKind.choices)
    decision = models.OneToOneField(
        ChangeDecision, on_delete=models.PROTECT, null=True, blank=True, related_name="baseline"
    )
    is_current = models.BooleanField(default=True)
    start_date = models.DateField()
    deadline = models.DateField()
    budget = models.DecimalField(max_digits=14, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = BaselineQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="baseline_number_per_project"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(is_current=True),
                name="baseline_one_current_per_project",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(kind=BaselineKind.APPROVAL),
                name="baseline_one_approval_per_project",
            ),
            models.CheckConstraint(
                condition=Q(kind=BaselineKind.APPROVAL, decision__isnull=True, number=1)
                | Q(kind=BaselineKind.CHANGE, decision__isnull=False, number__gt=1),
                name="baseline_from_approval_or_decision",
            ),
            models.CheckConstraint(
                condition=Q(deadline__gt=F("start_date")), name="baseline_deadline_after_start"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="baseline_budget_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.project} baseline {self.number}"


class BaselineItem(models.Model):
    """One deliverable in a baseline's scope, copied as it was (the deliverable may change)."""

    baseline = models.ForeignKey(Baseline, on_delete=models.PROTECT, related_name="items")
    # The deliverable's id, not a foreign key: a baseline outlives the deliverables it names.
    deliverable_ref = models.PositiveBigIntegerField()
    title = models.CharField(max_length=200)
    moscow = models.CharField(max_length=6, choices=Moscow.choices)
    estimate_days = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    start_date = models.DateField(null=True, blank=True)  # empty in baselines before 0006
    due_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "deliverable_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["baseline", "deliverable_ref"], name="baseline_item_once_per_baseline"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", "Awaits approval"
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Sent back"


class ApprovalRequestQuerySet(models.QuerySet):
    def pending(self) -> ApprovalRequestQuerySet:
        return self.filter(status=ApprovalStatus.PENDING)


class ApprovalRequest(models.Model):
    """The project manager asks the product's owner to approve the baseline. The owner approves
    it (projects.services.project_approve) or sends it back with a comment; the email to the
    owner is claimed in `notified_at` before it is sent, so it goes out once."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="approvals")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    objects = ApprovalRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ApprovalStatus.values), name="approval_status_valid"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(status=ApprovalStatus.PENDING),
                name="approval_one_pending_per_project",
            ),
            models.CheckConstraint(
                condition=Q(status=ApprovalStatus.PENDING, decided_at__isnull=True)
                | (
                    ~Q(status=ApprovalStatus.PENDING)
                    & Q(decided_at__isnull=False, decided_by__isnull=False)
                ),
                name="approval_decided_has_who_and_when",
            ),
            models.CheckConstraint(
                condition=~Q(status=ApprovalStatus.RETURNED) | ~Q(comment=""),
                name="approval_returned_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} approval {self.get_status_display().lower()}"

    @property
    def is_pending(self) -> bool:
        return self.status == ApprovalStatus.PENDING


class RemovalKind(models.TextChoices):
    DESCOPED = "descoped", "Taken out of scope"
    DELETED = "deleted", "Deleted"


class ScopeRemoval(models.Model):
    """A deliverable of the current baseline taken out of scope (or deleted) outside a decided
    change request: only by the product's owner, with the reason, kept here."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scope_removals")
    baseline = models.ForeignKey(Baseline, on_delete=models.PROTECT, related_name="+")
    # The deliverable's id, not a foreign key: a deleted deliverable keeps its line here.
    deliverable_ref = models.PositiveBigIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=RemovalKind.choices)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RemovalKind.values), name="scope_removal_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="scope_removal_says_why"),
        ]

    def __str__(self) -> str:
        return f"{self.title}: {self.get_kind_display().lower()}"


class HealthRecord(models.Model):
    """A project's health as last noted (projects.services.health_note): when the health read
    from the project's figures differs, it is noted here and PROJECT_HEALTH_CHANGED announced,
    once. Written by that service only."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="health_record"
    )
    status = models.CharField(max_length=20)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.project_id}: {self.status}"
