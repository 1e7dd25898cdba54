"""The same work without beat: `manage.py send_reminders` for cron, the beat schedule, and the
`make run` configuration (no Redis: tasks in-process, emails on the console) where each
reminder is printed once however often the job runs."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from roleplan.alignment.models import Delivery, DeliveryKind, DeliveryStatus, Weekday
from roleplan.celery import app
from roleplan.ownership.models import Asset
from tests.alignment.delivery_fixtures import make_series
from tests.conftest import ROOT, worker_env

MONDAY_MORNING = datetime(2026, 6, 1, 8, 30, tzinfo=UTC)


def run_command(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_send_reminders_prepares_the_due_syncs_and_sends_each_reminder_once():
    make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        first = run_command()
    assert "2 reminder(s) waiting to be sent." in first
    assert "Sent 2; 0 refused" in first
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=5), tick=False):
        second = run_command()
    assert "0 reminder(s) waiting" in second
    assert "Sent 0" in second
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_send_reminders_no_send_only_plans():
    make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        out = run_command("--no-send")
    assert "2 reminder(s) waiting" in out
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    assert mail.outbox == []


@pytest.mark.django_db
def test_send_reminders_with_digest_plans_the_week_digest_once_per_person():
    from projects.models import ChangeRequest

    series = make_series(weekday=Weekday.TUESDAY)
    # The product's owner has confirmed ownership: nothing waits on them.
    Asset.objects.filter(pk=series.project.product.asset_id).update(confirmed_at=MONDAY_MORNING)
    ChangeRequest.objects.create(
        project=series.project,
        number=1,
        title="Feature XYZ",
        description="On top of ABC",
        why="Black Friday",
        requested_by=series.product_manager,
    )
    with time_machine.travel(MONDAY_MORNING, tick=False):
        out = run_command("--digest")
        again = run_command("--digest")
    # Both have their sync of the week; the change request waits on the manager.
    assert "2 digest(s) waiting" in out
    assert "0 digest(s) waiting" in again
    digests = Delivery.objects.filter(kind=DeliveryKind.DIGEST)
    assert {d.recipient for d in digests} == {series.project_manager, series.product_manager}
    assert {d.status for d in digests} == {DeliveryStatus.SENT}
    to_manager = [m for m in mail.outbox if series.project_manager.email in m.to[0]]
    assert len(to_manager) == 2, "the manager's reminder and digest"
    digest = next(m for m in to_manager if "Your week" in m.subject)
    assert "CR-1 Feature XYZ" in digest.body


@pytest.mark.django_db
def test_send_reminders_says_plainly_when_the_mail_server_is_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9
    settings.EMAIL_USE_TLS = False
    make_series(weekday=Weekday.TUESDAY)
    with (
        time_machine.travel(MONDAY_MORNING, tick=False),
        pytest.raises(CommandError, match="could not be reached"),
    ):
        run_command()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


def test_every_scheduled_task_is_a_registered_task(settings):
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "alignment.prepare_due_syncs",
        "alignment.send_due_deliveries",
        "alignment.plan_weekly_digests",
    } <= scheduled
    assert scheduled <= set(app.tasks)
    assert app.tasks["alignment.send_deliveries"].acks_late is True


def series_due_now() -> None:
    """A series whose next meeting starts in two hours (real time): its reminder is due."""
    soon = (datetime.now(UTC) + timedelta(hours=2)).astimezone(ZoneInfo("Europe/Berlin"))
    make_series(weekday=soon.weekday(), at=time(soon.hour, soon.minute))


@pytest.mark.postgresql  # the commands run in processes of their own, on the test database
@pytest.mark.django_db(transaction=True)
def test_under_make_run_each_reminder_is_printed_once_on_the_console():
    series_due_now()
    env = worker_env(connection.settings_dict["NAME"])
    for name in ("REDIS_URL", "EMAIL_HOST", "EMAIL_BACKEND"):
        env.pop(name, None)
    env["DEBUG"] = "1"
    manage = [sys.executable, "manage.py"]
    runs = [
        manage + ["send_reminders"],
        manage + ["send_reminders"],
        manage
        + [
            "shell",
            "-c",
            "from roleplan.alignment.tasks import prepare_due_syncs; prepare_due_syncs.delay()",
        ],
    ]
    output = ""
    for command in runs:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True
        )
        output += done.stdout
    ids = re.findall(r"^Message-ID: (<roleplan-delivery-\d+@[^>]+>)$", output, re.MULTILINE)
    expected = {d.message_id for d in Delivery.objects.all()}
    assert len(expected) == 2
    assert sorted(ids) == sorted(expected), "each reminder printed exactly once"
    assert "Weekly sync" in output
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}


@pytest.mark.django_db
def test_the_sweep_sends_what_is_due_again_and_leaves_what_is_not(settings):
    from roleplan.alignment.tasks import send_due_deliveries

    make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        run_command("--no-send")
    first, second = Delivery.objects.order_by("pk")
    Delivery.objects.filter(pk=first.pk).update(
        status=DeliveryStatus.FAILED, attempts=1, next_attempt_at=MONDAY_MORNING
    )
    Delivery.objects.filter(pk=second.pk).update(
        status=DeliveryStatus.FAILED,
        attempts=1,
        next_attempt_at=MONDAY_MORNING + timedelta(hours=1),
    )
    with time_machine.travel(MONDAY_MORNING + timedelta(minutes=1), tick=False):
        assert send_due_deliveries.apply().get() == 1
    assert dict(Delivery.objects.values_list("pk", "status")) == {
        first.pk: DeliveryStatus.SENT,
        second.pk: DeliveryStatus.FAILED,
    }
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweep_and_an_in_process_send_shrug_off_an_unreachable_server(settings):
    from roleplan.alignment.tasks import send_deliveries, send_due_deliveries

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9
    settings.EMAIL_USE_TLS = False
    make_series(weekday=Weekday.TUESDAY)
    with time_machine.travel(MONDAY_MORNING, tick=False):
        run_command("--no-send")
    ids = list(Delivery.objects.values_list("pk", flat=True))
    assert send_due_deliveries.apply().get() == 0
    # In-process (no broker), the task does not retry at once in a loop: the next run will.
    assert send_deliveries.apply(args=[ids]).get() == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}


@pytest.mark.django_db
def test_the_weekly_digest_task_plans_and_sends_each_digest_once():
    from projects.models import ChangeRequest
    from roleplan.alignment.tasks import plan_weekly_digests

    series = make_series(weekday=Weekday.TUESDAY)
    ChangeRequest.objects.create(
        project=series.project,
        number=1,
        title="Feature XYZ",
        description="On top of ABC",
        why="Black Friday",
        requested_by=series.product_manager,
    )
    app.conf.task_always_eager = True
    try:
        with time_machine.travel(MONDAY_MORNING, tick=False):
            assert plan_weekly_digests.delay().get() == 2  # the manager, and the owner's gap
            assert plan_weekly_digests.delay().get() == 0
    finally:
        app.conf.task_always_eager = False
    assert (
        Delivery.objects.filter(kind=DeliveryKind.DIGEST, status=DeliveryStatus.SENT).count() == 2
    )
    assert len(mail.outbox) == 2
