"""Working together: comments, mentions, follows and notifications, on anything of any app.

A comment, a follow and a notification point at what they are about through the contenttypes
framework (content_type, object_id), so no app has to know this one; which types may be
commented on, who may see them and how they are named lives in roleplan/activity/targets.py.
A later history tab (issue 20, point 5) sits beside the thread on the same key: the rows of
`Comment.objects.on(obj)` and the object's history rows both carry a time and a person.

Invariants the database holds:
- a comment has a body until it is deleted; a deleted one keeps its place (and its replies)
  with the mark `deleted_at`, its text gone;
- one follow per (person, object), one mention per (comment, person);
- one notification per (event, person): `event_key` names the event ("comment:12",
  "change-decided:4"), so a handler or a task run twice inserts nothing the second time;
- one digest per (person, week); a notification is in at most one digest.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone

from roleplan.versioning import Versioned


class Kind(models.TextChoices):
    """What a notification is about; each person chooses per kind how it reaches them."""

    MENTION = "mention", "Mentions of you"
    COMMENT = "comment", "Comments on what you own or follow"
    CHANGE_REQUEST = "change_request", "Change requests raised or decided"
    APPROVAL = "approval", "Approval requests and answers"
    HANDOVER = "handover", "Handovers to you"
    ACTION_ITEM = "action_item", "Action items given to you or overdue"


class Delivery(models.TextChoices):
    EMAIL = "email", "Email at once"
    DIGEST = "digest", "In the Monday digest"
    OFF = "off", "Not at all"


# Until a person chooses: what calls for them by name comes at once; what they may read at
# leisure waits for Monday. Approval requests are emailed by the projects app already.
DEFAULT_DELIVERY = {
    Kind.MENTION: Delivery.EMAIL,
    Kind.COMMENT: Delivery.DIGEST,
    Kind.CHANGE_REQUEST: Delivery.DIGEST,
    Kind.APPROVAL: Delivery.DIGEST,
    Kind.HANDOVER: Delivery.EMAIL,
    Kind.ACTION_ITEM: Delivery.DIGEST,
}


class Verb(models.TextChoices):
    """How a notification's line reads: "<actor> <verb> <target>"."""

    MENTIONED = "mentioned", "mentioned you on"
    COMMENTED = "commented", "commented on"
    REPLIED = "replied", "replied to your comment on"
    RAISED = "raised", "raised a change request on"
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"
    WITHDRAWN = "withdrawn", "withdrew"
    APPROVAL_ASKED = "approval_asked", "asks you to approve the baseline of"
    APPROVAL_RETURNED = "approval_returned", "sent back the baseline of"
    HANDED_OVER = "handed_over", "handed you"
    ACTION_GIVEN = "action_given", "gave you an action item in"
    ACTION_OVERDUE = "action_overdue", "an action item of yours is overdue in"


class CommentQuerySet(models.QuerySet):
    def on(self, obj: models.Model) -> CommentQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
            object_id=obj.pk,
        )

    def visible(self) -> CommentQuerySet:
        return self.filter(deleted_at__isnull=True)


class Comment(Versioned):
    """A comment on any object of targets.TARGETS: Markdown, sanitised when shown
    (products/rendering.py). Replies are one level deep: a reply's parent has no parent
    (services.comment_add attaches a reply to a reply to its thread's first comment)."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments"
    )
    body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            *Versioned.Meta.constraints,
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=False) | ~Q(body=""),
                name="comment_body_unless_deleted",
            ),
            models.CheckConstraint(
                condition=Q(deleted_at__isnull=True) | Q(body=""),
                name="comment_deleted_keeps_no_text",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")), name="comment_not_its_own_parent"
            ),
        ]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "created_at"], name="comment_target_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} by {self.author_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Mention(models.Model):
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="mention_once_per_comment")
        ]

    def __str__(self) -> str:
        return f"@{self.user_id} in {self.comment_id}"


class Follow(models.Model):
    """Someone who can see an object hears of its comments and decisions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "content_type", "object_id"], name="follow_once"
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id"], name="follow_target_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.content_type_id}:{self.object_id}"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing for one person to know. What the inbox line and the email say is copied in
    when it is written (the target's title and address), so the inbox reads one table."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    verb = models.CharField(max_length=20, choices=Verb.choices)
    event_key = models.CharField(max_length=120)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target_title = models.CharField(max_length=300)
    url = models.CharField(max_length=400)
    excerpt = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # How it reaches the person beyond the inbox, chosen when it was written.
    delivery = models.CharField(max_length=8, choices=Delivery.choices)
    # The email claim: set before the email is sent, so it goes out once (services.email_send).
    emailed_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "Digest", on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient"], name="notification_once_per_event_person"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="notification_kind"),
            models.CheckConstraint(condition=Q(verb__in=Verb.values), name="notification_verb"),
            models.CheckConstraint(
                condition=Q(delivery__in=[Delivery.EMAIL, Delivery.DIGEST]),
                name="notification_delivery_email_or_digest",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox_idx"),
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} → {self.recipient_id}"


class NotificationPreference(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    delivery = models.CharField(max_length=8, choices=Delivery.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="preference_kind"),
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values), name="preference_delivery"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class DigestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    EMPTY = "empty", "Nothing left to send"


class Digest(models.Model):
    """One Monday email to one person of the notifications they chose to read there. Claimed
    (sending) before it is sent, so it goes out once; a claim older than the lease is taken
    over (a worker killed mid-send)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_digests"
    )
    week = models.DateField(help_text="The Monday (UTC) of the digest.")
    status = models.CharField(
        max_length=8, choices=DigestStatus.choices, default=DigestStatus.PENDING
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recipient", "week"], name="activity_digest_once"),
            models.CheckConstraint(
                condition=Q(status__in=DigestStatus.values), name="activity_digest_status"
            ),
            models.CheckConstraint(
                condition=Q(week__week_day=2), name="activity_digest_week_is_monday"
            ),
        ]

    def __str__(self) -> str:
        return f"digest {self.week} → {self.recipient_id} ({self.status})"


# The history of every editable row of the other apps: its historical models are made here, in
# this app, so their tables and migrations are this app's (roleplan/activity/history.py).
from roleplan.activity.history import register_all  # noqa: E402

register_all()
