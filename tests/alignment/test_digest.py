"""The weekly digest: per person, what waits on them (overdue action items, ownership gaps of
what they own, risks past review, change requests waiting on their decision or their options),
planned once per week and person, sent once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.models import ChangeOption, ChangeRequest
from roleplan.alignment import delivery
from roleplan.alignment.digest import digest_for, recipient_ids
from roleplan.alignment.models import (
    ActionItem,
    Delivery,
    DeliveryKind,
    DeliveryStatus,
    SyncMeeting,
    SyncSeries,
    Weekday,
)
from roleplan.ownership.models import Asset
from tests.alignment.delivery_fixtures import make_series, people
from tests.factories import AssetFactory
from tests.products.factories import RiskFactory as ProductRiskFactory
from tests.projects.factories import RiskFactory as ProjectRiskFactory

pytestmark = pytest.mark.django_db

# Monday 1 June 2026, 07:00 UTC: the digest run.
DIGEST_RUN = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def monday_morning():
    """Gaps and overdue dates are read on the real clock: stop it at the digest run."""
    with time_machine.travel(DIGEST_RUN, tick=False):
        yield


@pytest.fixture
def priya(db):
    return people("Priya", "Patel")


@pytest.fixture
def marco(db):
    return people("Marco", "Rossi")


@pytest.fixture
def series(priya, marco):
    series = make_series(product_owner=priya, manager=marco, weekday=Weekday.TUESDAY)
    # Both confirmed their ownership: no gap unless a test makes one.
    Asset.objects.update(confirmed_at=DIGEST_RUN)
    return series


def meeting_of(series, week_start=date(2026, 5, 25)):
    return SyncMeeting.objects.create(
        series=series, week_start=week_start, starts_at=series.starts_at(week_start)
    )


def change_request(project, by, number, *, options=0, **fields):
    cr = ChangeRequest.objects.create(
        project=project,
        number=number,
        title=fields.pop("title", f"Change {number}"),
        description="More scope",
        why="Black Friday",
        requested_by=by,
        **fields,
    )
    for n in range(options):
        ChangeOption.objects.create(
            request=cr, label="ABC"[n], title=f"Option {'ABC'[n]}", created_by=project.manager
        )
    return cr


def test_a_digest_lists_every_open_action_item_of_its_person_overdue_first(series, priya, marco):
    meeting = meeting_of(series)
    late = ActionItem.objects.create(
        meeting=meeting,
        text="Send the consent plan",
        owner=marco,
        created_by=priya,
        due_date=date(2026, 5, 29),
    )
    ActionItem.objects.create(
        meeting=meeting,
        text="Not yet due",
        owner=marco,
        created_by=priya,
        due_date=TODAY,
    )
    ActionItem.objects.create(
        meeting=meeting,
        text="Done late",
        owner=marco,
        created_by=priya,
        due_date=date(2026, 5, 20),
        done_at=DIGEST_RUN,
        done_by=marco,
    )
    ActionItem.objects.create(
        meeting=meeting,
        text="Priya's own",
        owner=priya,
        created_by=priya,
        due_date=date(2026, 5, 20),
    )
    digest = digest_for(marco, TODAY, now=DIGEST_RUN)
    assert digest.overdue_actions == [late]
    assert [a.text for a in digest.open_actions] == ["Not yet due"]
    assert digest.count == 2


def test_a_digest_lists_the_gaps_of_assets_its_person_owns(series, priya, marco):
    stale = AssetFactory(kind="system", name="Legacy ESP", owner=priya, confirmed_at=None)
    AssetFactory(kind="process", name="Campaign approval", owner=marco, confirmed_at=None)
    digest = digest_for(priya, TODAY, now=DIGEST_RUN)
    assert [(asset, [g.value for g in gaps]) for asset, gaps in digest.gaps] == [
        (stale, ["unconfirmed"])
    ]


def test_a_digest_lists_open_project_and_product_risks_past_review_that_its_person_owns(
    series, priya, marco
):
    project = series.project
    late = ProjectRiskFactory(project=project, owner=marco, review_date=date(2026, 5, 31))
    ProjectRiskFactory(project=project, owner=marco, review_date=TODAY)
    ProjectRiskFactory(project=project, owner=marco, review_date=date(2026, 5, 1), status="closed")
    ProjectRiskFactory(project=project, owner=priya, review_date=date(2026, 5, 1))
    product = project.product
    product_late = ProductRiskFactory(product=product, owner=marco, review_date=date(2026, 5, 2))
    ProductRiskFactory(product=product, owner=marco, review_date=None)
    ProductRiskFactory(product=product, owner=marco, review_date=date(2026, 5, 2), status="closed")
    digest = digest_for(marco, TODAY, now=DIGEST_RUN)
    assert digest.project_risks == [late]
    assert digest.product_risks == [product_late]


def test_change_requests_wait_on_the_product_owner_with_options_and_on_the_manager_without(
    series, priya, marco
):
    project = series.project
    needs_decision = change_request(project, priya, 1, options=2, title="Feature XYZ")
    needs_options = change_request(project, priya, 2, title="Feature QRS")
    change_request(project, priya, 3, options=1, status="withdrawn", withdrawn_at=DIGEST_RUN)
    for_priya = digest_for(priya, TODAY, now=DIGEST_RUN)
    for_marco = digest_for(marco, TODAY, now=DIGEST_RUN)
    assert for_priya.decisions_waiting == [needs_decision]
    assert for_priya.options_waiting == []
    assert for_marco.options_waiting == [needs_options]
    assert for_marco.decisions_waiting == []


def test_a_digest_shows_its_person_syncs_of_the_week_in_each_series_time_zone(series, priya, marco):
    make_series(
        product_owner=priya, weekday=Weekday.THURSDAY, at=time(9, 30), zone="America/New_York"
    )
    digest = digest_for(priya, TODAY, now=DIGEST_RUN)
    assert [sync.when["text"] for sync in digest.upcoming] == [
        "Tuesday 2 June 2026, 10:00 Europe/Berlin",
        "Thursday 4 June 2026, 09:30 America/New_York",
    ]


def test_recipients_are_the_active_people_with_an_address_and_something_waiting(
    series, priya, marco
):
    idle = people("Ida", "Idle")
    gone = people("Gus", "Gone")
    ProjectRiskFactory(project=series.project, owner=gone, review_date=date(2026, 5, 1))
    gone.is_active = False
    gone.save()
    silent = people("Sam", "Silent")
    silent.email = ""
    silent.save()
    ProjectRiskFactory(project=series.project, owner=silent, review_date=date(2026, 5, 1))
    assert recipient_ids(TODAY) == {marco.pk, priya.pk}  # their sync of the week
    SyncSeries.objects.filter(pk=series.pk).update(paused=True)
    assert recipient_ids(TODAY) == set()
    change_request(series.project, priya, 1)
    assert recipient_ids(TODAY) == {marco.pk}
    ActionItem.objects.create(
        meeting=meeting_of(series),
        text="Legal review",
        owner=priya,
        created_by=marco,
        due_date=date(2026, 5, 28),
    )
    assert recipient_ids(TODAY) == {marco.pk, priya.pk}
    assert idle.pk not in recipient_ids(TODAY)


def test_digests_are_planned_once_per_person_and_week_and_sent_once(series, priya, marco):
    change_request(series.project, priya, 1, options=1, title="Feature XYZ")
    change_request(series.project, priya, 2, title="Feature QRS")
    with time_machine.travel(DIGEST_RUN, tick=False):
        first = delivery.digests_plan_current()
        second = delivery.digests_plan_current()
        assert first == second
        assert len(first) == 2
        assert delivery.deliveries_send(ids=first).sent == 2
        assert delivery.digests_plan_current() == []
        assert delivery.deliveries_send().sent == 0
    assert {(d.kind, d.digest_week, d.status) for d in Delivery.objects.all()} == {
        (DeliveryKind.DIGEST, date(2026, 6, 1), DeliveryStatus.SENT)
    }
    assert len(mail.outbox) == 2
    # The next week is a new digest.
    with time_machine.travel(DIGEST_RUN + timedelta(days=7), tick=False):
        assert len(delivery.digests_plan_current()) == 2


def test_the_database_refuses_a_second_digest_for_the_same_week_and_person(series, priya):
    Delivery.objects.create(kind=DeliveryKind.DIGEST, digest_week=TODAY, recipient=priya)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(kind=DeliveryKind.DIGEST, digest_week=TODAY, recipient=priya)


def test_the_digest_email_lists_everything_with_links_in_text_and_html(
    series, priya, marco, settings
):
    settings.SITE_URL = "https://plan.example.com"
    project = series.project
    cr = change_request(project, priya, 4, options=2, title="Feature XYZ")
    ActionItem.objects.create(
        meeting=meeting_of(series),
        text="Book the load test",
        owner=priya,
        created_by=marco,
        due_date=date(2026, 5, 28),
    )
    ProductRiskFactory(
        product=project.product, owner=priya, review_date=date(2026, 5, 3), title="GDPR consent"
    )
    AssetFactory(kind="system", name="Legacy ESP", owner=priya, confirmed_at=None)
    with time_machine.travel(DIGEST_RUN, tick=False):
        delivery.digests_plan_current()
        delivery.deliveries_send()
    [message] = [m for m in mail.outbox if priya.email in m.to[0]]
    row = Delivery.objects.get(recipient=priya)
    assert message.extra_headers["Message-ID"] == row.message_id
    assert message.subject == "Your week in roleplan: 4 things wait on you"
    html = message.alternatives[0][0]
    for text in (message.body, html):
        assert "Book the load test" in text
        assert "CR-4 Feature XYZ" in text
        assert "GDPR consent" in text
        assert "Legacy ESP" in text
        assert "Unconfirmed" in text
        assert "Tuesday 2 June 2026, 10:00" in text
        assert f"https://plan.example.com{cr.get_absolute_url()}" in text
    assert "your decision as product owner (2 options)" in html
    assert "CR-4 Feature XYZ · " in message.body
    assert "your decision as product owner (2 options)" in message.body
    assert "on Monday 1 June 2026." in message.body


def test_a_digest_reads_the_same_number_of_queries_with_more_items(
    series, priya, marco, django_assert_num_queries
):
    def add(n: int, start: int) -> None:
        meeting = meeting_of(series, date(2026, 5, 25) - timedelta(days=7 * start))
        for i in range(n):
            ActionItem.objects.create(
                meeting=meeting,
                text=f"Item {start}-{i}",
                owner=priya,
                created_by=marco,
                due_date=date(2026, 5, 1),
            )
            change_request(series.project, priya, 100 * start + i + 1, options=1)
            ProductRiskFactory(
                product=series.project.product, owner=priya, review_date=TODAY - timedelta(days=3)
            )
            AssetFactory(kind="process", owner=priya, confirmed_at=None)

    add(2, 1)
    with django_assert_num_queries(9):
        small = digest_for(priya, TODAY, now=DIGEST_RUN)
    add(20, 2)
    with django_assert_num_queries(9):
        large = digest_for(priya, TODAY, now=DIGEST_RUN)
    assert (small.count, large.count) == (8, 88)


def test_an_empty_digest_says_so(series, priya):
    from roleplan.alignment.digest import digest_message

    row = Delivery.objects.create(kind=DeliveryKind.DIGEST, digest_week=TODAY, recipient=priya)
    message = digest_message(row, digest_for(priya, timezone.localdate(), now=DIGEST_RUN))
    assert message.subject == "Your week in roleplan: 1 sync, nothing else waits on you"
    SyncSeries.objects.filter(pk=series.pk).update(paused=True)
    message = digest_message(row, digest_for(priya, timezone.localdate(), now=DIGEST_RUN))
    assert message.subject == "Your week in roleplan: nothing waits on you"
    assert "Nothing is waiting on you." in message.body
