"""Webhooks in one process: an event reaches a real local HTTP receiver, signed so that the
independent `standardwebhooks` library verifies it; Slack and Teams messages; the SSRF guard;
retries, the log, turning off after failures with an email; the test event."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from products import services as products
from roleplan.celery import app
from roleplan.events import Event
from roleplan.integrations import services, targets, webhooks
from roleplan.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from tests.integrations.receiver import Receiver
from tests.products.factories import make_item, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver listens on 127.0.0.1
    settings.WEBHOOK_TIMEOUT = 2
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def in_process() -> Iterator[None]:
    """Tasks run where they are queued (the broker-less setup of make run)."""
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def product(owner):
    return make_product(owner=owner)


def subscribe(owner, url: str, product=None, kind: str = "standard", events=None):
    return services.subscription_create(
        owner=owner,
        product=product,
        target_url=url,
        kind=kind,
        events=events or [str(e) for e in webhooks.WEBHOOK_EVENTS],
    )


def test_a_roadmap_change_reaches_the_receiver_signed_for_standard_webhooks(
    owner, product, receiver, in_process, django_capture_on_commit_callbacks
):
    sub = subscribe(owner, receiver.url, product)
    with django_capture_on_commit_callbacks(execute=True):
        item = make_item(product, title="Segments")
    assert len(receiver.received) == 1
    got = receiver.received[0]
    payload = Webhook(sub.secret).verify(got.body, got.headers)
    assert payload["type"] == Event.ROADMAP_ITEM_CREATED
    assert payload["id"] == got.headers["webhook-id"]
    assert payload["data"]["id"] == item.pk
    assert payload["data"]["title"] == "Segments"
    assert payload["data"]["product"] == product.asset.slug
    row = WebhookDelivery.objects.get(subscription=sub)
    assert row.status == DeliveryStatus.DELIVERED
    assert row.last_status_code == 204
    assert row.attempts == 1


def test_a_signature_with_another_secret_does_not_verify(owner, product, receiver):
    sub = subscribe(owner, receiver.url, product)
    webhooks.deliver(services.subscription_send_test(subscription=sub).pk)
    got = receiver.received[0]
    other = Webhook("whsec_" + "A" * 32)
    with pytest.raises(Exception, match="(?i)signature"):
        other.verify(got.body, got.headers)
    assert Webhook(sub.secret).verify(got.body, got.headers)["type"] == "webhook.test"


def test_an_event_is_one_row_per_subscription_and_a_second_run_sends_nothing(
    owner, product, receiver
):
    first = subscribe(owner, receiver.url, product)
    second = subscribe(owner, receiver.url, product)
    other_product = make_product(owner=owner)
    subscribe(owner, receiver.url, other_product)
    item = make_item(product, title="Once")
    ids = webhooks.plan(Event.ROADMAP_ITEM_UPDATED, item_id=item.pk)
    rows = WebhookDelivery.objects.filter(pk__in=ids)
    assert {r.subscription_id for r in rows} == {first.pk, second.pk}
    assert len({r.event_id for r in rows}) == 1
    for pk in ids:
        assert webhooks.deliver(pk) == DeliveryStatus.DELIVERED
        assert webhooks.deliver(pk) is None  # delivered: never claimed again
    assert len(receiver.received) == 2
    assert {r.headers["webhook-id"] for r in receiver.received} == {rows[0].event_id}


def test_slack_and_teams_targets_get_their_message_formats(owner, product, receiver):
    slack = subscribe(owner, receiver.url + "/slack", product, kind="slack")
    teams = subscribe(owner, receiver.url + "/teams", product, kind="teams")
    item = make_item(product, title="Feature XYZ")
    for pk in webhooks.plan(Event.ROADMAP_ITEM_MOVED, item_id=item.pk):
        webhooks.deliver(pk)
    bodies = {r.path.rsplit("/", 1)[1]: json.loads(r.body) for r in receiver.received}
    assert "Feature XYZ" in bodies["slack"]["text"]
    assert bodies["slack"]["blocks"][0]["type"] == "section"
    assert bodies["teams"]["@type"] == "MessageCard"
    assert "Feature XYZ" in bodies["teams"]["text"]
    assert bodies["teams"]["potentialAction"][0]["targets"][0]["uri"].endswith(
        item.get_absolute_url()
    )
    assert slack.pk != teams.pk


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://100.64.0.1/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[fe80::1]/hook",
        "http://[fc00::1]/hook",
        "ftp://example.com/hook",
    ],
)
def test_a_private_or_odd_target_is_refused_without_the_setting(owner, product, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(targets.TargetRefused):
        subscribe(owner, url, product)
    assert not WebhookSubscription.objects.exists()


def test_public_addresses_pass_the_guard():
    import ipaddress

    assert targets.is_public(ipaddress.ip_address("93.184.216.34"))
    assert targets.is_public(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946"))
    assert not targets.is_public(ipaddress.ip_address("2002:7f00:1::1"))  # 6to4 of 127.0.0.1


def test_the_target_is_checked_again_at_delivery(owner, product, receiver, settings):
    sub = subscribe(owner, receiver.url, product)
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # as if DNS now pointed somewhere private
    delivery = services.subscription_send_test(subscription=sub)
    assert webhooks.deliver(delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("refused:")
    assert receiver.received == []


def test_a_redirect_is_not_followed_and_counts_as_a_failure(owner, product, receiver):
    receiver.status, receiver.location = 302, "http://127.0.0.1:1/elsewhere"
    sub = subscribe(owner, receiver.url, product)
    delivery = services.subscription_send_test(subscription=sub)
    assert webhooks.deliver(delivery.pk) == DeliveryStatus.FAILED
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert len(receiver.received) == 1
    assert delivery.next_attempt_at > delivery.last_attempt_at  # retried after a backoff


def test_repeated_failures_turn_the_subscription_off_and_email_its_owner_once(
    owner, product, receiver, settings, time_machine
):
    time_machine.move_to(timezone.now())
    settings.WEBHOOK_DISABLE_AFTER = 3
    settings.WEBHOOK_MAX_ATTEMPTS = 10
    receiver.status = 500
    sub = subscribe(owner, receiver.url, product)
    delivery = services.subscription_send_test(subscription=sub)
    for _ in range(4):
        webhooks.deliver(delivery.pk)
        time_machine.shift(3600 * 7)  # past any backoff
    sub.refresh_from_db()
    assert not sub.is_active
    assert sub.disabled_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [owner.email]
    assert receiver.url in mail.outbox[0].body
    item = make_item(product, title="Not sent")
    assert webhooks.plan(Event.ROADMAP_ITEM_UPDATED, item_id=item.pk) == []


def test_a_delivery_gives_up_after_the_last_attempt(
    owner, product, receiver, settings, time_machine
):
    time_machine.move_to(timezone.now())
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    receiver.status = 503
    sub = subscribe(owner, receiver.url, product)
    delivery = services.subscription_send_test(subscription=sub)
    assert webhooks.deliver(delivery.pk) == DeliveryStatus.FAILED
    time_machine.shift(3600 * 7)
    assert webhooks.deliver(delivery.pk) == DeliveryStatus.ABANDONED
    time_machine.shift(3600 * 7)
    assert webhooks.deliver(delivery.pk) is None
    assert len(receiver.received) == 2


def test_an_update_of_another_products_item_reaches_only_installation_wide_subscribers(
    owner, staff, product, receiver
):
    everything = subscribe(staff, receiver.url)
    mine = subscribe(owner, receiver.url, product)
    elsewhere = make_product(owner=owner)
    item = make_item(elsewhere, title="Elsewhere")
    ids = webhooks.plan(Event.ROADMAP_ITEM_CREATED, item_id=item.pk)
    assert [WebhookDelivery.objects.get(pk=pk).subscription_id for pk in ids] == [everything.pk]
    assert mine.pk


def test_a_product_edit_by_service_is_announced_as_an_update(owner, product, receiver):
    sub = subscribe(owner, receiver.url, product, events=[str(Event.ROADMAP_ITEM_UPDATED)])
    item = make_item(product, title="Before")
    saved = products.roadmap_item_update(
        item_id=item.pk, version=item.version, by=owner, data={"title": "After"}
    )
    ids = webhooks.plan(Event.ROADMAP_ITEM_UPDATED, item_id=saved.pk)
    webhooks.deliver(ids[0])
    payload = Webhook(sub.secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert payload["data"]["title"] == "After"
    assert payload["data"]["version"] == saved.version
