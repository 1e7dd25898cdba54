"""Personal API tokens, webhook subscriptions and their deliveries.

- A token is shown once, when it is made; only its SHA-256 digest is stored (a token is 32
  random bytes, so a fast hash is enough: nothing to guess). It reads, or reads and writes, as
  its person, until it expires or is revoked.
- A subscription sends chosen events of one product, one project, or the whole installation
  (staff only) to a URL, signed with its secret per the Standard Webhooks specification.
- A delivery is one event for one subscription: unique per (subscription, event id) in the
  database, so an event reaches a subscriber as one message however often the planning runs;
  claimed before each attempt (roleplan/integrations/webhooks.py), as the reminder emails are.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.events import Event

TOKEN_PREFIX = "rp_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None) -> ApiTokenQuerySet:
        now = now or timezone.now()
        return self.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now),
            revoked_at__isnull=True,
            user__is_active=True,
        )


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What uses it: “Jira sync”, “CI”.")
    # The first characters, shown in lists so a person can tell tokens apart.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    can_write = models.BooleanField(
        "read and write", default=False, help_text="Read-only unless ticked."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_name_not_blank"),
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def has_expired(self) -> bool:
        return self.is_expired()


# The events a subscriber may choose, in the order the page lists them.
WEBHOOK_EVENTS = [
    Event.ROADMAP_ITEM_CREATED,
    Event.ROADMAP_ITEM_UPDATED,
    Event.ROADMAP_ITEM_MOVED,
    Event.CHANGE_REQUEST_RAISED,
    Event.CHANGE_REQUEST_DECIDED,
    Event.BASELINE_CREATED,
    Event.PROJECT_HEALTH_CHANGED,
    Event.HANDOVER_DONE,
    Event.SYNC_PREPARED,
    Event.DECISION_RECORDED,
]
EVENT_LABELS = {
    Event.ROADMAP_ITEM_CREATED: "Roadmap item created",
    Event.ROADMAP_ITEM_UPDATED: "Roadmap item updated",
    Event.ROADMAP_ITEM_MOVED: "Roadmap item moved",
    Event.CHANGE_REQUEST_RAISED: "Change request raised",
    Event.CHANGE_REQUEST_DECIDED: "Change request decided",
    Event.BASELINE_CREATED: "Baseline created",
    Event.PROJECT_HEALTH_CHANGED: "Project health changed",
    Event.HANDOVER_DONE: "Handover done",
    Event.SYNC_PREPARED: "Weekly sync prepared",
    Event.DECISION_RECORDED: "Sync decision recorded",
}
# The test event a person sends from the subscription's page.
TEST_EVENT = "webhook.test"


class TargetKind(models.TextChoices):
    STANDARD = "standard", "JSON, signed (Standard Webhooks)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookSubscription(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    # One product, one project, or neither: the whole installation (staff only).
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    target_url = models.URLField("target URL", max_length=500)
    kind = models.CharField(
        "format", max_length=10, choices=TargetKind.choices, default=TargetKind.STANDARD
    )
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    events = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=True) | Q(project__isnull=True),
                name="webhook_one_scope",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=TargetKind.values), name="webhook_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_url} ({self.scope_label})"

    @property
    def scope_label(self) -> str:
        if self.product_id:
            return f"product {self.product}"
        if self.project_id:
            return f"project {self.project}"
        return "the whole installation"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed, will retry"
    ABANDONED = "abandoned", "Given up"


class WebhookDelivery(models.Model):
    """One event for one subscription: its body as first rendered (retries send the same
    bytes), and what happened to it."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.CharField(max_length=40)
    event_type = models.CharField(max_length=60)
    body = models.TextField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=120, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values), name="webhook_delivery_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="webhook_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.subscription_id} ({self.status})"
