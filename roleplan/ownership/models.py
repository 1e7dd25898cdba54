"""The ownership registry: every product, process and system has exactly one owner.

The owner is a single required column, so two owners cannot exist; the deputy is never the owner
(a check constraint); names are unique per kind ignoring case (a unique index on lower(name)).
Handover rows are append-only: database triggers refuse UPDATE and DELETE (migration 0002).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from functools import reduce
from typing import ClassVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import ExpressionWrapper, F, Q, Value
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from roleplan.ownership import extensions
from roleplan.versioning import Versioned


class AssetKind(models.TextChoices):
    PRODUCT = "product", "Product"
    PROCESS = "process", "Process"
    SYSTEM = "system", "System"


class Gap(models.TextChoices):
    OWNERLESS = "ownerless", "Ownerless"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    ROLE_CONFLICT = "role_conflict", "Role conflict"


class GapHelp(Mapping[str, str]):
    """GAP_HELP[gap]: what a gap means, as the asset page and the sync agenda say it. The role
    conflict's words come with its rule (extensions.register_role_conflict)."""

    FIXED: ClassVar[dict[str, str]] = {
        Gap.OWNERLESS: "The owner's account is deactivated: staff hand this over to someone "
        "active.",
        Gap.UNCONFIRMED: "The owner has not confirmed ownership recently.",
    }

    def __getitem__(self, gap: str) -> str:
        if gap == Gap.ROLE_CONFLICT:
            rule = extensions.role_conflict_rule()
            if rule is None:
                raise KeyError(gap)
            return rule.explanation
        return self.FIXED[gap]

    def __iter__(self) -> Iterator[str]:
        return iter(offered_gaps())

    def __len__(self) -> int:
        return len(offered_gaps())


GAP_HELP = GapHelp()


def offered_gaps() -> list[Gap]:
    """The gaps an asset can have: the role conflict only when an app gave it a rule."""
    if extensions.role_conflict_rule() is None:
        return [Gap.OWNERLESS, Gap.UNCONFIRMED]
    return list(Gap)


def confirm_cutoff() -> datetime:
    return timezone.now() - timedelta(days=settings.OWNERSHIP_CONFIRM_DAYS)


def gap_conditions() -> dict[Gap, Q]:
    """Each gap as a condition on an Asset row, for filters, counts and annotations. Without a
    registered role-conflict rule (extensions) no row has that gap."""
    rule = extensions.role_conflict_rule()
    return {
        # An IN over the (few) deactivated accounts: counting needs no join with the people.
        Gap.OWNERLESS: Q(owner__in=get_user_model().objects.filter(is_active=False).values("pk")),
        Gap.UNCONFIRMED: Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=confirm_cutoff()),
        # The rule's condition in a subquery of its own, where PostgreSQL joins the (few)
        # matching rows once; the outer query looks the asset up in its result (a hashed
        # subplan) instead of running the rule's subquery for every asset.
        Gap.ROLE_CONFLICT: Q(pk__in=Asset.objects.filter(rule.condition()).values("pk"))
        if rule
        else Q(Value(False, output_field=models.BooleanField())),
    }


def gap_condition(gap: str, conditions: dict[Gap, Q] | None = None) -> Q | None:
    """The condition of one gap, or of any gap ("any"); None for no gap filter. `conditions`:
    gap_conditions() when the caller has them already (building them is not free)."""
    conditions = conditions or gap_conditions()
    if gap == "any":
        return reduce(operator.or_, conditions.values())
    return conditions.get(gap)


class AssetQuerySet(models.QuerySet):
    def with_gaps(self) -> AssetQuerySet:
        """Annotate the gaps as booleans (gap_ownerless, gap_unconfirmed, gap_role_conflict),
        computed in SQL; Asset.gaps reads them."""
        return self.annotate(
            **{
                f"gap_{gap.value}": ExpressionWrapper(condition, output_field=models.BooleanField())
                for gap, condition in gap_conditions().items()
            }
        )

    def with_gap(self, gap: str) -> AssetQuerySet:
        """The assets with `gap` ("any" for one of them); annotated as with_gaps."""
        condition = gap_condition(gap)
        qs = self.with_gaps()
        return qs if condition is None else qs.filter(condition)

    def for_list(self) -> AssetQuerySet:
        """The rows of lists (the registry, the dashboard, the agenda): what a row shows of the
        asset, its owner and deputy, and its gaps. Narrow on purpose: the registry sorts them."""
        return self.with_people(*LIST_FIELDS).with_role_conflict()

    def for_page(self) -> AssetQuerySet:
        """One asset as its page shows it: every field, the owner and deputy, and its gaps."""
        fields = [f.name for f in self.model._meta.concrete_fields]
        return self.with_people(*fields).with_role_conflict()

    def with_role_conflict(self) -> AssetQuerySet:
        """The role conflict as gap_role_conflict; Asset.gaps reads the other two gaps from the
        row and its owner (for rows already read, cheaper than building with_gaps' conditions:
        that was a third of the asset page's time)."""
        return self.annotate(gap_role_conflict=extensions.role_conflict_expression())

    def with_people(self, *fields: str) -> AssetQuerySet:
        """`fields` of the asset, with what is shown of its owner and deputy."""
        people = (f"{who}__{name}" for who in ("owner", "deputy") for name in PERSON_FIELDS)
        return self.select_related("owner", "deputy").only(*fields, *people)

    def owned_by(self, user) -> AssetQuerySet:
        return self.filter(owner=user)


# What pages and exports show of a person (owner, deputy): the name and whether the account is
# active (a deactivated owner makes the asset ownerless).
PERSON_FIELDS = ("username", "first_name", "last_name", "email", "is_active")
# What a list row shows of an asset (and its cache key: fragments.py); not the description.
LIST_FIELDS = (
    "kind",
    "name",
    "slug",
    "team",
    "owner",
    "deputy",
    "confirmed_at",
    "version",
    "updated_at",
)


class Asset(Versioned):
    """An owned thing; `version`, `updated_by` and `updated_at` come from Versioned (edits are
    compare-and-set on the version: roleplan/versioning.py)."""

    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_assets"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deputy_assets",
    )
    team = models.CharField(max_length=120, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = AssetQuerySet.as_manager()

    # What the edit form changes (services.asset_update); the owner changes only by a handover.
    EDITABLE: ClassVar[frozenset[str]] = frozenset({"name", "deputy", "team", "description"})

    class Meta:
        ordering = [Lower("name")]
        # The planner permission ("ownership.plan"): who may register products and start
        # projects. Declared here, on the registry every planned thing joins, so that products
        # and projects check one permission; granted per user or group in the admin.
        permissions = [("plan", "Can create products and projects")]
        constraints = [
            *Versioned.Meta.constraints,
            models.UniqueConstraint(Lower("name"), "kind", name="asset_name_unique_per_kind"),
            models.CheckConstraint(
                condition=~Q(deputy=F("owner")), name="asset_deputy_is_not_owner"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="asset_name_not_blank"),
            models.CheckConstraint(condition=Q(kind__in=AssetKind.values), name="asset_kind_valid"),
        ]
        indexes = [
            models.Index(fields=["owner"], name="asset_owner_idx"),
            models.Index(fields=["kind", "confirmed_at"], name="asset_kind_confirmed_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("ownership:asset", args=[self.slug])

    @property
    def gaps(self) -> list[Gap]:
        """The gaps of an annotated row (with_gaps), or computed for a single loaded row."""
        if hasattr(self, "gap_ownerless"):
            flags = (self.gap_ownerless, self.gap_unconfirmed, self.gap_role_conflict)
        else:
            role_conflict = getattr(self, "gap_role_conflict", None)  # for_page's annotation
            if role_conflict is None:
                role_conflict = (
                    extensions.role_conflict_rule() is not None
                    and Asset.objects.filter(pk=self.pk).with_gap(Gap.ROLE_CONFLICT).exists()
                )
            flags = (
                not self.owner.is_active,
                self.confirmed_at is None or self.confirmed_at < confirm_cutoff(),
                role_conflict,
            )
        return [gap for gap, flag in zip(Gap, flags, strict=True) if flag]

    @property
    def link(self) -> tuple[str, str] | None:
        """(label, url) of this asset's page in another app (extensions.register_asset_link)."""
        return extensions.asset_link(self)

    def can_edit(self, user) -> bool:
        return (
            user.is_authenticated and user.is_active and (user.is_staff or user.pk == self.owner_id)
        )


class Handover(models.Model):
    """One change of owner, append-only. The first row of an asset records its registration."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="handovers")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="handover_reason_not_blank"),
            models.CheckConstraint(
                condition=~Q(from_owner=F("to_owner")), name="handover_changes_owner"
            ),
        ]
        indexes = [models.Index(fields=["asset", "-at", "-id"], name="handover_asset_at_idx")]

    def __str__(self) -> str:
        return f"{self.asset} → {self.to_owner} ({self.at:%Y-%m-%d})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Handover rows are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Handover rows are append-only; they cannot be deleted.")
