"""Webhooks: plan, claim, send, mark, as the reminder emails are (roleplan/alignment/delivery.py).

- **Plan.** An event announced by an app's service (roleplan/events.py) reaches `plan` after
  its transaction commits. It gets one id, the object as the API returns it is rendered once,
  and one WebhookDelivery row is inserted per subscription that wants it (its product, its
  project, or the whole installation; the subscription's owner must be allowed to see the
  object: a sync is private to its two people). The rows are unique per (subscription, event
  id), so planning the same event again inserts nothing. A task per row is queued once the
  rows are committed.
- **Claim.** One UPDATE takes a row that is pending, failed and due, or 'sending' with a lease
  older than WEBHOOK_LEASE_SECONDS (its sender died), marking it 'sending' with this sender's
  token: two senders never hold the same row.
- **Send.** The body is POSTed, signed as the Standard Webhooks specification says
  (`webhook-id`: the event id, the same on every attempt; `webhook-timestamp`;
  `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the secret's
  bytes). Slack and Teams targets get a message in their incoming-webhook format instead. The
  target is checked again first (roleplan/integrations/targets.py).
- **Mark.** A 2xx marks the row delivered (guarded by the claim token); anything else marks it
  failed, due again after a doubling wait, abandoned after WEBHOOK_MAX_ATTEMPTS. A subscription
  that failed WEBHOOK_DISABLE_AFTER attempts in a row is turned off, once, and its owner is
  emailed.

What exactly once means here: an event id has one row per subscription, and a row delivered is
never sent again. A worker killed after the receiver answered but before the mark leaves the
row 'sending'; it is sent again when its lease runs out, with the same `webhook-id`, which the
specification asks receivers to use to drop repeats (at-least-once delivery, one event id).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from roleplan.events import Event, subscribe
from roleplan.integrations import targets
from roleplan.integrations.models import (
    EVENT_LABELS,
    TEST_EVENT,
    WEBHOOK_EVENTS,
    DeliveryStatus,
    TargetKind,
    WebhookDelivery,
    WebhookSubscription,
)

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=6)


# The object of each event ---------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What an event is about: the object as the API returns it, where it belongs, who may
    see it, and a sentence and link for chat messages."""

    data: dict[str, Any]
    product_id: int | None
    project_id: int | None
    summary: str
    url: str
    visible_to: Callable[[User], bool] = lambda user: True


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def roadmap_item(item_id: int, event: Event) -> Subject | None:
    from products.api import ItemOut
    from products.models import RoadmapItem

    item = RoadmapItem.objects.select_related("product__asset").filter(pk=item_id).first()
    if item is None:
        return None
    verb = {
        Event.ROADMAP_ITEM_CREATED: "added to",
        Event.ROADMAP_ITEM_UPDATED: "updated on",
        Event.ROADMAP_ITEM_MOVED: f"moved to {item.get_horizon_display()} on",
    }[event]
    return Subject(
        data=ItemOut.from_orm(item).model_dump(mode="json"),
        product_id=item.product_id,
        project_id=None,
        summary=f"“{item.title}” {verb} the roadmap of {item.product.asset.name}.",
        url=absolute(item.get_absolute_url()),
    )


def change_request(change_request_id: int, event: Event) -> Subject | None:
    from projects.api import ChangeRequestOut, requests_of
    from projects.models import ChangeRequest

    change = ChangeRequest.objects.select_related("project").filter(pk=change_request_id).first()
    if change is None:
        return None
    change = requests_of(change.project).get(pk=change.pk)
    if event == Event.CHANGE_REQUEST_RAISED:
        said = f"{change.code} “{change.title}” raised on {change.project.name}."
    else:
        said = f"{change.code} “{change.title}” {change.get_status_display().lower()} on {change.project.name}."
    return Subject(
        data=ChangeRequestOut.from_orm(change).model_dump(mode="json"),
        product_id=change.project.product_id,
        project_id=change.project_id,
        summary=said,
        url=absolute(change.get_absolute_url()),
    )


def baseline(project_id: int, baseline_id: int, event: Event) -> Subject | None:
    from projects.api import BaselineOut, baselines_of
    from projects.models import Project

    project = Project.objects.filter(pk=project_id).first()
    row = baselines_of(project).filter(pk=baseline_id).first() if project else None
    if row is None:
        return None
    return Subject(
        data=BaselineOut.from_orm(row).model_dump(mode="json"),
        product_id=project.product_id,
        project_id=project.pk,
        summary=f"Baseline {row.number} of {project.name}: deadline {row.deadline:%d %b %Y}, "
        f"budget {row.budget:,.2f} {row.currency}.",
        url=absolute(project.get_absolute_url()),
    )


def project_health(project_id: int, event: Event) -> Subject | None:
    from projects.api import ProjectOut
    from projects.models import Project

    project = Project.objects.select_related("product__asset").filter(pk=project_id).first()
    if project is None:
        return None
    return Subject(
        data=ProjectOut.from_orm(project).model_dump(mode="json"),
        product_id=project.product_id,
        project_id=project.pk,
        summary=f"The health of {project.name} changed.",
        url=absolute(project.get_absolute_url()),
    )


def handover(asset_id: int, handover_id: int, event: Event) -> Subject | None:
    from roleplan.ownership.api import AssetOut
    from roleplan.ownership.models import Asset, Handover
    from roleplan.people import display_name

    asset = Asset.objects.for_page().filter(pk=asset_id).first()
    done = Handover.objects.select_related("to_owner").filter(pk=handover_id).first()
    if asset is None or done is None:
        return None
    product_id = (
        getattr(getattr(asset, "product", None), "pk", None) if asset.kind == "product" else None
    )
    return Subject(
        data={**AssetOut.from_orm(asset).model_dump(mode="json"), "handover_id": done.pk},
        product_id=product_id,
        project_id=None,
        summary=f"{asset.name} is now owned by {display_name(done.to_owner)}.",
        url=absolute(asset.get_absolute_url()),
    )


def sync_visibility(series) -> Callable[[User], bool]:
    from roleplan.alignment.access import is_participant

    return lambda user: is_participant(user, series)


def first_shared_project(series):
    """The first active project a sync's pair shares (by product, then name), or None."""
    from roleplan.alignment.models import projects_of

    return next(iter(projects_of([series])[series.pk]), None)


def sync_prepared(meeting_id: int, event: Event) -> Subject | None:
    from roleplan.alignment.api import MeetingOut
    from roleplan.alignment.models import SyncMeeting

    meeting = SyncMeeting.objects.with_people().filter(pk=meeting_id).first()
    if meeting is None:
        return None
    project = first_shared_project(meeting.series)  # a pair's sync covers all they share
    return Subject(
        data=MeetingOut.from_orm(meeting).model_dump(mode="json"),
        product_id=project.product_id if project else None,
        project_id=project.pk if project else None,
        summary=f"The {meeting.series} on {meeting.starts_at:%d %b %Y} is prepared.",
        url=absolute(meeting.get_absolute_url()),
        visible_to=sync_visibility(meeting.series),
    )


def decision_recorded(decision_id: int, event: Event) -> Subject | None:
    from roleplan.alignment.api import SyncDecisionOut
    from roleplan.alignment.models import Decision

    decision = (
        Decision.objects.select_related("change_request")
        .select_related("meeting__series__product_manager", "meeting__series__project_manager")
        .filter(pk=decision_id)
        .first()
    )
    if decision is None:
        return None
    cr = decision.change_request
    project = cr.project if cr else first_shared_project(decision.meeting.series)
    return Subject(
        data=SyncDecisionOut.from_orm(decision).model_dump(mode="json"),
        product_id=project.product_id if project else None,
        project_id=project.pk if project else None,
        summary=f"Decision recorded in the {decision.meeting.series}: {decision.text[:200]}",
        url=absolute(decision.meeting.get_absolute_url()),
        visible_to=sync_visibility(decision.meeting.series),
    )


SUBJECTS: dict[Event, Callable[..., Subject | None]] = {
    Event.ROADMAP_ITEM_CREATED: roadmap_item,
    Event.ROADMAP_ITEM_UPDATED: roadmap_item,
    Event.ROADMAP_ITEM_MOVED: roadmap_item,
    Event.CHANGE_REQUEST_RAISED: change_request,
    Event.CHANGE_REQUEST_DECIDED: change_request,
    Event.BASELINE_CREATED: baseline,
    Event.PROJECT_HEALTH_CHANGED: project_health,
    Event.HANDOVER_DONE: handover,
    Event.SYNC_PREPARED: sync_prepared,
    Event.DECISION_RECORDED: decision_recorded,
}


# Bodies ---------------------------------------------------------------------------------------


def new_event_id() -> str:
    return f"evt_{uuid.uuid4().hex}"


def standard_body(event_id: str, event_type: str, at: datetime, data: dict) -> str:
    return json.dumps(
        {"id": event_id, "type": event_type, "timestamp": at.isoformat(), "data": data},
        separators=(",", ":"),
    )


def slack_body(title: str, summary: str, url: str) -> str:
    """Slack's incoming-webhook message: a plain `text` (notifications) and blocks."""
    return json.dumps(
        {
            "text": f"{title}: {summary}",
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": f"*{title}*\n{summary}"}},
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Open in roleplan"},
                            "url": url,
                        }
                    ],
                },
            ],
        }
    )


def teams_body(title: str, summary: str, url: str) -> str:
    """A Microsoft Teams incoming-webhook MessageCard."""
    return json.dumps(
        {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": title,
            "themeColor": "2F5D8A",
            "title": title,
            "text": summary,
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": "Open in roleplan",
                    "targets": [{"os": "default", "uri": url}],
                }
            ],
        }
    )


def body_for(
    kind: str, event_id: str, event_type: str, at: datetime, data: dict, summary: str, url: str
) -> str:
    title = EVENT_LABELS.get(event_type, "roleplan test event")
    if kind == TargetKind.SLACK:
        return slack_body(title, summary, url)
    if kind == TargetKind.TEAMS:
        return teams_body(title, summary, url)
    return standard_body(event_id, event_type, at, data)


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature: v1, then the base64 HMAC-SHA256, keyed with the
    secret's bytes (base64 after `whsec_`), of "id.timestamp.body"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


# Planning -------------------------------------------------------------------------------------


def wanted_by(
    event: str, product_id: int | None, project_id: int | None
) -> list[WebhookSubscription]:
    scope = Q(product__isnull=True, project__isnull=True)
    if product_id is not None:
        scope |= Q(product_id=product_id)
    if project_id is not None:
        scope |= Q(project_id=project_id)
    candidates = WebhookSubscription.objects.filter(scope, is_active=True).select_related("owner")
    # The events are a JSON list: chosen here, the same on SQLite and PostgreSQL.
    return [sub for sub in candidates if event in sub.events and sub.owner.is_active]


def plan(event: Event, **ids: Any) -> list[int]:
    """One delivery per subscription that wants this event (see the module docstring); their
    tasks are queued once the rows are committed. Returns the rows' ids."""
    subject = SUBJECTS[Event(event)](**ids, event=Event(event))
    if subject is None:  # deleted before the event was handled
        return []
    subscriptions = [
        sub
        for sub in wanted_by(event, subject.product_id, subject.project_id)
        if sub.owner.is_staff or subject.visible_to(sub.owner)
    ]
    if not subscriptions:
        return []
    event_id, now = new_event_id(), timezone.now()
    rows = [
        WebhookDelivery(
            subscription=sub,
            event_id=event_id,
            event_type=str(event),
            body=body_for(
                sub.kind, event_id, str(event), now, subject.data, subject.summary, subject.url
            ),
            next_attempt_at=now,
            created_at=now,
        )
        for sub in subscriptions
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids_ = list(WebhookDelivery.objects.filter(event_id=event_id).values_list("pk", flat=True))
    enqueue(ids_)
    return ids_


def enqueue(delivery_ids: list[int]) -> None:
    from roleplan.integrations.tasks import send_webhook

    for pk in delivery_ids:
        send_webhook.delay_on_commit(pk)


def handler(event: Event) -> Callable[..., None]:
    def react(**ids: Any) -> None:
        plan(event, **ids)

    react.__qualname__ = f"webhooks.plan[{event}]"
    return react


HANDLERS = {event: handler(event) for event in WEBHOOK_EVENTS}


def subscribe_all() -> None:
    for event, react in HANDLERS.items():
        subscribe(event, react)


def plan_test(subscription: WebhookSubscription) -> WebhookDelivery:
    """A test event for one subscription, sent as any other."""
    event_id, now = new_event_id(), timezone.now()
    data = {"subscription": subscription.pk, "message": "A test event from roleplan."}
    summary = f"Test event for {subscription.scope_label}: the webhook works."
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id=event_id,
        event_type=TEST_EVENT,
        body=body_for(
            subscription.kind, event_id, TEST_EVENT, now, data, summary, settings.SITE_URL
        ),
        next_attempt_at=now,
        created_at=now,
    )
    enqueue([delivery.pk])
    return delivery


# Claiming and sending -------------------------------------------------------------------------


def sender_token() -> str:
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    seconds = settings.WEBHOOK_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def claimable(now: datetime) -> Q:
    return Q(attempts__lt=settings.WEBHOOK_MAX_ATTEMPTS) & (
        Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease())
    )


def claim(delivery_id: int, token: str, now: datetime) -> bool:
    """Take the row for `token` if it is claimable, in one UPDATE (autocommit)."""
    return bool(
        WebhookDelivery.objects.filter(claimable(now), pk=delivery_id).update(
            status=DeliveryStatus.SENDING,
            claimed_at=now,
            claimed_by=token,
            attempts=F("attempts") + 1,
        )
    )


def due_ids(now: datetime | None = None, limit: int = 500) -> list[int]:
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.filter(claimable(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def deliver(delivery_id: int, *, token: str | None = None) -> str | None:
    """Claim, send and mark one delivery; returns its status afterwards, or None when it was
    not claimable (delivered, held by another sender, not yet due)."""
    token = token or sender_token()
    now = timezone.now()
    if not claim(delivery_id, token, now):
        return None
    row = WebhookDelivery.objects.select_related("subscription__owner").get(pk=delivery_id)
    subscription = row.subscription
    body = row.body.encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "roleplan-webhooks/1",
        "webhook-id": row.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(subscription.secret, row.event_id, timestamp, body),
    }
    try:
        answer = targets.post(subscription.target_url, body, headers)
    except targets.TargetRefused as exc:
        return failed(row, token, None, f"refused: {exc}")
    except (OSError, ValueError, targets.http.client.HTTPException) as exc:
        return failed(row, token, None, f"{type(exc).__name__}: {exc}")
    if 200 <= answer.status < 300:
        return delivered(row, token, answer.status)
    return failed(row, token, answer.status, f"HTTP {answer.status}")


def mine(row: WebhookDelivery, token: str):
    return WebhookDelivery.objects.filter(
        pk=row.pk, claimed_by=token, status=DeliveryStatus.SENDING
    )


def delivered(row: WebhookDelivery, token: str, status_code: int) -> str:
    now = timezone.now()
    mine(row, token).update(
        status=DeliveryStatus.DELIVERED,
        delivered_at=now,
        last_attempt_at=now,
        last_status_code=status_code,
        last_error="",
    )
    WebhookSubscription.objects.filter(pk=row.subscription_id).update(consecutive_failures=0)
    return DeliveryStatus.DELIVERED


def failed(row: WebhookDelivery, token: str, status_code: int | None, error: str) -> str:
    now = timezone.now()
    attempts = row.attempts  # counted when claimed
    status = (
        DeliveryStatus.ABANDONED
        if attempts >= settings.WEBHOOK_MAX_ATTEMPTS
        else DeliveryStatus.FAILED
    )
    mine(row, token).update(
        status=status,
        last_attempt_at=now,
        last_status_code=status_code,
        last_error=error[:300],
        next_attempt_at=now + backoff(attempts),
    )
    count_failure(row.subscription_id)
    return status


def count_failure(subscription_id: int) -> None:
    """One more failed attempt in a row; at WEBHOOK_DISABLE_AFTER the subscription is turned
    off and its owner told, once (the UPDATE that turns it off is the one that emails)."""
    WebhookSubscription.objects.filter(pk=subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    with transaction.atomic():
        turned_off = WebhookSubscription.objects.filter(
            pk=subscription_id,
            is_active=True,
            consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER,
        ).update(
            is_active=False,
            disabled_at=timezone.now(),
            disabled_reason=f"{settings.WEBHOOK_DISABLE_AFTER} failed attempts in a row.",
        )
    if turned_off:
        tell_owner_disabled(
            WebhookSubscription.objects.select_related("owner").get(pk=subscription_id)
        )


def tell_owner_disabled(subscription: WebhookSubscription) -> None:
    from django.urls import reverse

    owner = subscription.owner
    if not owner.email:
        return
    context = {
        "subscription": subscription,
        "url": absolute(reverse("integrations:subscription", args=[subscription.pk])),
    }
    send_mail(
        subject="A roleplan webhook was turned off",
        message=render_to_string("integrations/email/disabled.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
        fail_silently=True,
    )


def next_attempt(delivery_id: int) -> datetime | None:
    """When the row may be tried again (None: delivered or given up)."""
    row = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values("status", "next_attempt_at", "claimed_at")
        .first()
    )
    if row is None or row["status"] in (DeliveryStatus.DELIVERED, DeliveryStatus.ABANDONED):
        return None
    if row["status"] == DeliveryStatus.SENDING and row["claimed_at"] is not None:
        return row["claimed_at"] + lease()
    return row["next_attempt_at"]
