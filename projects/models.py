"""Projects: the how, the when and the who, within a time box. The project's manager is the
project manager; the owner of the project's product (product.asset.owner) is the product manager.

Invariants the database holds (Meta.constraints here, triggers in migration 0003):
- a project's deadline is after its start, its budget is not negative, and it is active or done
  only with benefits, outcomes and an approved baseline;
- exactly one current baseline per project, one approval baseline per project, one baseline per
  decision; baselines and their items are never edited or deleted, except that the current flag
  is switched off when the next baseline is written;
- one decision per change request, taken only while the request is open; an accepted decision
  names an option, a rejected one does not; decisions are never edited or deleted;
- a change option says at most once what it does to a roadmap item, and names a horizon exactly
  when it sends the item back to one (descoped, deferred);
- at most one approval request of a project waits at a time; one sent back says why;
- a deliverable of the baseline leaves the scope outside a decision only with a reason, kept
  (ScopeRemoval);
- a dependency links two different deliverables of the same project, once (the same project:
  a trigger, migration 0006); cycles are refused by projects.services under the project's lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from products.models import Horizon, Kpi, Product, RoadmapItem
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
