"""The SMTP transaction driven step by step (roleplan/alignment/delivery.py, _hand_over): the
previous message's 'sent' mark is written while the server answers MAIL, so it is in the
database before the next message's content reaches the server; every refusal is handled as
smtplib's sendmail handles it."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg
import pytest
import time_machine
from django.db import connection

from roleplan.alignment import delivery
from roleplan.alignment.models import Delivery, DeliveryStatus, Weekday
from tests.alignment import delivery_fixtures
from tests.alignment.delivery_fixtures import make_series

smtp_sink = delivery_fixtures.smtp_sink

MONDAY_MORNING = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


def plan(syncs: int = 1) -> list[int]:
    for _ in range(syncs):
        make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        return delivery.reminders_prepare_due()


def statuses() -> list[str]:
    return list(Delivery.objects.order_by("pk").values_list("status", flat=True))


@pytest.mark.postgresql  # the sink reads the marks on a PostgreSQL connection of its own
@pytest.mark.django_db(transaction=True)
def test_each_message_reaches_the_server_after_the_previous_one_was_marked_sent(smtp_sink):
    ids = plan(syncs=2)
    db = connection.settings_dict
    dsn = {
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"],
        "host": db["HOST"],
        "port": db["PORT"],
    }
    seen: list[int] = []

    def count_sent(recipients):
        # In the sink's thread, on a connection of its own: what other sessions see now.
        with psycopg.connect(**dsn) as other:
            sent = other.execute(
                f"SELECT count(*) FROM {Delivery._meta.db_table} WHERE status = 'sent'"
            ).fetchone()[0]
        seen.append(sent)
        return None  # accept the message

    smtp_sink.handler.refuse_data = count_sent
    report = delivery.deliveries_send(ids=ids)
    assert report.sent == len(ids) == 4
    assert seen == [0, 1, 2, 3]
    assert statuses() == ["sent"] * 4


@pytest.mark.django_db
def test_a_refused_sender_fails_that_message_and_the_batch_goes_on(smtp_sink):
    plan()
    answers = iter(["451 4.3.0 try again later"])
    smtp_sink.handler.refuse_mail = lambda sender: next(answers, None)
    report = delivery.deliveries_send()
    assert (report.sent, report.failed) == (1, 1)
    assert sorted(statuses()) == ["failed", "sent"]
    assert len(smtp_sink.received) == 1


@pytest.mark.django_db
def test_refused_content_fails_that_message_for_good_and_the_batch_goes_on(smtp_sink):
    plan()
    first = Delivery.objects.select_related("recipient").order_by("pk").first()
    smtp_sink.handler.refuse_data = lambda recipients: (
        "554 5.6.0 content rejected" if first.recipient.email in recipients else None
    )
    report = delivery.deliveries_send()
    assert (report.sent, report.failed) == (1, 1)
    first.refresh_from_db()
    assert first.status == DeliveryStatus.FAILED
    assert "SMTPDataError" in first.last_error
    assert first.attempts == delivery.settings.DELIVERY_MAX_ATTEMPTS  # permanent: not retried


@pytest.mark.django_db
def test_a_server_going_away_at_rcpt_releases_the_rest(smtp_sink):
    plan(syncs=2)
    first = Delivery.objects.select_related("recipient").order_by("pk").first()
    smtp_sink.handler.refuse = lambda address: (
        "421 4.3.2 closing" if address == first.recipient.email else None
    )
    with pytest.raises(delivery.MESSAGE_ERRORS) as raised:
        delivery.deliveries_send()
    assert [code for code, _ in raised.value.recipients.values()] == [421]
    assert statuses() == ["failed", "pending", "pending", "pending"]
    assert smtp_sink.received == []
