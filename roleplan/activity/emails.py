"""The emails of notifications: one at once per notification (for the kinds a person wants by
email) and a Monday digest of the others (for the kinds a person wants there).

Exactly once. An email at once is claimed in its notification's `emailed_at` before it is sent,
in a commit of its own, so a second run of the task, a retry or a second worker finds it taken;
a send that fails gives the claim back and raises, for the task to retry. A digest is a row,
unique per (person, week), claimed (`sending`) before it is sent and marked `sent` after; a
claim older than DELIVERY_LEASE_SECONDS is taken over (its worker died), so a worker killed in
the instant between the server's answer and the mark may repeat that one digest, with the same
Message-ID, which mail clients fold into the first. Not one transaction on purpose: the claim
must be seen by other runs while this one talks to the mail server.

The weekly sync's digest (roleplan/alignment/digest.py) offers no way to add lines to it, and
alignment cannot import this app, so this digest is an email of its own, on Monday too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from roleplan.activity.models import Delivery, Digest, DigestStatus, Notification
from roleplan.people import display_name


def _message(*, to: str, subject: str, template: str, context: dict, message_id: str):
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"activity/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Message-ID": f"<{message_id}@{settings.EMAIL_MESSAGE_DOMAIN}>"},
    )
    message.attach_alternative(
        render_to_string(f"activity/email/{template}.html", context), "text/html"
    )
    return message


def _line(notification: Notification) -> dict:
    actor = display_name(notification.actor) if notification.actor else ""
    return {
        "n": notification,
        "actor": actor,
        "url": settings.SITE_URL + notification.url,
        "sentence": " ".join(
            part
            for part in (actor, notification.get_verb_display(), notification.target_title)
            if part
        ),
    }


def notification_email_send(*, notification_id: int) -> bool:
    """Email one notification to its recipient, once however often this runs. Returns whether
    it sent."""
    claimed = Notification.objects.filter(
        pk=notification_id, delivery=Delivery.EMAIL, emailed_at__isnull=True
    ).update(emailed_at=timezone.now())
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient", "actor").get(pk=notification_id)
    recipient = notification.recipient
    if not (recipient.email and recipient.is_active):
        return False
    line = _line(notification)
    context = {
        **line,
        "recipient": recipient,
        "settings_url": settings.SITE_URL + reverse("activity:settings"),
        "inbox_url": settings.SITE_URL + reverse("activity:inbox"),
    }
    try:
        _message(
            to=recipient.email,
            subject=line["sentence"][:150],
            template="notification",
            context=context,
            message_id=f"roleplan-notification-{notification.pk}",
        ).send()
    except Exception:
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def digests_plan(*, now: datetime) -> list[int]:
    """This week's digest rows for everyone with unread notifications waiting for one, and
    those notifications attached to them (each to one digest only). Returns the ids of the
    digests still to send: planning twice plans nothing twice."""
    week = monday_of(now.astimezone(UTC).date())
    waiting = Notification.objects.unread().filter(
        delivery=Delivery.DIGEST, digest__isnull=True, created_at__lt=now
    )
    recipients = set(waiting.values_list("recipient_id", flat=True))
    Digest.objects.bulk_create(
        [Digest(recipient_id=pk, week=week) for pk in recipients], ignore_conflicts=True
    )
    # A digest takes notifications only while it has not been claimed: a late one waits for
    # next week's, never joins an email already sent.
    pending = Digest.objects.filter(
        recipient=OuterRef("recipient_id"), week=week, status=DigestStatus.PENDING
    )
    waiting.filter(recipient_id__in=recipients).update(digest=Subquery(pending.values("pk")[:1]))
    return list(
        Digest.objects.filter(week=week, status=DigestStatus.PENDING).values_list("pk", flat=True)
    )


def digest_send(*, digest_id: int) -> bool:
    """Send one digest, once however often this runs. Returns whether it sent."""
    now = timezone.now()
    lease = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    claimed = Digest.objects.filter(
        Q(status=DigestStatus.PENDING) | Q(status=DigestStatus.SENDING, claimed_at__lt=lease),
        pk=digest_id,
    ).update(status=DigestStatus.SENDING, claimed_at=now)
    if not claimed:
        return False
    digest = Digest.objects.select_related("recipient").get(pk=digest_id)
    recipient = digest.recipient
    lines = [
        _line(n)
        for n in digest.notifications.unread().select_related("actor").order_by("created_at", "id")
    ]
    if not (lines and recipient.email and recipient.is_active):
        Digest.objects.filter(pk=digest_id).update(status=DigestStatus.EMPTY)
        return False
    context = {
        "recipient": recipient,
        "lines": lines,
        "week": digest.week,
        "settings_url": settings.SITE_URL + reverse("activity:settings"),
        "inbox_url": settings.SITE_URL + reverse("activity:inbox"),
    }
    try:
        _message(
            to=recipient.email,
            subject=f"roleplan: {len(lines)} notification{'s' if len(lines) != 1 else ''} "
            f"of the week of {digest.week:%d %b}",
            template="digest",
            context=context,
            message_id=f"roleplan-activity-digest-{digest.pk}",
        ).send()
    except Exception:
        Digest.objects.filter(pk=digest_id).update(status=DigestStatus.PENDING, claimed_at=None)
        raise
    Digest.objects.filter(pk=digest_id).update(status=DigestStatus.SENT, sent_at=timezone.now())
    return True
