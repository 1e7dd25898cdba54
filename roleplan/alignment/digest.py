"""The weekly digest: what waits on one person, across every product and project.

Four kinds of things, each tied to the person by a fact about an object, never by a flag:
- action items they own whose due date has passed (open);
- ownership gaps (ownerless, unconfirmed, role conflict) of assets they own;
- risks past their review date that they own, on projects and on products (not closed);
- change requests waiting on them: as the product's owner, an open request that has options
  awaits their decision; as the project's manager, an open request without options awaits theirs.
It also lists their syncs of the coming week, at each series' local time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from products.models import ProductRisk
from products.models import RiskStatus as ProductRiskStatus
from projects.models import ChangeRequest, ProjectRisk, RiskStatus
from roleplan.alignment.models import ActionItem, Delivery, SyncSeries
from roleplan.alignment.reminders import email_headers, local_when
from roleplan.ownership.models import Asset


def _open_project_risks_past_review(today: date) -> QuerySet[ProjectRisk]:
    return ProjectRisk.objects.exclude(status=RiskStatus.CLOSED).filter(review_date__lt=today)


def _open_product_risks_past_review(today: date) -> QuerySet[ProductRisk]:
    return ProductRisk.objects.exclude(status=ProductRiskStatus.CLOSED).filter(
        review_date__lt=today, owner__isnull=False
    )


def _requests_with_options() -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.open().annotate(n_options=Count("options"))


def recipient_ids(today: date) -> set[int]:
    """Active people with an email address and at least one thing in their digest today."""
    ids: set[int] = set()
    ids.update(ActionItem.objects.overdue(today).values_list("owner_id", flat=True))
    ids.update(Asset.objects.with_gap("any").values_list("owner_id", flat=True))
    ids.update(_open_project_risks_past_review(today).values_list("owner_id", flat=True))
    ids.update(_open_product_risks_past_review(today).values_list("owner_id", flat=True))
    requests = _requests_with_options().filter(project__product__isnull=False)
    ids.update(
        requests.filter(n_options__gt=0).values_list("project__product__asset__owner_id", flat=True)
    )
    ids.update(
        _requests_with_options().filter(n_options=0).values_list("project__manager_id", flat=True)
    )
    return set(
        User.objects.filter(pk__in=ids, is_active=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )


@dataclass
class UpcomingSync:
    series: SyncSeries
    starts_at: datetime
    when: dict[str, str]


@dataclass
class Digest:
    user: User
    today: date
    overdue_actions: list[ActionItem] = field(default_factory=list)
    gaps: list[tuple[Asset, list]] = field(default_factory=list)
    project_risks: list[ProjectRisk] = field(default_factory=list)
    product_risks: list[ProductRisk] = field(default_factory=list)
    decisions_waiting: list[ChangeRequest] = field(default_factory=list)
    options_waiting: list[ChangeRequest] = field(default_factory=list)
    upcoming: list[UpcomingSync] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            len(self.overdue_actions)
            + len(self.gaps)
            + len(self.project_risks)
            + len(self.product_risks)
            + len(self.decisions_waiting)
            + len(self.options_waiting)
        )

    @property
    def is_empty(self) -> bool:
        return self.count == 0


def digest_for(user: User, today: date, now: datetime | None = None) -> Digest:
    """What waits on `user` on `today`, in eight queries."""
    now = now or timezone.now()
    digest = Digest(user=user, today=today)
    digest.overdue_actions = list(
        ActionItem.objects.overdue(today)
        .filter(owner=user)
        .select_related("meeting__series__project")
        .order_by("due_date", "id")
    )
    digest.gaps = [
        (asset, asset.gaps)
        for asset in Asset.objects.owned_by(user).with_gap("any").order_by("kind", "name")
    ]
    digest.project_risks = list(
        _open_project_risks_past_review(today)
        .filter(owner=user)
        .select_related("project")
        .order_by("review_date", "id")
    )
    digest.product_risks = list(
        _open_product_risks_past_review(today)
        .filter(owner=user)
        .select_related("product__asset")
        .order_by("review_date", "id")
    )
    requests = (
        _requests_with_options().select_related("project").order_by("project__name", "number")
    )
    digest.decisions_waiting = list(
        requests.filter(n_options__gt=0, project__product__asset__owner=user)
    )
    digest.options_waiting = list(requests.filter(n_options=0, project__manager=user))
    week_end = now + timedelta(days=7)
    for series in (
        SyncSeries.objects.running()
        .involving(user)
        .select_related("project")
        .order_by("project__name")
    ):
        _, starts_at = series.next_start(now)
        if starts_at <= week_end:
            digest.upcoming.append(UpcomingSync(series, starts_at, local_when(starts_at, series)))
    digest.upcoming.sort(key=lambda sync: sync.starts_at)
    return digest


def links(digest: Digest) -> dict[str, dict[int, str]]:
    """Absolute links of every line, computed here so templates stay free of logic."""
    site = settings.SITE_URL
    return {
        "actions": {
            a.pk: site + reverse("alignment:meeting", args=[a.meeting_id])
            for a in digest.overdue_actions
        },
        "assets": {asset.pk: site + asset.get_absolute_url() for asset, _ in digest.gaps},
        "project_risks": {
            r.pk: site + reverse("projects:risks", args=[r.project.slug])
            for r in digest.project_risks
        },
        "product_risks": {r.pk: site + r.product.get_absolute_url() for r in digest.product_risks},
        "requests": {
            cr.pk: site + cr.get_absolute_url()
            for cr in digest.decisions_waiting + digest.options_waiting
        },
    }


def _with_links(items, urls: dict[int, str]) -> list[dict]:
    return [{"obj": item, "url": urls[item.pk]} for item in items]


def digest_message(delivery: Delivery, digest: Digest) -> EmailMultiAlternatives:
    person = delivery.recipient
    urls = links(digest)
    ctx = {
        "digest": digest,
        "recipient": person,
        "week": delivery.digest_week,
        "actions": _with_links(digest.overdue_actions, urls["actions"]),
        "gaps": [
            {"obj": asset, "gaps": [g.label for g in gaps], "url": urls["assets"][asset.pk]}
            for asset, gaps in digest.gaps
        ],
        "project_risks": _with_links(digest.project_risks, urls["project_risks"]),
        "product_risks": _with_links(digest.product_risks, urls["product_risks"]),
        "decisions_waiting": _with_links(digest.decisions_waiting, urls["requests"]),
        "options_waiting": _with_links(digest.options_waiting, urls["requests"]),
        "requests_count": len(digest.decisions_waiting) + len(digest.options_waiting),
        "risks_count": len(digest.project_risks) + len(digest.product_risks),
        "upcoming": digest.upcoming,
        "site_url": settings.SITE_URL,
        "sync_url": settings.SITE_URL + reverse("alignment:index"),
    }
    subject = " ".join(render_to_string("alignment/email/digest_subject.txt", ctx).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("alignment/email/digest.txt", ctx),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[formataddr((person.get_full_name(), person.email))],
        headers=email_headers(delivery),
    )
    message.attach_alternative(render_to_string("alignment/email/digest.html", ctx), "text/html")
    return message
