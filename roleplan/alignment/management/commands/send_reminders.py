"""The reminder and digest work of the beat schedule, for deployments that run cron instead.

    */5 * * * *  python manage.py send_reminders            # prepare due syncs, send reminders
    0 7 * * 1    python manage.py send_reminders --digest   # and, on Monday, the weekly digest

Safe to run twice, or twice at once: deliveries are planned once per (meeting or digest week,
recipient) and each is claimed before it is sent.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from roleplan.alignment import delivery
from roleplan.alignment.tasks import TRANSIENT_ERRORS


class Command(BaseCommand):
    help = (
        "Prepare the syncs starting within a day, plan their reminders (and with --digest this "
        "week's digests), then send every delivery that is due, retries included."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--digest", action="store_true", help="Also plan this week's digests (once a week)."
        )
        parser.add_argument(
            "--no-send", action="store_true", help="Plan only; leave the sending to the workers."
        )

    def handle(self, *args, digest: bool = False, no_send: bool = False, **options) -> None:
        reminders = delivery.reminders_prepare_due()
        self.stdout.write(f"{len(reminders)} reminder(s) waiting to be sent.")
        if digest:
            digests = delivery.digests_plan_current()
            self.stdout.write(f"{len(digests)} digest(s) waiting to be sent.")
        if no_send:
            return
        try:
            report = delivery.deliveries_send()
        except TRANSIENT_ERRORS as exc:
            raise CommandError(
                f"The mail server could not be reached ({exc}). Nothing was lost: the next run "
                "sends what is left."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Sent {report.sent}; {report.failed} refused, to be retried.")
        )
