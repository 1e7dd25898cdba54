"""Writes of the activity app: comments, follows, read marks and notification choices.

Keyword-only and atomic, as every app's services. Access is the caller's: views pass an object
they found through targets.find (visible to the person), and each write checks only what is its
own (editing one's own comment, replying within the same thread).
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from roleplan.activity import mentions, notifications
from roleplan.activity.models import (
    Comment,
    Delivery,
    Follow,
    Kind,
    Mention,
    Notification,
    NotificationPreference,
    Verb,
)
from roleplan.activity.targets import Target
from roleplan.versioning import lock_for_edit, save_edit

MAX_BODY = 10_000


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"Keep a comment under {MAX_BODY:,} characters."})
    return body


def _readers(target: Target, obj: models.Model, comment: Comment) -> set[int]:
    """Who hears of a comment: whoever answers for the object, its followers and the followers
    of what contains it, and the author of the comment it replies to."""
    people = set(target.owners(obj))
    people |= notifications.followers_of([obj, *target.containers(obj)])
    if comment.parent_id:
        people.add(comment.parent.author_id)
    return {pk for pk in people if pk is not None}


def _announce(comment: Comment, target: Target, obj: models.Model, mentioned: list[User]) -> None:
    """Tell the comment's readers; the people it mentions hear a mention, the author of the
    comment it answers a reply, everyone else a comment."""
    kinds: dict[int, tuple[Kind, Verb]] = {}
    if comment.parent_id:
        kinds[comment.parent.author_id] = (Kind.COMMENT, Verb.REPLIED)
    kinds |= {person.pk: (Kind.MENTION, Verb.MENTIONED) for person in mentioned}
    notifications.notify(
        kind=Kind.COMMENT,
        verb=Verb.COMMENTED,
        event_key=f"comment:{comment.pk}",
        target=target,
        obj=obj,
        actor_id=comment.author_id,
        recipients=_readers(target, obj, comment) | set(kinds),
        excerpt_text=comment.body,
        url=f"{target.url(obj)}#comment-{comment.pk}",
        kinds=kinds,
    )


@transaction.atomic
def comment_add(
    *, target: Target, obj: models.Model, by: User, body: str, parent_id: int | None = None
) -> Comment:
    """A comment, or a reply (to a reply: to its thread's first comment), on `obj`; its
    mentions and notifications. ValidationError when the text is empty or mentions someone
    who does not exist or cannot see `obj`."""
    body = _clean_body(body)
    mentioned = mentions.mentioned_people(target, obj, body)
    content_type = ContentType.objects.get_for_model(obj)
    parent = None
    if parent_id is not None:
        parent = (
            Comment.objects.select_related("parent")
            .filter(pk=parent_id, content_type=content_type, object_id=obj.pk)
            .first()
        )
        if parent is None:
            raise ValidationError({"body": "The comment you answer is no longer there."})
        parent = parent.parent or parent
    comment = Comment.objects.create(
        content_type=content_type,
        object_id=obj.pk,
        parent=parent,
        author=by,
        body=body,
        updated_by=by,
    )
    Mention.objects.bulk_create([Mention(comment=comment, user=person) for person in mentioned])
    _announce(comment, target, obj, mentioned)
    return comment


def _own_comment(comment_id: int, by: User) -> models.QuerySet:
    return Comment.objects.filter(pk=comment_id, author=by, deleted_at__isnull=True)


@transaction.atomic
def comment_edit(
    *, target: Target, obj: models.Model, comment_id: int, version: int, by: User, body: str
) -> Comment:
    """Change one's own comment (StaleEdit when it was saved since `version`). People newly
    mentioned are told; those told before are not told again."""
    body = _clean_body(body)
    mentioned = mentions.mentioned_people(target, obj, body)
    if not _own_comment(comment_id, by).exists():
        raise PermissionDenied("Only its author can change a comment.")
    comment = lock_for_edit(Comment, comment_id, version, {"body": body})
    save_edit(comment, {"body": body, "edited_at": timezone.now()}, by=by)
    already = set(comment.mentions.values_list("user_id", flat=True))
    new = [person for person in mentioned if person.pk not in already]
    Mention.objects.bulk_create([Mention(comment=comment, user=person) for person in new])
    if new:
        notifications.notify(
            kind=Kind.MENTION,
            verb=Verb.MENTIONED,
            event_key=f"comment:{comment.pk}",
            target=target,
            obj=obj,
            actor_id=by.pk,
            recipients=[person.pk for person in new],
            excerpt_text=body,
            url=f"{target.url(obj)}#comment-{comment.pk}",
        )
    return comment


@transaction.atomic
def comment_delete(*, comment_id: int, by: User) -> Comment:
    """Delete one's own comment (staff: anyone's): its place stays, marked deleted, with its
    replies; its text goes, from the notifications that quoted it too."""
    comments = Comment.objects.filter(pk=comment_id, deleted_at__isnull=True)
    if not by.is_staff:
        comments = comments.filter(author=by)
    comment = comments.select_for_update().first()
    if comment is None:
        raise PermissionDenied("Only its author can delete a comment.")
    save_edit(comment, {"body": "", "deleted_at": timezone.now()}, by=by)
    comment.mentions.all().delete()
    Notification.objects.filter(event_key=f"comment:{comment.pk}").update(excerpt="")
    return comment


@transaction.atomic
def follow_set(*, obj: models.Model, by: User, following: bool) -> bool:
    """Follow or stop following `obj` (which the caller found visible to `by`)."""
    content_type = ContentType.objects.get_for_model(obj)
    if following:
        Follow.objects.get_or_create(user=by, content_type=content_type, object_id=obj.pk)
    else:
        Follow.objects.filter(user=by, content_type=content_type, object_id=obj.pk).delete()
    return following


@transaction.atomic
def notifications_mark_read(*, by: User, notification_id: int | None = None) -> int:
    """Mark one of one's notifications read, or all of them (no id). Returns how many."""
    unread = Notification.objects.unread().filter(recipient=by)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    count = unread.update(read_at=timezone.now())
    if count:
        notifications.changed([by.pk])
    return count


@transaction.atomic
def preferences_save(*, by: User, choices: dict[str, str]) -> None:
    """Each kind's delivery for `by` (kinds not named keep theirs)."""
    for kind, delivery in choices.items():
        Kind(kind), Delivery(delivery)  # noqa: B018 - refuse an unknown value before writing
        NotificationPreference.objects.update_or_create(
            user=by, kind=kind, defaults={"delivery": delivery}
        )
