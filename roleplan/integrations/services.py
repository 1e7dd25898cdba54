"""Writes of the integrations app: tokens and webhook subscriptions."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.integrations import targets, webhooks
from roleplan.integrations.models import (
    ApiToken,
    WebhookDelivery,
    WebhookSubscription,
    new_secret,
    new_token,
    token_digest,
)


@transaction.atomic
def token_create(
    *, user: User, name: str, can_write: bool = False, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token and its text, which is shown once and never stored (only its digest)."""
    text = new_token()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=text[:10],
        digest=token_digest(text),
        can_write=can_write,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return token, text


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


@transaction.atomic
def subscription_create(
    *,
    owner: User,
    target_url: str,
    kind: str,
    events: list[str],
    product: Product | None = None,
    project: Project | None = None,
) -> WebhookSubscription:
    """A subscription; its target is checked first (targets.TargetRefused)."""
    targets.resolve(target_url)
    return WebhookSubscription.objects.create(
        owner=owner,
        product=product,
        project=project,
        target_url=target_url,
        kind=kind,
        events=list(events),
    )


@transaction.atomic
def subscription_update(
    *, subscription: WebhookSubscription, target_url: str, kind: str, events: list[str]
) -> WebhookSubscription:
    if target_url != subscription.target_url:
        targets.resolve(target_url)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        target_url=target_url, kind=kind, events=list(events)
    )
    subscription.refresh_from_db()
    return subscription


@transaction.atomic
def subscription_set_active(*, subscription: WebhookSubscription, active: bool) -> None:
    """Turn a subscription on (its failures forgiven) or off."""
    changes = {"is_active": active}
    if active:
        changes.update(consecutive_failures=0, disabled_at=None, disabled_reason="")
    WebhookSubscription.objects.filter(pk=subscription.pk).update(**changes)


@transaction.atomic
def subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    secret = new_secret()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(secret=secret)
    return secret


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription) -> None:
    subscription.delete()


@transaction.atomic
def subscription_send_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A test event, delivered (signed, retried) as any other, once this commits."""
    return webhooks.plan_test(subscription)
