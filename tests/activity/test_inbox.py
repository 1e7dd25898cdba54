"""The inbox, the top bar's unread count and the notification choices."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from roleplan.activity import notifications, services
from roleplan.activity.models import Delivery, Kind, Notification, NotificationPreference, Verb
from roleplan.activity.targets import TARGETS

INBOX = reverse("activity:inbox")
HX = {"HTTP_HX_REQUEST": "true"}


def make_notifications(world, recipient, actor, n: int, *, kind=Kind.COMMENT, start: int = 0):
    ct = ContentType.objects.get_for_model(world.product)
    Notification.objects.bulk_create(
        Notification(
            recipient=recipient,
            kind=kind,
            verb=Verb.COMMENTED,
            event_key=f"test:{kind}:{i}",
            actor=actor,
            content_type=ct,
            object_id=world.product.pk,
            target_title=f"Thing {i}",
            url=world.product.get_absolute_url(),
            excerpt=f"Said {i}",
            delivery=Delivery.DIGEST,
        )
        for i in range(start, start + n)
    )


def test_the_inbox_lists_ones_own_notifications_newest_first(client, world, owner, viewer):
    make_notifications(world, viewer, owner, 3)
    make_notifications(world, owner, viewer, 1, start=10)
    client.force_login(viewer)
    html = client.get(INBOX).content.decode()
    assert html.index("Thing 2") < html.index("Thing 0")
    assert "Thing 10" not in html


def test_the_inbox_filters_by_kind_and_unread_keeping_the_filter_in_the_links(
    client, world, owner, viewer
):
    make_notifications(world, viewer, owner, 30)
    make_notifications(world, viewer, owner, 2, kind=Kind.MENTION, start=100)
    Notification.objects.filter(event_key="test:mention:100").update(read_at="2026-01-01T00:00Z")
    client.force_login(viewer)
    html = client.get(INBOX, {"kind": Kind.MENTION, "unread": "1"}).content.decode()
    assert "Thing 101" in html
    assert "Thing 100" not in html
    assert "Thing 5" not in html
    html = client.get(INBOX, {"kind": Kind.COMMENT}).content.decode()
    assert "Page 1 of 2" in html
    assert "kind=comment&amp;page=2" in html


def test_marking_one_read_and_then_all(client, world, owner, viewer):
    make_notifications(world, viewer, owner, 3)
    client.force_login(viewer)
    first = Notification.objects.filter(recipient=viewer).first()
    response = client.post(reverse("activity:read", args=[first.pk]), **HX)
    assert "notificationsRead" in response.headers["HX-Trigger"]
    assert Notification.objects.unread().filter(recipient=viewer).count() == 2
    response = client.post(reverse("activity:read_all"))
    assert response.status_code == 302
    assert not Notification.objects.unread().filter(recipient=viewer).exists()


def test_no_one_marks_someone_elses_notification(client, world, owner, viewer):
    make_notifications(world, viewer, owner, 1)
    client.force_login(owner)
    client.post(reverse("activity:read", args=[Notification.objects.get().pk]))
    assert Notification.objects.unread().count() == 1


def test_the_inbox_costs_the_same_queries_at_5_and_200_notifications(client, world, owner, viewer):
    """Session, user, the count for the pager, the page with its actors."""
    client.force_login(viewer)
    make_notifications(world, viewer, owner, 5)
    client.get(INBOX)
    counts = []
    for start, n in [(5, 0), (5, 195)]:
        make_notifications(world, viewer, owner, n, start=start)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INBOX, {"unread": "1"}).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[0] <= 4


def test_the_top_bar_asks_for_the_count_after_the_page_then_shows_it_from_the_cache(
    client, world, owner, viewer
):
    make_notifications(world, viewer, owner, 3)
    client.force_login(viewer)
    page = client.get(world.product.get_absolute_url()).content.decode()
    assert 'hx-trigger="load, notificationsRead from:body"' in page
    badge = client.get(reverse("activity:badge")).content.decode()
    assert "Inbox, 3 unread" in badge
    with CaptureQueriesContext(connection) as captured:
        page = client.get(world.product.get_absolute_url()).content.decode()
    assert "Inbox, 3 unread" in page
    assert not any("activity_notification" in q["sql"] for q in captured)


def test_a_new_notification_or_a_read_one_changes_the_count_at_once(
    client, world, owner, viewer, django_capture_on_commit_callbacks
):
    client.force_login(viewer)
    assert notifications.unread_count(viewer.pk) == 0
    assert notifications.cached_unread(viewer.pk) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_add(
            target=TARGETS["product"],
            obj=world.product,
            by=owner,
            body=f"@{viewer.username} see",
        )
    assert notifications.cached_unread(viewer.pk) is None  # the stamp changed with the write
    assert notifications.unread_count(viewer.pk) == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.notifications_mark_read(by=viewer)
    assert notifications.cached_unread(viewer.pk) is None
    assert notifications.unread_count(viewer.pk) == 0


def test_each_person_chooses_per_kind_and_the_choice_is_kept(client, world, viewer):
    client.force_login(viewer)
    page = client.get(reverse("activity:settings")).content.decode()
    assert "Mentions of you" in page
    assert "In the Monday digest" in page
    data = dict.fromkeys(Kind.values, Delivery.DIGEST)
    data[Kind.MENTION] = Delivery.OFF
    response = client.post(reverse("activity:settings"), data)
    assert response.status_code == 302
    chosen = dict(
        NotificationPreference.objects.filter(user=viewer).values_list("kind", "delivery")
    )
    assert chosen[Kind.MENTION] == Delivery.OFF
    assert chosen[Kind.HANDOVER] == Delivery.DIGEST


def test_an_unknown_choice_is_refused_next_to_its_field(client, world, viewer):
    client.force_login(viewer)
    response = client.post(reverse("activity:settings"), {Kind.MENTION: "pigeon"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.exists()
