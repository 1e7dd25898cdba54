"""The weekly digest: what waits on one person, across every product and project.

Each kind of thing is tied to the person by a fact about an object, never by a flag:
- every open action item they own (the overdue ones first, marked);
- approvals waiting on them: a project's baseline they are asked to approve as its product's
  owner (projects' ApprovalRequest, pending);
- change requests waiting on them: as the product's owner, an open request that has options
  awaits their decision; as the project's manager, an open request without options awaits theirs;
- ownership gaps (ownerless, unconfirmed, role conflict) of assets they own;
- risks past their review date that they own, on projects and on products (not closed);
- every sync of theirs in the coming seven days, at each series' local time: the occurrences of
  each running series, and meetings already prepared in that window (one per series and week).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, F, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from products.models import ProductRisk
from products.models import RiskStatus as ProductRiskStatus
from projects.models import ApprovalRequest, ChangeRequest, ProjectRisk, RiskStatus
from roleplan.alignment.models import ActionItem, Delivery, SyncMeeting, SyncSeries
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
    ids.update(ActionItem.objects.open().values_list("owner_id", flat=True))
    ids.update(
        ApprovalRequest.objects.pending()
        .filter(project__product__isnull=False)
        .values_list("project__product__asset__owner_id", flat=True)
    )
    for series in SyncSeries.objects.running():
        ids.update((series.product_manager_id, series.project_manager_id))
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
    open_actions: list[ActionItem] = field(default_factory=list)
    approvals: list[ApprovalRequest] = field(default_factory=list)
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
            + len(self.open_actions)
            + len(self.approvals)
            + len(self.gaps)
            + len(self.project_risks)
            + len(self.product_risks)
            + len(self.decisions_waiting)
            + len(self.options_waiting)
        )

    @property
    def is_empty(self) -> bool:
        return self.count == 0 and not self.upcoming


def digest_for(user: User, today: date, now: datetime | None = None) -> Digest:
    """What waits on `user` on `today`, in ten queries."""
    now = now or timezone.now()
    digest = Digest(user=user, today=today)
    actions = list(
        ActionItem.objects.open()
        .filter(owner=user)
        .select_related("meeting__series__product_manager", "meeting__series__project_manager")
        .order_by(F("due_date").asc(nulls_last=True), "id")
    )
    digest.overdue_actions = [a for a in actions if a.due_date and a.due_date < today]
    digest.open_actions = [a for a in actions if not (a.due_date and a.due_date < today)]
    digest.approvals = list(
        ApprovalRequest.objects.pending()
        .filter(project__product__asset__owner=user)
        .select_related("project", "requested_by")
        .order_by("requested_at", "id")
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
    series = {
        s.pk: s for s in SyncSeries.objects.running().involving(user).with_people().order_by("pk")
    }
    found: dict[tuple[int, date], datetime] = {}
    for meeting in SyncMeeting.objects.filter(
        series_id__in=list(series), starts_at__gt=now, starts_at__lte=week_end
    ).only("series_id", "week_start", "starts_at"):
        found[meeting.series_id, meeting.week_start] = meeting.starts_at
    for one in series.values():
        week, starts_at = one.next_start(now)
        while starts_at <= week_end:
            found.setdefault((one.pk, week), starts_at)
            week, starts_at = one.next_start(starts_at)
    digest.upcoming = sorted(
        (
            UpcomingSync(series[pk], starts_at, local_when(starts_at, series[pk]))
            for (pk, _week), starts_at in found.items()
        ),
        key=lambda sync: sync.starts_at,
    )
    return digest


def links(digest: Digest) -> dict[str, dict[int, str]]:
    """Absolute links of every line, computed here so templates stay free of logic."""
    site = settings.SITE_URL
    return {
        "actions": {
            a.pk: site + reverse("alignment:meeting", args=[a.meeting_id])
            for a in digest.overdue_actions + digest.open_actions
        },
        "approvals": {
            a.pk: site + reverse("projects:detail", args=[a.project.slug]) for a in digest.approvals
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
        "open_actions": _with_links(digest.open_actions, urls["actions"]),
        "approvals": _with_links(digest.approvals, urls["approvals"]),
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
