"""Reminder and digest emails, each sent once: plan, claim, send, mark.

- **Plan**: one Delivery row per (meeting, recipient), (series and SEQUENCE, recipient) for a
  cancelled invitation, or (digest week, recipient), inserted with
  ON CONFLICT DO NOTHING (bulk_create(ignore_conflicts=True)) against the partial unique
  constraints. Planning twice, or two planners at once, leaves one row.
- **Claim**: in one short transaction, SELECT ... FOR UPDATE SKIP LOCKED picks due rows (pending
  or failed and due, or 'sending' with an expired lease) and marks them 'sending' with this
  sender's token and the time. Two senders never hold the same row.
- **Send**: a batch goes over one SMTP connection. Each message is handed to the server, and as
  soon as the server accepts it its row is marked 'sent' in its own commit, guarded by the
  claim token (with the SMTP backend the mark's round trip runs while the server answers the
  next message's MAIL command, which hands nothing over: the mark is in before the next
  message's content is sent). A message the server refuses is marked 'failed' and due again
  after a backoff; when the connection itself breaks, that row fails, the rest of the batch is
  released unattempted, and the error goes up so the task retries.

What exactly once means here. Rows marked 'sent' are never claimed again, and rows not yet
handed to the server were never seen by it, so a second run, a retry, or a worker killed
between two messages sends nothing twice. The one gap is the instant between the SMTP server's
"250 OK" and the 'sent' commit (about a millisecond): a worker killed exactly there leaves a
delivered row in 'sending'. Such a row is reclaimed once its claim is older than
DELIVERY_LEASE_SECONDS and sent again: at-least-once for that single message, chosen over
at-most-once (a reminder silently never sent). The repeat carries the same Message-ID
(Delivery.message_id), so mail clients fold it into the first copy. A sender checks its lease
before each message and stops at half of it, so a slow batch never overlaps a reclaim.
"""

from __future__ import annotations

import logging
import os
import smtplib
import socket
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from roleplan.alignment import digest as digests
from roleplan.alignment import reminders
from roleplan.alignment import services as alignment_services
from roleplan.alignment.models import (
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    SyncMeeting,
    SyncSeries,
)

logger = logging.getLogger(__name__)

# Errors that mean the connection to the mail server is unusable: stop the batch, retry later.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPNotSupportedError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)
# Errors about one message (the server refused its sender, recipient or content): the
# connection stays usable (smtplib resets the transaction), so the batch goes on.
MESSAGE_ERRORS: tuple[type[BaseException], ...] = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
    smtplib.SMTPResponseException,
)
# The longest wait between two attempts of one delivery.
MAX_BACKOFF = timedelta(hours=6)
PLAN_CHUNK = 1000


def sender_token() -> str:
    """Names one claim: host, process and a random part, so two senders never share one."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: the base, doubled each time, capped."""
    seconds = settings.DELIVERY_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def lease() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def claimable(now: datetime) -> Q:
    """Rows a sender may take at `now`: pending or failed and due, or 'sending' whose claim is
    older than the lease (its sender died); never more than DELIVERY_MAX_ATTEMPTS attempts."""
    return Q(attempts__lt=settings.DELIVERY_MAX_ATTEMPTS) & (
        Q(status__in=[DeliveryStatus.PENDING, DeliveryStatus.FAILED], next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - lease())
    )


# --- planning ---------------------------------------------------------------------------------


def _insert(rows: list[Delivery]) -> None:
    # INSERT ... ON CONFLICT DO NOTHING: the partial unique constraints drop repeats.
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=PLAN_CHUNK)


def deliveries_plan_reminders(*, meeting_ids: Iterable[int]) -> list[int]:
    """One reminder row per (meeting, person of its pair with an email address who takes
    reminders). Returns the ids of these meetings' reminders not yet sent, in id order."""
    meeting_ids = list(meeting_ids)
    waiting: list[int] = []
    for start in range(0, len(meeting_ids), PLAN_CHUNK):
        chunk = meeting_ids[start : start + PLAN_CHUNK]
        meetings = list(SyncMeeting.objects.filter(pk__in=chunk).with_people())
        takers = reminders.reminders_on(
            p.pk for meeting in meetings for p in meeting.series.participants()
        )
        _insert(
            [
                Delivery(kind=DeliveryKind.REMINDER, meeting=meeting, recipient=person)
                for meeting in meetings
                for person in meeting.series.participants()
                if person.is_active and person.email and person.pk in takers
            ]
        )
        waiting += (
            Delivery.objects.filter(kind=DeliveryKind.REMINDER, meeting_id__in=chunk)
            .exclude(status=DeliveryStatus.SENT)
            .values_list("pk", flat=True)
        )
    return sorted(waiting)


def deliveries_plan_digests(*, week: date, today: date) -> list[int]:
    """One digest row for the week (its Monday) per person with something waiting on them
    today. Returns the ids of the week's digests not yet sent."""
    recipients = digests.recipient_ids(today)
    _insert(
        [
            Delivery(kind=DeliveryKind.DIGEST, digest_week=week, recipient_id=pk)
            for pk in sorted(recipients)
        ]
    )
    return sorted(
        Delivery.objects.filter(kind=DeliveryKind.DIGEST, digest_week=week)
        .exclude(status=DeliveryStatus.SENT)
        .values_list("pk", flat=True)
    )


def digest_week(now: datetime) -> date:
    """The Monday (UTC) of the week containing `now`: the key of that week's digests."""
    day = now.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def digests_plan_current(*, now: datetime | None = None) -> list[int]:
    """Plan the digests of the current week (idempotent: once per person and week)."""
    now = now or timezone.now()
    return deliveries_plan_digests(week=digest_week(now), today=timezone.localdate(now))


def reminders_due(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """The (series id, week start) of every meeting whose reminder window is open at `now`,
    after creating the series of pairs that started sharing an active project (and ending
    those that stopped)."""
    now = now or timezone.now()
    alignment_services.series_ensure_for_active_projects()
    return [(due.series.pk, due.week_start) for due in reminders.due_meetings(now)]


def reminders_prepare(*, due: Iterable[tuple[int, date]]) -> list[int]:
    """Prepare these meetings and plan their reminders; returns the ids of the reminders not
    yet sent.

    A meeting is prepared (its agenda built from live data) once per reminder window: one
    prepared since its window opened is left as it is, so a later run in the same window only
    plans deliveries, which is idempotent."""
    due = list(due)
    series = SyncSeries.objects.in_bulk([series_id for series_id, _ in due])
    prepared = {
        (row["series_id"], row["week_start"]): row
        for row in SyncMeeting.objects.filter(
            series_id__in=list(series),
            week_start__in={week for _, week in due},
            prepared_at__isnull=False,
        ).values("pk", "series_id", "week_start", "prepared_at")
    }
    meeting_ids, to_prepare = [], []
    for series_id, week_start in due:
        one = series.get(series_id)
        if one is None:  # deleted since it was found due
            continue
        remind_from = reminders.reminder_opens_at(one, one.starts_at(week_start))
        row = prepared.get((series_id, week_start))
        if row is not None and row["prepared_at"] >= remind_from:
            meeting_ids.append(row["pk"])
        else:
            to_prepare.append((series_id, week_start))
    if to_prepare:
        # All together: a few queries per section for the whole chunk.
        meetings = alignment_services.meetings_prepare(due=to_prepare)
        meeting_ids += [meeting.pk for meeting in meetings]
    return deliveries_plan_reminders(meeting_ids=meeting_ids)


def reminders_prepare_due(*, now: datetime | None = None) -> list[int]:
    """Prepare every meeting whose reminder window is open and plan its reminders, in this
    process (the send_reminders command; the beat task spreads the same work over tasks)."""
    return reminders_prepare(due=reminders_due(now=now))


# --- claiming and sending ---------------------------------------------------------------------


def deliveries_claim(
    *, token: str, limit: int, ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[int]:
    """Atomically take up to `limit` claimable rows (of `ids` when given) for `token`."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = Delivery.objects.filter(claimable(now))
        if ids is not None:
            rows = rows.filter(pk__in=list(ids))
        picked = list(
            rows.order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if picked:
            Delivery.objects.filter(pk__in=picked).update(
                status=DeliveryStatus.SENDING,
                claimed_at=now,
                claimed_by=token,
                attempts=F("attempts") + 1,
            )
    return picked


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    released: int = 0
    # The earliest time one of the given ids may be tried again (None: nothing left to try).
    next_due: datetime | None = None

    def __iadd__(self, other: SendReport) -> SendReport:
        self.claimed += other.claimed
        self.sent += other.sent
        self.failed += other.failed
        self.released += other.released
        return self


def _mine(delivery_id: int, token: str) -> QuerySet[Delivery]:
    return Delivery.objects.filter(pk=delivery_id, claimed_by=token, status=DeliveryStatus.SENDING)


def _mark_sent(delivery: Delivery, token: str) -> None:
    """One UPDATE, committed on its own (autocommit) right after the server accepted the
    message: the shortest possible window between the two."""
    updated = _mine(delivery.pk, token).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error=""
    )
    if not updated:  # pragma: no cover - needs a lease to expire mid-message
        logger.warning("delivery %s was reclaimed while it was being sent", delivery.pk)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _is_permanent(exc: smtplib.SMTPRecipientsRefused | smtplib.SMTPResponseException) -> bool:
    """5xx answers will not change on their own; 4xx may."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return exc.smtp_code >= 500  # the other MESSAGE_ERRORS are SMTPResponseExceptions


def _closes_connection(exc: BaseException) -> bool:
    """421: the server is going away (smtplib has closed the connection)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(code == 421 for code, _ in exc.recipients.values())
    return getattr(exc, "smtp_code", None) == 421


def _mark_failed(delivery: Delivery, token: str, error: str, *, permanent: bool = False) -> None:
    now = timezone.now()
    changes = {"status": DeliveryStatus.FAILED, "last_error": error[:500]}
    if permanent:
        # No further attempt: the claim query skips rows at the maximum.
        changes["attempts"] = settings.DELIVERY_MAX_ATTEMPTS
    else:
        changes["next_attempt_at"] = now + backoff(delivery.attempts)
    _mine(delivery.pk, token).update(**changes)


def _release(deliveries: list[Delivery], token: str, *, after: timedelta, error: str = "") -> int:
    """Give unattempted rows back: pending again, the attempt not counted, due after `after`."""
    if not deliveries:
        return 0
    changes = {
        "status": DeliveryStatus.PENDING,
        "attempts": F("attempts") - 1,
        "claimed_by": "",
        "claimed_at": None,
        "next_attempt_at": timezone.now() + after,
    }
    if error:
        changes["last_error"] = error[:500]
    return Delivery.objects.filter(
        pk__in=[d.pk for d in deliveries], claimed_by=token, status=DeliveryStatus.SENDING
    ).update(**changes)


def _load(ids: list[int], token: str) -> list[Delivery]:
    return list(
        Delivery.objects.filter(pk__in=ids, claimed_by=token, status=DeliveryStatus.SENDING)
        .select_related("recipient", "series__product_manager", "series__project_manager")
        .order_by("pk")
    )


def _messages(deliveries: list[Delivery]) -> dict[int, EmailMessage | BaseException]:
    """Render every message of a batch before the connection opens, with the batch's data
    loaded in a few queries. A message that cannot be rendered maps to its error."""
    built: dict[int, EmailMessage | BaseException] = {}
    today = timezone.localdate()
    reminder_rows = [d for d in deliveries if d.kind == DeliveryKind.REMINDER]
    digest_rows = [d for d in deliveries if d.kind == DeliveryKind.DIGEST]
    for d in deliveries:
        if d.kind == DeliveryKind.CANCELLATION:
            try:
                built[d.pk] = reminders.cancellation_message(d)
            except Exception as exc:  # a broken message must not hold up the rest of the batch
                logger.exception("could not render cancellation %s", d.pk)
                built[d.pk] = exc
    contexts = reminders.reminder_contexts([d.meeting_id for d in reminder_rows])
    for d in reminder_rows:
        try:
            built[d.pk] = reminders.reminder_message(d, contexts[d.meeting_id])
        except Exception as exc:  # a broken message must not hold up the rest of the batch
            logger.exception("could not render reminder %s", d.pk)
            built[d.pk] = exc
    for d in digest_rows:
        try:
            built[d.pk] = digests.digest_message(d, digests.digest_for(d.recipient, today))
        except Exception as exc:
            logger.exception("could not render digest %s", d.pk)
            built[d.pk] = exc
    return built


def _send_batch(ids: list[int], token: str, claimed_at: datetime) -> SendReport:
    report = SendReport(claimed=len(ids))
    deliveries = _load(ids, token)
    built = _messages(deliveries)
    return _send_over_one_connection(deliveries, built, token, claimed_at, report)


def _send_over_one_connection(
    deliveries: list[Delivery],
    built: dict[int, EmailMessage | BaseException],
    token: str,
    claimed_at: datetime,
    report: SendReport,
) -> SendReport:
    mail = get_connection()
    try:
        mail.open()
    except CONNECTION_ERRORS as exc:
        report.released += _release(
            deliveries, token, after=backoff(1), error=f"could not connect: {_describe(exc)}"
        )
        raise
    accepted: list[Delivery] = []  # accepted by the server, its 'sent' mark not yet written

    def mark_accepted() -> None:
        while accepted:
            _mark_sent(accepted.pop(), token)
            report.sent += 1

    try:
        for index, delivery in enumerate(deliveries):
            if timezone.now() - claimed_at > lease() / 2:
                mark_accepted()
                # Stop before the lease could run out mid-batch; the rest is claimed again.
                report.released += _release(deliveries[index:], token, after=timedelta(0))
                break
            message = built[delivery.pk]
            if isinstance(message, BaseException):
                mark_accepted()
                _mark_failed(
                    delivery, token, f"could not render: {_describe(message)}", permanent=True
                )
                report.failed += 1
                continue
            try:
                _hand_over(mail, message, mark_accepted)
            except CONNECTION_ERRORS as exc:
                _mark_failed(delivery, token, _describe(exc))
                report.failed += 1
                report.released += _release(
                    deliveries[index + 1 :], token, after=backoff(1), error=_describe(exc)
                )
                raise
            except MESSAGE_ERRORS as exc:
                _mark_failed(delivery, token, _describe(exc), permanent=_is_permanent(exc))
                report.failed += 1
                if _closes_connection(exc):
                    report.released += _release(
                        deliveries[index + 1 :], token, after=backoff(1), error=_describe(exc)
                    )
                    raise
                continue
            accepted.append(delivery)
        mark_accepted()
    finally:
        try:
            mail.close()
        except CONNECTION_ERRORS:  # pragma: no cover - quitting a dead connection
            logger.info("the mail connection closed badly", exc_info=True)
    return report


def _abort_transaction(smtp: smtplib.SMTP, code: int) -> None:
    """What smtplib does when the server refuses a step: hang up on 421, else reset."""
    if code == 421:
        smtp.close()
    else:
        smtp._rset()


def _hand_over(mail, message: EmailMessage, meanwhile) -> None:
    """Send one message over the batch's connection; `meanwhile()` writes the previous
    message's 'sent' mark.

    With Django's SMTP backend the SMTP transaction is driven here, step by step as the
    backend's _send and smtplib's sendmail do, so that the mark's database round trip runs
    while the server answers this message's MAIL command. MAIL hands nothing over (the content
    goes with DATA, two answers later), so the previous message is still marked before this
    one can be delivered, and right after its own acceptance (a socket write later than
    before); `meanwhile` runs whatever happens. Other backends (console, in-memory) send as
    usual, after the mark."""
    smtp = mail.connection if isinstance(mail, SmtpBackend) else None
    if smtp is None:
        meanwhile()
        mail.send_messages([message])
        return
    try:
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in message.recipients()]
        data = message.message().as_bytes(linesep="\r\n")
        smtp.ehlo_or_helo_if_needed()
        size = f" size={len(data)}" if smtp.does_esmtp and smtp.has_extn("size") else ""
        smtp.putcmd("mail", f"from:{smtplib.quoteaddr(sender)}{size}")
    finally:
        meanwhile()
    code, answer = smtp.getreply()
    if code != 250:
        _abort_transaction(smtp, code)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    refused = {}
    for recipient in recipients:
        code, answer = smtp.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, answer)
        if code == 421:
            smtp.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        smtp._rset()
        raise smtplib.SMTPRecipientsRefused(refused)
    code, answer = smtp.data(data)
    if code != 250:
        _abort_transaction(smtp, code)
        raise smtplib.SMTPDataError(code, answer)


def deliveries_send(
    *,
    ids: Iterable[int] | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    token: str | None = None,
) -> SendReport:
    """Claim and send due deliveries (only `ids` when given) in batches, one SMTP connection per
    batch, until none is left or `max_batches` were sent.

    Raises the connection error that interrupted a batch, after its rows were failed or
    released; the rows sent before it stay sent. With `ids`, the report's `next_due` says when
    the first of them that is still unsent may be tried again."""
    batch_size = batch_size or settings.DELIVERY_BATCH_SIZE
    ids = None if ids is None else list(ids)
    report = SendReport()
    batches = 0
    while max_batches is None or batches < max_batches:
        claim_token = token or sender_token()
        claimed_at = timezone.now()
        claimed = deliveries_claim(token=claim_token, limit=batch_size, ids=ids, now=claimed_at)
        if not claimed:
            break
        batch = _send_batch(claimed, claim_token, claimed_at)
        report += batch
        batches += 1
        if not (batch.sent or batch.failed):
            break  # every row was handed back: stop rather than claim them again at once
    if ids is not None:
        report.next_due = next_attempt(ids)
    return report


def next_attempt(ids: Iterable[int]) -> datetime | None:
    """When the first unsent of these deliveries may be tried again: its next attempt, or the
    end of its lease when it is being sent; None when all are sent or given up."""
    now = timezone.now()
    times = []
    for status, next_at, claimed_at in (
        Delivery.objects.filter(pk__in=list(ids), attempts__lt=settings.DELIVERY_MAX_ATTEMPTS)
        .exclude(status=DeliveryStatus.SENT)
        .values_list("status", "next_attempt_at", "claimed_at")
    ):
        if status == DeliveryStatus.SENDING and claimed_at is not None:
            times.append(claimed_at + lease())
        else:
            times.append(next_at)
    return max(min(times), now) if times else None
