"""Writing notifications, once per (event, person), and the unread count of the top bar.

`notify` is the one way a notification is written. It keeps the people who may see the object
(a sync's notes never reach someone outside it), leaves out whoever caused the event and those
who chose "not at all" for the kind, and inserts with ON CONFLICT DO NOTHING against the
unique (event_key, recipient): a handler run twice, a task retried, two workers at once leave
one row. The emails of the new rows are queued once the transaction commits; the email task
claims each before sending (emails.py), so a queued email is sent once however often it is
queued.

The unread count is read on every page, so it is cached per person under a stamp: each change
of a person's notifications (one written, one read) replaces the stamp once it commits, and
the count is stored under the stamp it was counted for. A count computed while a change was
committing lands under the old stamp, where nobody reads it: nothing is ever stale. Without a
count under the current stamp the top bar loads it after the page (views.inbox_badge), so no
page pays a query for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q

from roleplan.activity.models import (
    DEFAULT_DELIVERY,
    Delivery,
    Follow,
    Kind,
    Notification,
    NotificationPreference,
    Verb,
)
from roleplan.activity.targets import Target

EXCERPT_LENGTH = 280
COUNT_TIMEOUT = 24 * 3600


def excerpt(text: str) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


def followers_of(objects: Iterable[models.Model]) -> set[int]:
    """The people who follow any of `objects`, in one query."""
    condition = Q()
    for obj in objects:
        if obj is None:
            continue
        ct = ContentType.objects.get_for_model(obj)
        condition |= Q(content_type=ct, object_id=obj.pk)
    if not condition:
        return set()
    return set(Follow.objects.filter(condition).values_list("user_id", flat=True))


def deliveries_of(kind: str, user_ids: Iterable[int]) -> dict[int, str]:
    """Each person's choice for `kind`: their own, or the default."""
    ids = list(user_ids)
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list(
            "user_id", "delivery"
        )
    )
    return {pk: chosen.get(pk, DEFAULT_DELIVERY[Kind(kind)]) for pk in ids}


def notify(
    *,
    kind: Kind,
    verb: Verb,
    event_key: str,
    target: Target,
    obj: models.Model,
    actor_id: int | None,
    recipients: Iterable[int | None],
    excerpt_text: str = "",
    url: str | None = None,
    kinds: dict[int, tuple[Kind, Verb]] | None = None,
) -> list[int]:
    """Tell `recipients` (ids) about `obj`, once per event and person. `kinds` gives some of
    them another kind and verb (a mention among the comment's readers). Returns who was told
    this time (nobody on a second run)."""
    from roleplan.activity import tasks  # tasks import services, which import this module

    kinds = kinds or {}
    wanted = {pk for pk in recipients if pk is not None} - {actor_id}
    if not wanted:
        return []
    allowed = set(
        User.objects.filter(target.viewers(obj), pk__in=wanted).values_list("pk", flat=True)
    )
    by_kind: dict[Kind, list[int]] = {}
    for pk in allowed:
        by_kind.setdefault(kinds.get(pk, (kind, verb))[0], []).append(pk)
    content_type = ContentType.objects.get_for_model(obj)
    title, address = target.title(obj)[:300], (url or target.url(obj))[:400]
    rows = []
    for row_kind, people in by_kind.items():
        for pk, delivery in deliveries_of(row_kind, people).items():
            if delivery == Delivery.OFF:
                continue
            rows.append(
                Notification(
                    recipient_id=pk,
                    kind=row_kind,
                    verb=kinds.get(pk, (kind, verb))[1],
                    event_key=event_key,
                    actor_id=actor_id,
                    content_type=content_type,
                    object_id=obj.pk,
                    target_title=title,
                    url=address,
                    excerpt=excerpt(excerpt_text),
                    delivery=delivery,
                )
            )
    if not rows:
        return []
    existing = set(
        Notification.objects.filter(
            event_key=event_key, recipient_id__in=[r.recipient_id for r in rows]
        ).values_list("recipient_id", flat=True)
    )
    rows = [r for r in rows if r.recipient_id not in existing]
    # ON CONFLICT DO NOTHING: a concurrent run that inserted the same (event, person) wins.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    told = [r.recipient_id for r in rows]
    emails = Notification.objects.filter(
        event_key=event_key,
        recipient_id__in=told,
        delivery=Delivery.EMAIL,
        emailed_at__isnull=True,
    ).values_list("pk", flat=True)
    for pk in emails:
        tasks.send_notification_email.delay_on_commit(pk)
    changed(told)
    return told


# The unread count ---------------------------------------------------------------------------


def _stamp_key(user_id: int) -> str:
    return f"activity:unread-stamp:{user_id}"


def _count_key(user_id: int, stamp: str) -> str:
    return f"activity:unread:{user_id}:{stamp}"


def changed(user_ids: Iterable[int]) -> None:
    """Once the transaction commits, the unread counts of these people are counted again."""
    ids = list(user_ids)
    if ids:
        transaction.on_commit(
            lambda: cache.set_many({_stamp_key(pk): uuid.uuid4().hex for pk in ids}, None)
        )


def cached_unread(user_id: int) -> int | None:
    """The count under the person's current stamp, or None when it must be counted."""
    stamp = cache.get(_stamp_key(user_id))
    return None if stamp is None else cache.get(_count_key(user_id, stamp))


def unread_count(user_id: int) -> int:
    """Count, and keep the count under the stamp read before counting."""
    stamp = cache.get(_stamp_key(user_id))
    if stamp is None:
        cache.add(_stamp_key(user_id), uuid.uuid4().hex, None)
        stamp = cache.get(_stamp_key(user_id))
    count = Notification.objects.unread().filter(recipient_id=user_id).count()
    if stamp is not None:
        cache.set(_count_key(user_id, stamp), count, COUNT_TIMEOUT)
    return count
