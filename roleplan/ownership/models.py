"""The ownership registry: every product, process and system has exactly one owner.

The owner is a single required column, so two owners cannot exist; the deputy is never the owner
(a check constraint); names are unique per kind ignoring case (a unique index on lower(name)).
Handover rows are append-only: database triggers refuse UPDATE and DELETE (migration 0002).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, ExpressionWrapper, F, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone


class AssetKind(models.TextChoices):
    PRODUCT = "product", "Product"
    PROCESS = "process", "Process"
    SYSTEM = "system", "System"


class Gap(models.TextChoices):
    OWNERLESS = "ownerless", "Ownerless"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    ROLE_CONFLICT = "role_conflict", "Role conflict"


GAP_HELP = {
    Gap.OWNERLESS: "The owner's account is deactivated: staff hand this over to someone active.",
    Gap.UNCONFIRMED: "The owner has not confirmed ownership recently.",
    Gap.ROLE_CONFLICT: "The product's owner also manages one of its projects (allowed, but "
    "the product and project voices are then one person).",
}


def confirm_cutoff():
    return timezone.now() - timedelta(days=settings.OWNERSHIP_CONFIRM_DAYS)


def role_conflict_expression():
    """True when the asset is a product whose owner manages one of its projects.

    Expressed through reverse relations (asset -> product -> projects) so that ownership
    imports no other app of ours; the projects app supplies Project.manager."""
    return Exists(
        Asset.objects.filter(pk=OuterRef("pk"), product__projects__manager=OuterRef("owner"))
    )


class AssetQuerySet(models.QuerySet):
    def with_gaps(self) -> AssetQuerySet:
        """Annotate the three gaps as booleans, computed in SQL so lists filter and sort on them."""
        cutoff = confirm_cutoff()
        return self.annotate(
            gap_ownerless=ExpressionWrapper(
                Q(owner__is_active=False), output_field=models.BooleanField()
            ),
            gap_unconfirmed=ExpressionWrapper(
                Q(confirmed_at__isnull=True) | Q(confirmed_at__lt=cutoff),
                output_field=models.BooleanField(),
            ),
            gap_role_conflict=ExpressionWrapper(
                Q(kind=AssetKind.PRODUCT) & Q(role_conflict_expression()),
                output_field=models.BooleanField(),
            ),
        )

    def with_gap(self, gap: str) -> AssetQuerySet:
        qs = self.with_gaps()
        if gap == Gap.OWNERLESS:
            return qs.filter(gap_ownerless=True)
        if gap == Gap.UNCONFIRMED:
            return qs.filter(gap_unconfirmed=True)
        if gap == Gap.ROLE_CONFLICT:
            return qs.filter(gap_role_conflict=True)
        if gap == "any":
            return qs.filter(
                Q(gap_ownerless=True) | Q(gap_unconfirmed=True) | Q(gap_role_conflict=True)
            )
        return qs

    def for_list(self) -> AssetQuerySet:
        return self.select_related("owner", "deputy").with_gaps()

    def for_page(self) -> AssetQuerySet:
        """One asset with what its page shows: the role conflict needs SQL, the other two gaps
        come from the row (Asset.gaps), which is cheaper to build than with_gaps for one row."""
        return self.select_related("owner", "deputy").annotate(
            gap_role_conflict=ExpressionWrapper(
                Q(kind=AssetKind.PRODUCT) & Q(role_conflict_expression()),
                output_field=models.BooleanField(),
            )
        )

    def owned_by(self, user) -> AssetQuerySet:
        return self.filter(owner=user)


class Asset(models.Model):
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
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [
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
            role_conflict = getattr(self, "gap_role_conflict", None)  # see for_page
            if role_conflict is None:
                role_conflict = (
                    self.kind == AssetKind.PRODUCT
                    and Asset.objects.filter(pk=self.pk).with_gap(Gap.ROLE_CONFLICT).exists()
                )
            flags = (
                not self.owner.is_active,
                self.confirmed_at is None or self.confirmed_at < confirm_cutoff(),
                role_conflict,
            )
        return [gap for gap, flag in zip(Gap, flags, strict=True) if flag]

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
