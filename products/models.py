"""Products: the why and the what. A product is an asset in the ownership registry; the asset's
owner is the product manager.

Single-row rules live here and in the database: every range the forms check is also a
CheckConstraint, the RICE, ICE and risk scores and a KPI's absolute target are generated
columns computed by the database (so lists sort by score in SQL), and every editable row
carries a version for compare-and-set saves (roleplan/versioning.py: every editable model here
is Versioned).

A score exists only when all its inputs were given: RICE needs a reach, ICE its three inputs
(NULL inputs make a NULL score, in SQL). Each product chooses which method it shows
(Product.scoring). Hypotheses (HADI) are rows of their own, linked to the roadmap items they
are about; concluding one changes those items' confidence (products/services.py).

An item imported from another tool keeps its key there (`external_key`, unique per product),
so importing that tool's file again updates it; a RoadmapImport is such a file on its way in,
then the record of what its import did (products/roadmap_csv.py).
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from products.rendering import markdown_text
from roleplan.dates import OUT_OF_RANGE, in_range, validate_date_in_range
from roleplan.ownership.models import Asset
from roleplan.versioning import Versioned


class ProductKind(models.TextChoices):
    SOLUTION = "solution", "Ready-made solution sold to other companies"
    CUSTOMER_APP = "customer_app", "Customer-facing app or website"
    COMPONENT = "component", "Component of an IT system"
    CATEGORY = "category", "Category of product or service"


class Stage(models.TextChoices):
    IDEATION = "ideation", "Ideation"
    DEVELOPMENT = "development", "Development"
    LAUNCH = "launch", "Launch"
    GROWTH = "growth", "Growth"
    MATURITY = "maturity", "Maturity"
    SUNSET = "sunset", "Sunset"


def in_order(choices: list[str], name: str) -> Case:
    """A choice field's values in the order they are declared (a workflow, not the alphabet)."""
    return Case(
        *[When(**{name: value}, then=Value(n)) for n, value in enumerate(choices)],
        output_field=models.IntegerField(),
    )


class Scoring(models.TextChoices):
    RICE = "rice", "RICE"
    ICE = "ice", "ICE"
    BOTH = "both", "RICE and ICE"


def count_of(queryset: models.QuerySet) -> Coalesce:
    """COUNT(*) of a subquery correlated on its product, as an integer annotation."""
    counted = queryset.order_by().values("product").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class ProductQuerySet(models.QuerySet):
    def with_can_edit(self, user) -> ProductQuerySet:
        """Annotate `can_edit`: owner, staff or one of the editors, decided in SQL."""
        if not (user.is_authenticated and user.is_active):
            return self.annotate(can_edit=Value(False, output_field=models.BooleanField()))
        if user.is_staff:
            return self.annotate(can_edit=Value(True, output_field=models.BooleanField()))
        is_editor = Exists(
            Product.editors.through.objects.filter(product_id=OuterRef("pk"), user_id=user.pk)
        )
        return self.annotate(
            can_edit=models.ExpressionWrapper(
                Q(asset__owner_id=user.pk) | Q(is_editor), output_field=models.BooleanField()
            )
        )

    def for_page(self, user) -> ProductQuerySet:
        return self.select_related("asset", "asset__owner").with_can_edit(user)

    def with_roadmap_counts(self) -> ProductQuerySet:
        """Open items per horizon, as subqueries so other counts cannot multiply them."""
        open_items = RoadmapItem.objects.filter(product=OuterRef("pk")).exclude(
            status__in=[Status.SHIPPED, Status.DROPPED]
        )
        return self.annotate(
            now_count=count_of(open_items.filter(horizon=Horizon.NOW)),
            next_count=count_of(open_items.filter(horizon=Horizon.NEXT)),
            later_count=count_of(open_items.filter(horizon=Horizon.LATER)),
        )

    def for_list(self, user) -> ProductQuerySet:
        return (
            self.for_page(user)
            .with_roadmap_counts()
            .annotate(
                kpi_count=count_of(Kpi.objects.filter(product=OuterRef("pk"))),
                open_risk_count=count_of(
                    ProductRisk.objects.filter(product=OuterRef("pk")).exclude(
                        status=RiskStatus.CLOSED
                    )
                ),
            )
            .order_by(Lower("asset__name"))
        )

    def owned_or_edited_by(self, user) -> ProductQuerySet:
        return self.filter(Q(asset__owner=user) | Q(editors=user)).distinct()


class Product(Versioned):
    asset = models.OneToOneField(Asset, on_delete=models.PROTECT, related_name="product")
    kind = models.CharField(
        max_length=20, choices=ProductKind.choices, default=ProductKind.CUSTOMER_APP
    )
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.IDEATION)
    positioning = models.TextField(blank=True)
    vision = models.TextField(blank=True)
    strategy = models.TextField(blank=True)
    target_audience = models.TextField(blank=True)
    needs = models.TextField(blank=True)
    scoring = models.CharField(
        "prioritisation",
        max_length=4,
        choices=Scoring.choices,
        default=Scoring.RICE,
        help_text="The score the roadmap shows and sorts by: RICE, ICE or both.",
    )
    launch_date = models.DateField(
        validators=[validate_date_in_range],
        null=True,
        blank=True,
        help_text="The launch that KPIs due “within N months of launch” count from.",
    )
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="editable_products"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProductQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=in_range("launch_date"),
                name="product_launch_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(kind__in=ProductKind.values), name="product_kind_valid"
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="product_stage_valid"),
            models.CheckConstraint(
                condition=Q(scoring__in=Scoring.values), name="product_scoring_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.asset.name

    def get_absolute_url(self) -> str:
        return reverse("products:detail", args=[self.asset.slug])

    @property
    def name(self) -> str:
        return self.asset.name

    @property
    def slug(self) -> str:
        return self.asset.slug

    @property
    def owner(self):
        return self.asset.owner

    @property
    def uses_rice(self) -> bool:
        return self.scoring in (Scoring.RICE, Scoring.BOTH)

    @property
    def uses_ice(self) -> bool:
        return self.scoring in (Scoring.ICE, Scoring.BOTH)


class Direction(models.TextChoices):
    UP = "up", "Higher is better"
    DOWN = "down", "Lower is better"


class KpiQuerySet(models.QuerySet):
    def with_latest(self) -> KpiQuerySet:
        latest = KpiMeasurement.objects.filter(kpi=OuterRef("pk")).order_by("-date", "-id")
        return self.annotate(
            latest_value=models.Subquery(latest.values("value")[:1]),
            latest_date=models.Subquery(latest.values("date")[:1]),
        )


class TargetKind(models.TextChoices):
    ABSOLUTE = "absolute", "Reach a value"
    POINTS = "points", "Change by an amount (points, for a rate)"
    PERCENT = "percent", "Change by a percentage of the baseline"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter: 31 Jan + 1 = 28
    or 29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def absolute_target() -> Case:
    """A KPI's target as a value of the KPI: what was stated, or the baseline moved by it."""
    value = F("target_value")
    return Case(
        When(target_kind=TargetKind.POINTS, then=F("baseline") + value),
        # 100.0, not 100: SQLite divides integers as integers (6 × 75 / 100 would be 4).
        When(
            target_kind=TargetKind.PERCENT,
            then=ExpressionWrapper(
                F("baseline") * (Value(100) + value) / Value(100.0),
                output_field=models.DecimalField(max_digits=14, decimal_places=4),
            ),
        ),
        default=value,
        output_field=models.DecimalField(max_digits=14, decimal_places=4),
    )


class Kpi(Versioned):
    """A measure of the product's success, stated as people state it: a target that is a value
    ("reach 27") or a change of the baseline ("+6 points", "+6 %"), due on a date or a number of
    months after the product's launch ("within 3 months of launch").

    The launch date lives on the product, not on each KPI: a product manager states one launch
    that several KPIs count from, and when the launch moves they all move with it."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(max_length=120)
    unit = models.CharField(max_length=20, blank=True, help_text="For example %, EUR, ms.")
    baseline = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Where the KPI stands before the work; needed for a target stated as a change.",
    )
    target_kind = models.CharField(
        "target is", max_length=8, choices=TargetKind.choices, default=TargetKind.ABSOLUTE
    )
    target_value = models.DecimalField(
        "target",
        max_digits=14,
        decimal_places=4,
        help_text="The value to reach, or the change: 6 for “+6 points” or “+6 %”, -2 to go down.",
    )
    # The value to reach, computed by the database from what was stated.
    target = models.GeneratedField(
        expression=absolute_target(),
        output_field=models.DecimalField(max_digits=14, decimal_places=4),
        db_persist=True,
    )
    direction = models.CharField(max_length=4, choices=Direction.choices, default=Direction.UP)
    due_date = models.DateField(
        "due on", null=True, blank=True, validators=[validate_date_in_range]
    )
    due_months = models.PositiveSmallIntegerField(
        "or due months after launch",
        null=True,
        blank=True,
        validators=[
            MinValueValidator(1, message="At least 1 month."),
            MaxValueValidator(60, message="At most 60 months."),
        ],
        help_text="“Within 3 months of launch”: counted from the product's launch date.",
    )

    objects = KpiQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("due_date"),
                name="kpi_due_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.UniqueConstraint(fields=["product", "name"], name="kpi_name_unique_per_product"),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="kpi_direction_valid"
            ),
            models.CheckConstraint(
                condition=Q(target_kind__in=TargetKind.values), name="kpi_target_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="kpi_name_not_blank"),
            # A change needs something to change from; a percentage of zero changes nothing.
            models.CheckConstraint(
                condition=Q(target_kind=TargetKind.ABSOLUTE) | Q(baseline__isnull=False),
                name="kpi_relative_target_has_baseline",
            ),
            models.CheckConstraint(
                condition=~Q(target_kind=TargetKind.PERCENT) | ~Q(baseline=0),
                name="kpi_percent_target_baseline_not_zero",
            ),
            models.CheckConstraint(
                condition=~Q(target_kind=TargetKind.PERCENT) | Q(target_value__gt=-100),
                name="kpi_percent_target_above_minus_100",
            ),
            # The target lies in the direction of improvement: a KPI that cannot improve is a typo.
            models.CheckConstraint(
                condition=(
                    Q(target_kind=TargetKind.ABSOLUTE)
                    & (
                        Q(baseline__isnull=True)
                        | Q(direction=Direction.UP, target_value__gt=F("baseline"))
                        | Q(direction=Direction.DOWN, target_value__lt=F("baseline"))
                    )
                )
                | (
                    ~Q(target_kind=TargetKind.ABSOLUTE)
                    & (
                        Q(direction=Direction.UP, target_value__gt=0)
                        | Q(direction=Direction.DOWN, target_value__lt=0)
                    )
                ),
                name="kpi_target_beyond_baseline",
            ),
            # One due date: on a day, or a number of months after launch.
            models.CheckConstraint(
                condition=Q(due_date__isnull=True) | Q(due_months__isnull=True),
                name="kpi_one_due_date",
            ),
            models.CheckConstraint(
                condition=Q(due_months__isnull=True) | Q(due_months__gte=1, due_months__lte=60),
                name="kpi_due_months_1_to_60",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unit_is_percent(self) -> bool:
        return self.unit.strip() == "%"

    @property
    def due(self) -> date | None:
        """The due date: the one stated, or the product's launch plus `due_months` (None while
        the product has no launch date). Reads `self.product` (load it with the KPI)."""
        if self.due_date is not None:
            return self.due_date
        launch = self.product.launch_date if self.due_months else None
        return add_months(launch, self.due_months) if launch else None

    def progress(self, value: Decimal | None, start: Decimal | None = None) -> int | None:
        """Share of the way from the start (the baseline, or `start` when there is none: the
        first measurement) to the target reached by `value`, in percent (0-100)."""
        start = self.baseline if self.baseline is not None else start
        if value is None or start is None or self.target == start:
            return None
        share = (Decimal(value) - start) / (Decimal(self.target) - start)
        return max(0, min(100, round(share * 100)))


class KpiMeasurement(models.Model):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    date = models.DateField(validators=[validate_date_in_range])
    value = models.DecimalField(max_digits=14, decimal_places=4)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("date"),
                name="kpi_measurement_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            models.UniqueConstraint(fields=["kpi", "date"], name="kpi_measurement_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.value} on {self.date}"


class Status(models.TextChoices):
    IDEA = "idea", "Idea"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    SHIPPED = "shipped", "Shipped"
    DROPPED = "dropped", "Dropped"


class Horizon(models.TextChoices):
    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"


# RICE impact, the usual scale. Keys carry two decimals, as the column returns them, so a form
# shows the saved value as selected.
IMPACT_CHOICES = [
    (Decimal("3.00"), "3 · massive"),
    (Decimal("2.00"), "2 · high"),
    (Decimal("1.00"), "1 · medium"),
    (Decimal("0.50"), "0.5 · low"),
    (Decimal("0.25"), "0.25 · minimal"),
]
IMPACT_VALUES = [value for value, _label in IMPACT_CHOICES]


class Confidence(models.IntegerChoices):
    HIGH = 100, "100% · high"
    MEDIUM = 80, "80% · medium"
    LOW = 50, "50% · low"


def one_to_ten(label: str) -> list:
    return [
        MinValueValidator(1, message=f"{label} is at least 1."),
        MaxValueValidator(10, message=f"{label} is at most 10."),
    ]


def as_float(name: str):
    return Cast(F(name), models.FloatField())


class RoadmapItemQuerySet(models.QuerySet):
    def for_board(self) -> RoadmapItemQuerySet:
        return self.select_related("kpi").order_by("horizon", "rank", "id")

    def by_score(self, sort: str) -> RoadmapItemQuerySet:
        key = "ice_score" if sort == "ice" else "rice_score"
        return self.select_related("kpi").order_by(F(key).desc(), "horizon", "rank", "id")

    def in_horizon(self, product_id: int, horizon: str) -> RoadmapItemQuerySet:
        return self.filter(product_id=product_id, horizon=horizon).order_by("rank", "id")


class RoadmapItem(Versioned):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="roadmap_items")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IDEA)
    horizon = models.CharField(max_length=8, choices=Horizon.choices, default=Horizon.LATER)
    # Dense positions 0..n-1 within (product, horizon); products/services.py keeps them so.
    rank = models.PositiveIntegerField(default=0)
    # The item's key in the tool it came from (a Jira issue key, a Productboard feature id):
    # importing that tool's file again updates the item with this key (products/roadmap_csv.py).
    external_key = models.CharField(
        "key",
        max_length=100,
        blank=True,
        help_text="The item's key in the tool it was imported from, such as a Jira issue key.",
    )
    kpi = models.ForeignKey(
        Kpi,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roadmap_items",
        verbose_name="KPI",
        help_text="The KPI this item should move.",
    )

    # A short PRD.
    problem = models.TextField(blank=True)
    audience = models.TextField("users", blank=True, help_text="Who has the problem.")
    requirements = models.TextField(blank=True)
    success_metric = models.TextField(blank=True)

    # RICE inputs: no RICE score until the reach is given.
    reach = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="People or events per quarter.",
        validators=[MinValueValidator(0, message="Reach cannot be negative.")],
    )
    impact = models.DecimalField(
        max_digits=3, decimal_places=2, choices=IMPACT_CHOICES, default=Decimal("1.00")
    )
    confidence = models.PositiveSmallIntegerField(
        choices=Confidence.choices, default=Confidence.MEDIUM
    )
    effort = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("1.00"),
        help_text="Person-months.",
        validators=[
            MinValueValidator(Decimal("0.01"), message="Effort must be more than 0 person-months.")
        ],
    )
    # ICE inputs, 1 to 10 each: no ICE score until all three are given.
    ice_impact = models.PositiveSmallIntegerField(
        "ICE impact", null=True, blank=True, validators=one_to_ten("ICE impact")
    )
    ice_confidence = models.PositiveSmallIntegerField(
        "ICE confidence", null=True, blank=True, validators=one_to_ten("ICE confidence")
    )
    ice_ease = models.PositiveSmallIntegerField(
        "ICE ease", null=True, blank=True, validators=one_to_ten("ICE ease")
    )

    # Computed and stored by the database. Cast to float so SQLite does not divide integers.
    rice_score = models.GeneratedField(
        expression=as_float("reach")
        * as_float("impact")
        * as_float("confidence")
        / (as_float("effort") * Value(100.0)),
        output_field=models.FloatField(),
        db_persist=True,
    )
    ice_score = models.GeneratedField(
        expression=F("ice_impact") * F("ice_confidence") * F("ice_ease"),
        output_field=models.IntegerField(),
        db_persist=True,
    )

    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = RoadmapItemQuerySet.as_manager()

    class Meta:
        ordering = ["horizon", "rank"]
        constraints = [
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="roadmap_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(horizon__in=Horizon.values), name="roadmap_horizon_valid"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="roadmap_title_not_blank"),
            models.UniqueConstraint(
                fields=["product", "horizon", "rank"], name="roadmap_rank_unique_in_horizon"
            ),
            # One item per key and product, so a re-import finds the item it updates.
            models.UniqueConstraint(
                fields=["product", "external_key"],
                condition=~Q(external_key=""),
                name="roadmap_external_key_unique_per_product",
            ),
            models.CheckConstraint(condition=Q(reach__gte=0), name="roadmap_reach_not_negative"),
            models.CheckConstraint(
                condition=Q(impact__in=IMPACT_VALUES), name="roadmap_impact_on_scale"
            ),
            models.CheckConstraint(
                condition=Q(confidence__in=Confidence.values), name="roadmap_confidence_on_scale"
            ),
            models.CheckConstraint(condition=Q(effort__gt=0), name="roadmap_effort_positive"),
            models.CheckConstraint(
                condition=Q(ice_impact__gte=1, ice_impact__lte=10),
                name="roadmap_ice_impact_1_to_10",
            ),
            models.CheckConstraint(
                condition=Q(ice_confidence__gte=1, ice_confidence__lte=10),
                name="roadmap_ice_confidence_1_to_10",
            ),
            models.CheckConstraint(
                condition=Q(ice_ease__gte=1, ice_ease__lte=10), name="roadmap_ice_ease_1_to_10"
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-rice_score"], name="roadmap_rice_idx"),
            models.Index(fields=["product", "-ice_score"], name="roadmap_ice_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("products:item", args=[self.product.asset.slug, self.pk])


class HypothesisStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    RUNNING = "running", "Running"
    VALIDATED = "validated", "Validated"
    INVALIDATED = "invalidated", "Invalidated"


CONCLUDED = [HypothesisStatus.VALIDATED, HypothesisStatus.INVALIDATED]


class HypothesisQuerySet(models.QuerySet):
    def annotate_items(self) -> HypothesisQuerySet:
        """`item_count`: how many roadmap items each hypothesis is linked to."""
        return self.annotate(item_count=Count("items", distinct=True))

    def status_counts(self) -> dict[str, int]:
        """How many hypotheses have each status, and all of them, in one query."""
        counts = self.aggregate(
            all=Count("pk"),
            **{s.value: Count("pk", filter=Q(status=s)) for s in HypothesisStatus},
        )
        return counts


class Hypothesis(Versioned):
    """A hypothesis in HADI form: we believe (hypothesis), so we will (action), measured by
    (data: a KPI of the product, or a metric in words), and what we learned (insight).

    Its status changes only through products.services.hypothesis_conclude, which also changes
    the confidence of the roadmap items it is linked to."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="hypotheses")
    hypothesis = models.TextField("we believe that", help_text="The belief to test.")
    action = models.TextField("so we will", blank=True, help_text="What is done to test it.")
    kpi = models.ForeignKey(
        Kpi,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="hypotheses",
        verbose_name="measured by KPI",
    )
    metric = models.TextField(
        "or measured by",
        blank=True,
        help_text="A metric in words, when no KPI measures it.",
    )
    insight = models.TextField(
        blank=True, help_text="What was learned: needed to validate or invalidate it."
    )
    status = models.CharField(
        max_length=12, choices=HypothesisStatus.choices, default=HypothesisStatus.PROPOSED
    )
    items = models.ManyToManyField(
        RoadmapItem, blank=True, related_name="hypotheses", verbose_name="roadmap items"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = HypothesisQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "hypotheses"
        constraints = [
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status__in=HypothesisStatus.values), name="hypothesis_status_valid"
            ),
            models.CheckConstraint(condition=~Q(hypothesis=""), name="hypothesis_not_blank"),
            models.CheckConstraint(
                condition=~Q(status__in=CONCLUDED) | ~Q(insight=""),
                name="hypothesis_concluded_has_insight",
            ),
        ]

    def __str__(self) -> str:
        return self.short

    @property
    def short(self) -> str:
        """The belief in plain words (no Markdown marks), cut to fit a line."""
        text = markdown_text(self.hypothesis)
        return text if len(text) <= 90 else text[:89].rstrip() + "…"

    def get_absolute_url(self) -> str:
        return reverse("products:hypothesis", args=[self.product.asset.slug, self.pk])


class ChangeAction(models.TextChoices):
    CREATED = "created", "created"
    EDITED = "edited", "edited"
    MOVED = "moved", "moved"


class RoadmapItemChange(models.Model):
    """One save of a roadmap item: who, when, and each field's old and new value as shown.

    Written by products/services.py in the same transaction as the change, in plain rows and a
    JSON list, so the history works the same on SQLite and PostgreSQL (no triggers)."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="changes")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=8, choices=ChangeAction.choices)
    # The item's version after this change: a stale save shows the changes after its version.
    version = models.PositiveIntegerField()
    # [{"field": "reach", "label": "Reach", "old": "1000", "new": "2000"}, ...]
    changes = models.JSONField(default=list, blank=True)
    # Why, when the change came from elsewhere (a hypothesis concluded, a decision), and where
    # that is: "Hypothesis “…” validated", /products/…/hypotheses/3/.
    note = models.CharField(max_length=300, blank=True)
    link = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=ChangeAction.values), name="roadmap_change_action_valid"
            ),
            models.UniqueConstraint(
                fields=["item", "version"], name="roadmap_change_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.action} v{self.version}"


class ImportSource(models.TextChoices):
    """Where an imported roadmap file comes from, as detected from its header row."""

    JIRA = "jira", "Jira Product Discovery"
    PRODUCTBOARD = "productboard", "Productboard"
    ROLEPLAN = "roleplan", "roleplan"
    CSV = "csv", "CSV"


class RoadmapImport(Versioned):
    """A roadmap file on its way in, then the record of its import.

    Uploaded, it holds the file's text (decoded, at most MAX_BYTES: products/spreadsheets.py)
    and the mapping of its columns to item fields, which people change before importing (each
    change counts the version up, and the import names the version it was shown). Imported,
    it keeps what happened (the counts, the items created and updated) and drops the text. It
    lives in the database rather than in the session (read on every request) or in a hidden
    field (the file would travel back and forth at each step), so any web process can serve
    the next step. Drafts not imported within a day are deleted (services.roadmap_upload)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField(max_length=200)
    source = models.CharField(max_length=12, choices=ImportSource.choices)
    # How the file was read: its encoding and separator ("utf-8-sig", ";").
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=1)
    content = models.TextField(blank=True)
    # One entry per column of the file: the item field it fills, or "" (not imported).
    mapping = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    # What the import did: {"created": [ids], "updated": [ids], "unchanged": n}.
    result = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(source__in=ImportSource.values), name="roadmap_import_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("products:roadmap_import_review", args=[self.product.asset.slug, self.pk])

    @property
    def created_count(self) -> int:
        return len(self.result.get("created", []))

    @property
    def updated_count(self) -> int:
        return len(self.result.get("updated", []))

    @property
    def unchanged_count(self) -> int:
        return self.result.get("unchanged", 0)


class RiskCategory(models.TextChoices):
    BUSINESS = "business", "Business"
    LEGAL = "legal", "Legal"
    REPUTATIONAL = "reputational", "Reputational"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    MITIGATING = "mitigating", "Mitigating"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


class ProductRisk(Versioned):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=16, choices=RiskCategory.choices)
    probability = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 to 5."
    )
    impact = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 to 5."
    )
    score = models.GeneratedField(
        expression=F("probability") * F("impact"),
        output_field=models.IntegerField(),
        db_persist=True,
    )
    mitigation = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="product_risks",
    )
    status = models.CharField(max_length=12, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    review_date = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-score", "title"]
        constraints = [
            models.CheckConstraint(
                condition=in_range("review_date"),
                name="product_risk_review_date_in_range",
                violation_error_message=OUT_OF_RANGE,
            ),
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(category__in=RiskCategory.values), name="product_risk_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RiskStatus.values), name="product_risk_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(probability__gte=1, probability__lte=5),
                name="product_risk_probability_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(impact__gte=1, impact__lte=5), name="product_risk_impact_1_to_5"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="product_risk_title_not_blank"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def severity(self) -> str:
        if self.score >= 15:
            return "high"
        if self.score >= 8:
            return "medium"
        return "low"
