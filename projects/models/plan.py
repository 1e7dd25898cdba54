"""A project's plan: the project, its deliverables and their links, milestones, cost lines and
risks (the invariants: projects/models/__init__.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from products.models import Product, RoadmapItem
from roleplan.dates import OUT_OF_RANGE, in_range, validate_date_in_range
from roleplan.versioning import Versioned


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


# Statuses that need stated benefits and outcomes and an approved baseline.
COMMITTED_STATUSES = (ProjectStatus.ACTIVE, ProjectStatus.DONE)


class Methodology(models.TextChoices):
    SCRUM = "scrum", "Scrum"
    KANBAN = "kanban", "Kanban"
    WATERFALL = "waterfall", "Waterfall"
    HYBRID = "hybrid", "Hybrid"


class ProjectQuerySet(models.QuerySet):
    def with_user_is_editor(self, user) -> ProjectQuerySet:
        """Annotate whether `user` is among the editors, in the same query as the project."""
        editor = Project.editors.through.objects.filter(project_id=OuterRef("pk"), user_id=user.pk)
        return self.annotate(user_is_editor=Exists(editor))

    def for_page(self, user) -> ProjectQuerySet:
        """The project with what every project page shows of its people and product (names
        only: a user row has eleven columns to convert), and whether `user` edits it: one
        query."""
        people = ("product__asset__owner", "manager", "approved_by")
        names = ("first_name", "last_name", "username", "is_active")
        return (
            self.select_related(*people)
            .only(
                *(f.name for f in Project._meta.concrete_fields),
                "product__asset__name",
                "product__asset__slug",
                "product__asset__owner_id",
                *(f"{who}__{name}" for who in people for name in names),
            )
            .with_user_is_editor(user)
        )

    def for_list(self) -> ProjectQuerySet:
        return self.select_related("product__asset__owner", "manager")

    def involving(self, user) -> ProjectQuerySet:
        """Projects the user manages, edits, or whose product the user owns. The editors are an
        EXISTS, not a join: each project comes once without DISTINCT, which cost PostgreSQL
        more to plan (over every selected column) than the query cost to run."""
        editor = Project.editors.through.objects.filter(project_id=OuterRef("pk"), user=user)
        return self.filter(Q(manager=user) | Q(product__asset__owner=user) | Exists(editor))


class Project(Versioned):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="projects"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_projects"
    )
    start_date = models.DateField(validators=[validate_date_in_range])
    deadline = models.DateField(validators=[validate_date_in_range])
    budget = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(
        max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PROPOSED
    )
    methodology = models.CharField(
        max_length=12, choices=Methodology.choices, default=Methodology.HYBRID
    )
    statement_of_work = models.TextField(blank=True)
    benefits = models.TextField(blank=True)
    outcomes = models.TextField(blank=True)
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="editable_projects"
    )
    # Set once, by projects.services.project_approve, together with the first baseline.
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Counts every change to the project's plan: its own fields and its scope, milestones,
    # costs, risks, change requests and baselines (projects.services counts it up in each
    # write, locking the project row first). The key of the overview's cached figures.
    revision = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "name"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("start_date"),
                name="project_start_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            models.CheckConstraint(
                condition=in_range("deadline"),
                name="project_deadline_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(deadline__gt=F("start_date")), name="project_deadline_after_start"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="project_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=ProjectStatus.values), name="project_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(methodology__in=Methodology.values), name="project_methodology_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="project_name_not_blank"),
            models.CheckConstraint(
                condition=~Q(status__in=COMMITTED_STATUSES)
                | (Q(approved_at__isnull=False) & ~Q(benefits="") & ~Q(outcomes="")),
                name="project_committed_needs_approval_benefits_outcomes",
            ),
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True, approved_by__isnull=True)
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="project_approval_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.slug])

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def product_owner_id(self) -> int | None:
        return self.product.asset.owner_id if self.product_id else None

    @property
    def product_owner(self):
        return self.product.asset.owner if self.product_id else None


class DeliverableStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    DONE = "done", "Done"


class Moscow(models.TextChoices):
    MUST = "must", "Must have"
    SHOULD = "should", "Should have"
    COULD = "could", "Could have"
    WONT = "wont", "Won't have (this time)"


@dataclass(frozen=True)
class DeliveryProgress:
    """How much of a roadmap item the projects have delivered: in-scope deliverables only."""

    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


class DeliverableQuerySet(models.QuerySet):
    def in_scope(self) -> DeliverableQuerySet:
        return self.filter(in_scope=True)

    def open(self) -> DeliverableQuerySet:
        return self.exclude(status=DeliverableStatus.DONE)

    def progress_by_roadmap_item(self, item_ids) -> dict[int, DeliveryProgress]:
        """Delivery progress of the given roadmap items across every project, in one query.

        Products can show it next to each roadmap item: missing ids have no deliverables."""
        rows = (
            self.filter(roadmap_item_id__in=list(item_ids), in_scope=True)
            .values("roadmap_item_id")
            .annotate(
                total=Count("id"),
                done=Count("id", filter=Q(status=DeliverableStatus.DONE)),
            )
        )
        return {
            row["roadmap_item_id"]: DeliveryProgress(done=row["done"], total=row["total"])
            for row in rows
        }


def with_delivery_progress(roadmap_items: models.QuerySet) -> models.QuerySet:
    """Annotate a RoadmapItem queryset with deliverables_total and deliverables_done (in-scope
    deliverables of every project), so a roadmap page shows delivery progress in its own query."""
    in_scope = Q(deliverables__in_scope=True)
    return roadmap_items.annotate(
        deliverables_total=Count("deliverables", filter=in_scope, distinct=True),
        deliverables_done=Count(
            "deliverables",
            filter=in_scope & Q(deliverables__status=DeliverableStatus.DONE),
            distinct=True,
        ),
    )


class Deliverable(Versioned):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="deliverables")
    title = models.CharField(max_length=200)
    description = models.TextField(
        blank=True, help_text="Why it exists and what done means, in a sentence or two."
    )
    status = models.CharField(
        max_length=12, choices=DeliverableStatus.choices, default=DeliverableStatus.PLANNED
    )
    estimate_days = models.DecimalField(
        "estimate (person-days)", max_digits=7, decimal_places=1, null=True, blank=True
    )
    start_date = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    due_date = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    done_on = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    moscow = models.CharField(
        "MoSCoW priority", max_length=6, choices=Moscow.choices, default=Moscow.MUST
    )
    in_scope = models.BooleanField(default=True)
    roadmap_item = models.ForeignKey(
        RoadmapItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliverables",
        help_text="The roadmap item this deliverable delivers: why it exists.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_deliverables",
        help_text="Who sees it done (a resource assigned to it in MS Project).",
    )
    # The summary tasks above it in an MS Project plan, outermost first, joined by GROUP_SEP:
    # a label, not a tree (roleplan's scope is a flat list; the export rebuilds the summaries).
    group = models.CharField(
        max_length=200, blank=True, help_text="A phase or work package, e.g. “Migration”."
    )
    depends_on = models.ManyToManyField(
        "self",
        through="DeliverableDependency",
        through_fields=("successor", "predecessor"),
        symmetrical=False,
        related_name="dependents",
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = DeliverableQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("start_date"),
                name="deliverable_start_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            models.CheckConstraint(
                condition=in_range("due_date"),
                name="deliverable_due_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            models.CheckConstraint(
                condition=in_range("done_on"),
                name="deliverable_done_on_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status__in=DeliverableStatus.values), name="deliverable_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(moscow__in=Moscow.values), name="deliverable_moscow_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="deliverable_title_not_blank"),
            models.CheckConstraint(
                condition=Q(estimate_days__isnull=True) | Q(estimate_days__gte=0),
                name="deliverable_estimate_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(due_date__isnull=True)
                | Q(due_date__gte=F("start_date")),
                name="deliverable_due_not_before_start",
            ),
            models.CheckConstraint(
                condition=Q(status=DeliverableStatus.DONE, done_on__isnull=False)
                | (~Q(status=DeliverableStatus.DONE) & Q(done_on__isnull=True)),
                name="deliverable_done_has_date",
            ),
            # "Won't have this time" is out of scope by definition.
            models.CheckConstraint(
                condition=~Q(moscow=Moscow.WONT) | Q(in_scope=False),
                name="deliverable_wont_is_out_of_scope",
            ),
        ]
        indexes = [models.Index(fields=["project", "due_date"], name="deliverable_project_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == DeliverableStatus.DONE

    def is_overdue(self, today) -> bool:
        return (
            self.in_scope
            and not self.is_done
            and self.due_date is not None
            and self.due_date < today
        )


# Between the summary names of a deliverable's group ("Phase 1 › Migration").
GROUP_SEP = " › "
MAX_LAG_DAYS = 999


class DeliverableDependency(models.Model):
    """Finish-to-start, as MS Project links tasks: `successor` starts only after `predecessor`
    finishes, `lag_days` working days later (negative: a lead, it may start that much
    earlier)."""

    predecessor = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="successor_links"
    )
    successor = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="predecessor_links"
    )
    lag_days = models.IntegerField("lag (days)", default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="deliverable_dependency_unique"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")), name="deliverable_not_its_own_dependency"
            ),
            models.CheckConstraint(
                condition=Q(lag_days__gte=-MAX_LAG_DAYS, lag_days__lte=MAX_LAG_DAYS),
                name="deliverable_dependency_lag_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


class Milestone(Versioned):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    due_date = models.DateField(validators=[validate_date_in_range])
    done_on = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    depends_on = models.ManyToManyField(
        "self",
        through="MilestoneDependency",
        through_fields=("successor", "predecessor"),
        symmetrical=False,
        related_name="dependents",
        blank=True,
        help_text="Finish-to-start: this milestone can be reached only after these.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("due_date"),
                name="milestone_due_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            models.CheckConstraint(
                condition=in_range("done_on"),
                name="milestone_done_on_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.CheckConstraint(condition=~Q(title=""), name="milestone_title_not_blank"),
        ]
        indexes = [models.Index(fields=["project", "due_date"], name="milestone_project_due")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_on is not None

    def is_overdue(self, today) -> bool:
        return self.done_on is None and self.due_date < today


class MilestoneDependency(models.Model):
    """Finish-to-start: `successor` can be reached only after `predecessor`."""

    predecessor = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="+")
    successor = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["predecessor", "successor"], name="milestone_dependency_unique"
            ),
            models.CheckConstraint(
                condition=~Q(predecessor=F("successor")), name="milestone_not_its_own_dependency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.predecessor_id} → {self.successor_id}"


class CostCategory(models.TextChoices):
    LABOUR = "labour", "Labour"
    VENDOR = "vendor", "Vendor"
    LICENCES = "licences", "Licences"
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    OTHER = "other", "Other"


class CostLine(Versioned):
    """A planned cost, and what it actually cost once spent (empty until then)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="cost_lines")
    category = models.CharField(max_length=16, choices=CostCategory.choices)
    description = models.CharField(max_length=200)
    planned = models.DecimalField(max_digits=14, decimal_places=2)
    actual = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Leave empty until the money is spent.",
    )
    date = models.DateField(
        help_text="When the cost falls due (or fell).", validators=[validate_date_in_range]
    )
    # Set on the line a decided change request added for its option's budget.
    decision = models.ForeignKey(
        "ChangeDecision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cost_lines",
        editable=False,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("date"),
                name="cost_line_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(category__in=CostCategory.values), name="cost_category_valid"
            ),
            models.CheckConstraint(condition=Q(planned__gte=0), name="cost_planned_not_negative"),
            models.CheckConstraint(
                condition=Q(actual__isnull=True) | Q(actual__gte=0),
                name="cost_actual_not_negative",
            ),
            models.CheckConstraint(condition=~Q(description=""), name="cost_description_not_blank"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def forecast(self):
        """What this line will cost: the actual once spent, the plan until then."""
        return self.actual if self.actual is not None else self.planned


class RiskCategory(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    SCHEDULE = "schedule", "Schedule"
    RESOURCE = "resource", "Resource"
    BUDGET = "budget", "Budget"
    VENDOR = "vendor", "Vendor"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigating"
    CLOSED = "closed", "Closed"


def risk_level(score: int) -> str:
    """The band of a probability × impact score, as drawn on the 5×5 matrix."""
    if score >= 15:
        return "high"
    if score >= 8:
        return "medium"
    if score >= 4:
        return "low"
    return "minimal"


class ProjectRisk(Versioned):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=12, choices=RiskCategory.choices)
    probability = models.PositiveSmallIntegerField(help_text="1 (rare) to 5 (almost certain).")
    impact = models.PositiveSmallIntegerField(help_text="1 (minor) to 5 (severe).")
    score = models.GeneratedField(
        expression=F("probability") * F("impact"),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="project_risks"
    )
    mitigation = models.TextField(blank=True)
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    review_date = models.DateField(validators=[validate_date_in_range])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-score", "number"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("review_date"),
                name="project_risk_review_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.UniqueConstraint(fields=["project", "number"], name="risk_number_per_project"),
            models.CheckConstraint(
                condition=Q(category__in=RiskCategory.values), name="risk_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RiskStatus.values), name="risk_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5),
                name="risk_probability_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="risk_impact_1_to_5"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="risk_title_not_blank"),
            models.CheckConstraint(condition=Q(number__gte=1), name="risk_number_positive"),
        ]

    def __str__(self) -> str:
        return f"R{self.number} {self.title}"

    @property
    def code(self) -> str:
        return f"R{self.number}"

    @property
    def level(self) -> str:
        return risk_level(self.score)

    @property
    def is_open(self) -> bool:
        return self.status != RiskStatus.CLOSED

    def review_overdue(self, today) -> bool:
        return self.is_open and self.review_date < today
