"""Exactly once, end to end: real Celery workers in their own processes on the real Redis
broker and PostgreSQL, mailing a real SMTP server (a local sink that records every message).

Each case counts what the sink received per (Message-ID, recipient): one each, and every
reminder delivered. No beat and no sweep run here, so whatever arrives after a failure was sent
by the task itself: redelivered by the broker (acks_late) or retried by Celery.

The workers run with a 4-second lease, a 4-second broker visibility timeout and a 1-second
first retry (DELIVERY_LEASE_SECONDS, CELERY_VISIBILITY_TIMEOUT, DELIVERY_RETRY_SECONDS)."""

from __future__ import annotations

import time

import pytest

from roleplan.alignment import delivery
from roleplan.alignment.models import Delivery, DeliveryStatus
from roleplan.alignment.tasks import prepare_due_syncs, send_deliveries
from tests.alignment import delivery_fixtures
from tests.alignment.delivery_fixtures import make_series_due_now, people
from tests.conftest import wait_for

smtp_sink = delivery_fixtures.smtp_sink
workers = delivery_fixtures.workers

# Real workers on the real broker and database: the deployment, in the PostgreSQL pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgresql]


def statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Delivery.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def all_sent(expected: int):
    return lambda: Delivery.objects.filter(status=DeliveryStatus.SENT).count() == expected


def assert_each_once(sink, expected: int) -> None:
    rows = list(Delivery.objects.select_related("recipient"))
    assert len(rows) == expected
    wanted = {(d.message_id, d.recipient.email) for d in rows}
    counts = sink.per_recipient()
    assert set(counts) == wanted, "every reminder delivered, to its own recipient"
    assert set(counts.values()) == {1}, f"sent more than once: {counts.most_common(3)}"
    assert len(sink.received) == expected


def series(n: int) -> None:
    for i in range(n):
        make_series_due_now(
            product_owner=people("Product", f"Owner{i}"),
            manager=people("Project", f"Manager{i}"),
        )


def test_the_job_run_twice_at_once_on_two_workers_sends_one_email_per_person(workers, smtp_sink):
    series(10)
    workers.start(DELIVERY_BATCH_SIZE="3")
    workers.start(DELIVERY_BATCH_SIZE="3")
    time.sleep(4)  # both workers up, so the two jobs really run side by side
    prepare_due_syncs.delay()
    prepare_due_syncs.delay()
    wait_for(all_sent(20), timeout=90)
    ids = sorted(Delivery.objects.values_list("pk", flat=True))
    # And the sending task itself, twice more at once, after everything was sent.
    send_deliveries.delay(ids)
    send_deliveries.delay(ids)
    time.sleep(3)
    assert_each_once(smtp_sink, 20)
    assert smtp_sink.connections >= 7, "batches of 3: at least seven SMTP connections"


def test_the_same_batch_task_on_two_workers_at_once_sends_each_email_once(workers, smtp_sink):
    series(10)
    ids = delivery.reminders_prepare_due()
    assert len(ids) == 20
    smtp_sink.handler.delay = 0.1  # two seconds of sending: the workers overlap throughout
    workers.start(DELIVERY_BATCH_SIZE="4")
    workers.start(DELIVERY_BATCH_SIZE="4")
    time.sleep(4)
    send_deliveries.delay(ids)
    send_deliveries.delay(ids)
    wait_for(all_sent(20), timeout=90)
    time.sleep(2)
    assert_each_once(smtp_sink, 20)
    by_peer = {r.peer for r in smtp_sink.received}
    assert len(by_peer) >= 5, "20 emails in batches of 4, shared by the two workers"


def test_a_worker_killed_mid_batch_sends_nothing_twice_and_the_rest_after_restart(
    workers, smtp_sink
):
    series(5)
    smtp_sink.handler.hold_after = 3  # the 4th message waits at MAIL FROM: kill the worker then
    first = workers.start()
    prepare_due_syncs.delay()
    assert smtp_sink.handler.holding.wait(timeout=90), workers.logs()
    # The third message's 'sent' mark is written while the server holds the fourth at MAIL,
    # before any of its content is handed over: wait for that commit, then kill the worker.
    wait_for(all_sent(3), timeout=10)
    workers.kill(first)
    assert len(smtp_sink.received) == 3
    counts = statuses()
    assert counts.get(DeliveryStatus.SENT) == 3, counts
    assert counts.get(DeliveryStatus.SENDING) == 7, "the killed batch still holds its claim"
    smtp_sink.handler.release()
    # Nothing else runs: only the broker giving the unacknowledged task to the new worker
    # (acks_late, visibility timeout) can deliver the other seven.
    workers.start()
    wait_for(all_sent(10), timeout=120)
    time.sleep(5)  # longer than the lease: a second copy would have been claimed by now
    assert_each_once(smtp_sink, 10)
    sent_first = {r.message_id for r in smtp_sink.received[:3]}
    attempts = dict(Delivery.objects.values_list("pk", "attempts"))
    assert sorted(attempts.values()) == [1, 1, 1] + [2] * 7
    assert all(attempts[d.pk] == 1 for d in Delivery.objects.all() if d.message_id in sent_first)


def test_a_retry_after_the_server_hung_up_sends_only_what_was_left(workers, smtp_sink):
    series(5)
    smtp_sink.handler.drop_after = 4  # "421 closing" at the 5th message, then hang up
    workers.start()
    prepare_due_syncs.delay()
    wait_for(all_sent(10), timeout=90)
    time.sleep(3)
    assert smtp_sink.handler.dropped == 1
    assert_each_once(smtp_sink, 10)
    assert smtp_sink.connections >= 2, "the retry opened a new connection"
    failed_once = Delivery.objects.filter(last_error="", attempts=2)
    assert failed_once.count() == 1, "the message refused with 421 was the one tried twice"


def test_a_refused_message_is_retried_later_and_delivered_once(workers, smtp_sink):
    series(2)
    refusals: list[str] = []
    unlucky = people("Product", "Owner0").email

    def refuse(address: str) -> str | None:
        if address == unlucky and len(refusals) < 2:
            refusals.append(address)
            return "451 4.7.1 greylisted, try again later"
        return None

    smtp_sink.handler.refuse = refuse
    workers.start()
    prepare_due_syncs.delay()
    wait_for(all_sent(4), timeout=90)
    time.sleep(2)
    assert refusals == [unlucky, unlucky]
    assert_each_once(smtp_sink, 4)
    row = Delivery.objects.get(recipient__email=unlucky)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 3, "")
    assert set(Delivery.objects.exclude(pk=row.pk).values_list("attempts", flat=True)) == {1}
