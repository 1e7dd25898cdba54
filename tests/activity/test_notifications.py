"""Notifications: who is told of what, once per event and person, by email at once or in the
Monday digest as each person chose, and never anyone who cannot see the object."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from projects.services import changes as change_services
from roleplan.activity import emails, reactions, services, tasks
from roleplan.activity.models import (
    Delivery,
    Digest,
    DigestStatus,
    Follow,
    Kind,
    Notification,
    NotificationPreference,
    Verb,
)
from roleplan.activity.targets import TARGETS
from roleplan.alignment.models import ActionItem
from roleplan.ownership import services as ownership_services


def mention(world, by, who, *, target="product", obj=None):
    return services.comment_add(
        target=TARGETS[target], obj=obj or world.product, by=by, body=f"@{who.username} look"
    )


def test_a_mention_puts_one_notification_in_the_inbox_and_sends_one_email(
    world, owner, viewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mention(world, owner, viewer)
    notification = Notification.objects.get(recipient=viewer)
    assert (notification.kind, notification.verb) == (Kind.MENTION, Verb.MENTIONED)
    assert [m.to for m in mail.outbox] == [[viewer.email]]
    assert "mentioned you on Email marketing platform" in mail.outbox[0].subject
    html = mail.outbox[0].alternatives[0][0]
    assert "@vera.viewer look" in html


def test_running_the_email_task_again_sends_nothing_more(
    world, owner, viewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mention(world, owner, viewer)
    notification = Notification.objects.get(recipient=viewer)
    assert tasks.send_notification_email.apply(args=[notification.pk]).result is False
    assert emails.notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_a_failed_send_gives_the_claim_back_for_the_retry(world, owner, viewer, monkeypatch):
    mention(world, owner, viewer)  # the email task waits for a commit that never comes here
    notification = Notification.objects.get(recipient=viewer)

    def refuse(self, *args, **kwargs):
        raise ConnectionError("mail server away")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(ConnectionError):
        emails.notification_email_send(notification_id=notification.pk)
    notification.refresh_from_db()
    assert notification.emailed_at is None
    monkeypatch.undo()
    assert emails.notification_email_send(notification_id=notification.pk) is True
    assert emails.notification_email_send(notification_id=notification.pk) is False
    assert len(mail.outbox) == 1


def test_a_person_who_chose_the_digest_gets_a_line_on_monday_and_no_email_now(
    world, owner, viewer, django_capture_on_commit_callbacks
):
    NotificationPreference.objects.create(user=viewer, kind=Kind.MENTION, delivery=Delivery.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        mention(world, owner, viewer)
    assert mail.outbox == []
    now = timezone.now() + timedelta(minutes=1)
    planned = emails.digests_plan(now=now)
    assert emails.digests_plan(now=now) == planned  # planning twice plans nothing twice
    for digest_id in planned:
        assert emails.digest_send(digest_id=digest_id) is True
        assert emails.digest_send(digest_id=digest_id) is False
    assert [m.to for m in mail.outbox] == [[viewer.email]]
    assert "mentioned you on Email marketing platform" in mail.outbox[0].body
    assert Digest.objects.get(recipient=viewer).status == DigestStatus.SENT


def test_a_notification_read_before_monday_leaves_the_digest_empty(world, owner, viewer):
    NotificationPreference.objects.create(user=viewer, kind=Kind.MENTION, delivery=Delivery.DIGEST)
    mention(world, owner, viewer)
    digest_ids = emails.digests_plan(now=timezone.now() + timedelta(minutes=1))
    services.notifications_mark_read(by=viewer)
    assert [emails.digest_send(digest_id=pk) for pk in digest_ids] == [False]
    assert mail.outbox == []
    assert Digest.objects.get().status == DigestStatus.EMPTY


def test_a_person_who_chose_not_at_all_is_not_told(world, owner, viewer):
    NotificationPreference.objects.create(user=viewer, kind=Kind.MENTION, delivery=Delivery.OFF)
    mention(world, owner, viewer)
    assert not Notification.objects.filter(recipient=viewer).exists()


def test_the_products_owner_hears_of_a_comment_but_not_the_author(world, owner, viewer):
    services.comment_add(target=TARGETS["product"], obj=world.product, by=viewer, body="Hi")
    assert list(Notification.objects.values_list("recipient", "kind")) == [(owner.pk, Kind.COMMENT)]


def test_a_reply_tells_the_first_comments_author_it_is_a_reply(world, owner, viewer, outsider):
    first = services.comment_add(
        target=TARGETS["product"], obj=world.product, by=outsider, body="Question"
    )
    services.comment_add(
        target=TARGETS["product"], obj=world.product, by=viewer, body="Answer", parent_id=first.pk
    )
    reply = Notification.objects.get(recipient=outsider)
    assert reply.verb == Verb.REPLIED


def test_a_followers_comment_notification_follows_the_item_to_its_product(
    world, owner, viewer, outsider
):
    Follow.objects.create(
        user=viewer, content_type_id=_ct(world.product), object_id=world.product.pk
    )
    services.comment_add(target=TARGETS["item"], obj=world.item, by=outsider, body="On the item")
    assert set(Notification.objects.values_list("recipient", flat=True)) == {owner.pk, viewer.pk}


def _ct(obj) -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(obj).pk


def test_a_meeting_comment_reaches_only_the_syncs_people(world, owner, editor, viewer):
    Follow.objects.create(
        user=viewer, content_type_id=_ct(world.meeting), object_id=world.meeting.pk
    )
    services.comment_add(target=TARGETS["meeting"], obj=world.meeting, by=owner, body="Notes")
    assert list(Notification.objects.values_list("recipient", flat=True)) == [editor.pk]


def test_the_stakeholder_follows_the_product_and_hears_of_its_next_decision(
    client, world, owner, editor, viewer, django_capture_on_commit_callbacks
):
    client.force_login(viewer)
    client.post(reverse("activity:follow", args=["product", world.product.pk]), {"following": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        request = change_services.change_request_create(
            project_id=world.project.pk,
            by=owner,
            title="Feature XYZ",
            description="Add XYZ",
            why="Customers ask for it",
        )
    with django_capture_on_commit_callbacks(execute=True):
        change_services.change_request_decide(
            request_id=request.pk, by=owner, rationale="Not before Black Friday", option_id=None
        )
    told = Notification.objects.filter(recipient=viewer).order_by("created_at")
    assert [(n.kind, n.verb) for n in told] == [
        (Kind.CHANGE_REQUEST, Verb.RAISED),
        (Kind.CHANGE_REQUEST, Verb.REJECTED),
    ]
    assert told[1].excerpt == "Not before Black Friday"
    html = client.get(reverse("activity:inbox")).content.decode()
    assert "rejected" in html
    assert "CR-1 Feature XYZ" in html
    # The manager hears too; the decider does not.
    assert Notification.objects.filter(recipient=editor, verb=Verb.REJECTED).exists()
    assert not Notification.objects.filter(recipient=owner, verb=Verb.REJECTED).exists()


def test_a_handler_run_twice_tells_each_person_once(world, owner, editor):
    request = change_services.change_request_create(
        project_id=world.project.pk, by=owner, title="XYZ", description="d", why="w"
    )
    reactions.change_request_raised(change_request_id=request.pk)
    reactions.change_request_raised(change_request_id=request.pk)
    assert Notification.objects.filter(recipient=editor).count() == 1


def test_a_handover_tells_the_new_owner(world, owner, viewer, django_capture_on_commit_callbacks):
    asset = world.product.asset
    with django_capture_on_commit_callbacks(execute=True):
        ownership_services.asset_hand_over(
            asset_id=asset.pk,
            expected_owner_id=owner.pk,
            new_owner=viewer,
            by=owner,
            reason="Leave",
        )
    notification = Notification.objects.get(recipient=viewer)
    assert notification.kind == Kind.HANDOVER
    assert notification.url == asset.get_absolute_url()
    assert len(mail.outbox) == 1  # handovers are emailed at once unless one chooses otherwise


def test_action_items_given_or_overdue_are_told_once_however_often_the_sweep_runs(
    world, owner, editor
):
    today = timezone.localdate()
    given = ActionItem.objects.create(
        meeting=world.meeting, text="Warm up the IPs", owner=editor, created_by=owner
    )
    late = ActionItem.objects.create(
        meeting=world.meeting,
        text="Book the agency",
        owner=owner,
        created_by=owner,
        due_date=today - timedelta(days=2),
    )
    assert reactions.action_items_sweep(today=today) == 2
    assert reactions.action_items_sweep(today=today) == 0
    tasks.sweep_action_items.apply()
    rows = Notification.objects.order_by("recipient_id")
    assert {(n.recipient_id, n.verb, n.object_id) for n in rows} == {
        (editor.pk, Verb.ACTION_GIVEN, given.pk),
        (owner.pk, Verb.ACTION_OVERDUE, late.pk),
    }


def test_an_action_item_owner_outside_the_sync_is_not_told(world, owner, outsider):
    ActionItem.objects.create(
        meeting=world.meeting, text="Secret", owner=outsider, created_by=owner
    )
    assert reactions.action_items_sweep(today=timezone.localdate()) == 0
