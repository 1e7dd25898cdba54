from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from products import services as product_services
from products.models import ProductRisk
from projects import services as project_services
from projects.models import ChangeRequest, Deliverable
from roleplan.alignment import services
from roleplan.alignment.agenda import day
from roleplan.alignment.models import AgendaEntry, SyncMeeting, SyncSeries
from tests.alignment.sync_factories import make_series
from tests.products.factories import make_item
from tests.projects.factories import (
    CostLineFactory,
    DeliverableFactory,
    MilestoneFactory,
    RiskFactory,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=ZoneInfo("UTC"))


def keys(meeting: SyncMeeting, section: str | None = None) -> set[str]:
    qs = AgendaEntry.objects.filter(meeting=meeting, stale=False)
    if section:
        qs = qs.filter(section=section)
    return set(qs.values_list("key", flat=True))


@pytest.fixture
def series(db):
    with time_machine.travel(NOW - timedelta(days=30), tick=False):
        return make_series()


def prepare(series, moment=NOW) -> SyncMeeting:
    with time_machine.travel(moment, tick=False):
        return services.meeting_prepare(series_id=series.pk, week_start=series.week_start(moment))


def test_status_shows_health_milestones_spend_and_new_scope(series):
    project = series.project
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        MilestoneFactory(
            project=project,
            title="Old and done",
            due_date=date(2026, 10, 1),
            done_on=date(2026, 10, 1),
        )
    missed = MilestoneFactory(
        project=project, title="Go-live rehearsal", due_date=date(2026, 11, 20)
    )
    due = MilestoneFactory(project=project, title="Switch-off", due_date=date(2026, 11, 25))
    CostLineFactory(
        project=project, planned=Decimal(1000), actual=Decimal(1500), date=date(2026, 11, 1)
    )
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        added = DeliverableFactory(project=project, title="Consent import")
    meeting = prepare(series)
    p = f"p{project.pk}"
    assert keys(meeting, "status") == {f"{p}:health", f"{p}:spend"}
    assert keys(meeting, "milestones") == {f"{p}:ms:{missed.pk}", f"{p}:ms:{due.pk}"}
    assert keys(meeting, "scope") == {f"{p}:scope:{added.pk}"}  # added after the baseline
    entries = {e.key: e for e in meeting.entries.all()}
    assert entries[f"{p}:ms:{missed.pk}"].tone == "bad"
    assert (
        entries[f"{p}:ms:{missed.pk}"].title == "Milestone overdue: Go-live rehearsal (Fri 20 Nov)"
    )
    assert "was due Fri 20 Nov, 2 days ago" in entries[f"{p}:ms:{missed.pk}"].detail
    # Due after the project's deadline: flagged, named with both dates.
    assert entries[f"{p}:ms:{due.pk}"].title == "Milestone flagged: Switch-off (Wed 25 Nov)"
    assert "due after the project's deadline" in entries[f"{p}:ms:{due.pk}"].detail
    assert entries[f"{p}:spend"].tone == "warn"  # actual above plan to date
    assert {e.project_id for e in entries.values() if e.section != "problems"} == {project.pk}


def test_backlog_shows_items_changed_or_added_since_the_last_sync(series):
    product = series.project.product
    with time_machine.travel(NOW - timedelta(days=20), tick=False):
        make_item(product, title="Quiet item", horizon="later")
        moved = make_item(product, title="Moved item", horizon="later")
    last = prepare(series, NOW - timedelta(days=7))
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        product_services.roadmap_item_move(
            item_id=moved.pk,
            horizon="now",
            position=0,
            by=product.asset.owner,
        )
        fresh = make_item(product, title="Fresh idea", horizon="next")
    meeting = prepare(series)
    assert last.pk != meeting.pk
    d = f"d{product.pk}"
    backlog = keys(meeting, "backlog")
    assert backlog == {f"{d}:item:{moved.pk}", f"{d}:item:{fresh.pk}"}
    entry = meeting.entries.get(key=f"{d}:item:{moved.pk}")
    assert (entry.product_id, entry.project_id) == (product.pk, None)
    assert entry.title.startswith("Reprioritised")
    assert "Later #2 → Now #1" in entry.detail


def test_pipeline_shows_now_and_next_items_not_in_any_scope(series):
    product = series.project.product
    scheduled = make_item(product, title="Scheduled", horizon="now")
    waiting = make_item(product, title="Waiting", horizon="next")
    later = make_item(product, title="Later one", horizon="later")
    shipped = make_item(product, title="Shipped one", horizon="now", status="shipped")
    DeliverableFactory(project=series.project, roadmap_item=scheduled)
    meeting = prepare(series)
    assert keys(meeting, "pipeline") == {f"d{product.pk}:pipe:{waiting.pk}"}
    assert not {f"d{product.pk}:pipe:{x.pk}" for x in (scheduled, later, shipped)} & keys(meeting)


def test_scores_read_as_the_board_shows_them(series):
    """RICE 200 × 2 × 80% ÷ 3 = 106.67: the board's card shows 107, and so do the agenda's
    backlog and pipeline lines (not 106.7)."""
    product = series.project.product
    with time_machine.travel(NOW - timedelta(days=1), tick=False):
        item = make_item(
            product,
            title="Scored",
            horizon="next",
            reach=200,
            impact=Decimal(2),
            confidence=80,
            effort=Decimal(3),
        )
    meeting = prepare(series)
    assert item.rice_score == pytest.approx(106.67, abs=0.01)
    d = f"d{product.pk}"
    assert meeting.entries.get(key=f"{d}:item:{item.pk}").detail.endswith("RICE 107")
    assert meeting.entries.get(key=f"{d}:pipe:{item.pk}").detail.endswith("· RICE 107")


def test_change_requests_new_risks_and_ownership_gaps(series):
    project = series.project
    p, d = f"p{project.pk}", f"d{project.product_id}"
    with time_machine.travel(NOW - timedelta(days=40), tick=False):
        calm = RiskFactory(project=project, probability=1, impact=2, review_date=date(2026, 12, 31))
    cr = project_services.change_request_create(
        project_id=project.pk,
        by=project.product.asset.owner,
        title="Feature XYZ too",
        description="Add XYZ",
        why="Repurchase rate",
    )
    high = RiskFactory(project=project, probability=4, impact=4, review_date=date(2026, 12, 31))
    meeting = prepare(series)
    assert keys(meeting, "changes") == {f"{p}:cr:{cr.pk}"}
    assert keys(meeting, "risks") == {f"{p}:risk:{high.pk}"}  # new; `calm` predates the baseline
    assert f"{p}:risk:{calm.pk}" not in keys(meeting)
    asset = project.product.asset
    assert keys(meeting, "problems") == {f"{d}:gap:unconfirmed"}  # never confirmed
    manager = series.project_manager.get_full_name()
    assert meeting.entries.get(key=f"{p}:cr:{cr.pk}").title.endswith(
        f"awaits options from {manager}"
    )
    assert asset.name in meeting.entries.get(key=f"{d}:gap:unconfirmed").title


def test_rebuilding_keeps_ticks_and_marks_resolved_entries_stale(series):
    project = series.project
    owner = project.product.asset.owner
    cr = project_services.change_request_create(
        project_id=project.pk, by=owner, title="XYZ", description="d", why="w"
    )
    meeting = prepare(series)
    entry = meeting.entries.get(key=f"p{project.pk}:cr:{cr.pk}")
    services.entry_mark(entry_id=entry.pk, discussed=True, by=owner)
    ChangeRequest.objects.filter(pk=cr.pk).update(status="withdrawn", withdrawn_at=timezone.now())
    prepare(series)
    entry.refresh_from_db()
    assert entry.discussed is True
    assert entry.stale is True
    before = AgendaEntry.objects.filter(meeting=meeting).count()
    prepare(series)
    assert AgendaEntry.objects.filter(meeting=meeting).count() == before


@pytest.mark.postgresql  # row locks under real concurrent connections
@pytest.mark.django_db(transaction=True)
def test_concurrent_preparations_of_one_meeting_never_duplicate_entries():
    series = make_series()
    DeliverableFactory(project=series.project)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work():
        try:
            barrier.wait()
            services.meeting_prepare(
                series_id=series.pk, week_start=series.week_start(timezone.now())
            )
        except BaseException as exc:  # noqa: BLE001 - collected and asserted
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert SyncMeeting.objects.filter(series=series).count() == 1
    meeting = SyncMeeting.objects.get(series=series)
    keys_ = list(meeting.entries.values_list("key", flat=True))
    assert len(keys_) == len(set(keys_)) > 0


def entries_of(meeting: SyncMeeting) -> list[tuple]:
    return list(
        AgendaEntry.objects.filter(meeting=meeting)
        .order_by("position", "key")
        .values_list("key", "section", "title", "detail", "url", "tone", "position", "stale")
    )


# 20:00 UTC: already Monday 23 November in Tokyo, still Sunday 22 in Berlin and New York.
EVENING = datetime(2026, 11, 22, 20, 0, tzinfo=ZoneInfo("UTC"))
ZONES = ["Europe/Berlin", "Asia/Tokyo", "America/New_York"]


def varied_series():
    """Three syncs whose agendas differ in every section, in zones whose dates differ."""
    made = []
    for n in range(3):
        with time_machine.travel(NOW - timedelta(days=30), tick=False):
            series = make_series(time_zone=ZONES[n])
        project = series.project
        MilestoneFactory(project=project, title=f"Missed {n}", due_date=date(2026, 11, 18 + n))
        MilestoneFactory(project=project, title=f"Due {n}", due_date=date(2026, 11, 24 + n))
        MilestoneFactory(
            project=project,
            title=f"Done {n}",
            due_date=date(2026, 11, 20),
            done_on=date(2026, 11, 19 + n),
        )
        CostLineFactory(
            project=project,
            planned=Decimal(1000),
            actual=Decimal(900 + 200 * n),
            date=date(2026, 11, 1),
        )
        RiskFactory(project=project, probability=4, impact=4 - n, review_date=date(2026, 12, 31))
        # Past its review in Tokyo only (where it is already the 23rd).
        RiskFactory(project=project, probability=1, impact=2, review_date=date(2026, 11, 22))
        ProductRisk.objects.create(
            product=project.product,
            title=f"Churn {n}",
            category="business",
            probability=5,
            impact=3 + n % 2,
            owner=project.product.asset.owner,
        )
        with time_machine.travel(NOW - timedelta(days=2), tick=False):
            DeliverableFactory(project=project, title=f"Added {n}")
            make_item(project.product, title=f"Fresh {n}", horizon=["now", "next", "later"][n])
            dropped = DeliverableFactory(project=project, title=f"Dropped {n}")
            Deliverable.objects.filter(pk=dropped.pk).update(in_scope=False, moscow="wont")
        for _ in range(n):
            project_services.change_request_create(
                project_id=project.pk,
                by=project.product.asset.owner,
                title=f"Change {n}",
                description="d",
                why="w",
            )
        made.append(series)
    return made


def test_meetings_prepared_together_get_the_agenda_each_gets_alone(db):
    made = varied_series()
    due = [(s.pk, s.week_start(EVENING)) for s in made] + [
        (made[0].pk, made[0].week_start(EVENING) + timedelta(days=7))
    ]
    with time_machine.travel(EVENING, tick=False):
        together = services.meetings_prepare(due=due)
    assert [(m.series_id, m.week_start) for m in together] == due
    assert all(m.prepared_at is not None for m in together)
    built = {m.pk: entries_of(m) for m in together}
    # Each meeting got its own project's facts, as of its own day.
    for n, meeting in enumerate(together[:3]):
        titles = [row[2] for row in built[meeting.pk]]
        assert sum(t.startswith("CR-") for t in titles) == n
        assert f"Milestone overdue: Missed {n} ({day(date(2026, 11, 18 + n))})" in titles
        assert f"Milestone done: Done {n} (Fri 20 Nov)" in titles
        assert f"Scope added: Added {n}" in titles
        assert f"New risk: Churn {n} (business)" in titles
        # "Due {n}" falls on the 24th + n: within two weeks of every meeting's own day.
        assert any(f": Due {n} (" in t for t in titles)
    AgendaEntry.objects.all().delete()
    # (The fourth meeting follows the first: built alone now, it says what is new since the
    # first one's agenda, which did not exist yet when they were built together.)
    for series_id, week in due[:3]:
        with time_machine.travel(EVENING, tick=False):
            alone = services.meeting_prepare(series_id=series_id, week_start=week)
        assert entries_of(alone) == built[alone.pk]


def test_preparing_many_meetings_takes_as_many_queries_as_preparing_two(db):
    made = varied_series()
    counts = []
    with time_machine.travel(NOW, tick=False):  # every meeting below has a previous one
        services.meetings_prepare(due=[(s.pk, s.week_start(NOW)) for s in made])
    for due in (
        [(s.pk, s.week_start(NOW) + timedelta(days=7)) for s in made[:2]],
        [(s.pk, s.week_start(NOW) + timedelta(days=7 * k)) for s in made for k in (2, 3)],
    ):
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as ctx:
            services.meetings_prepare(due=due)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_preparing_an_unknown_series_says_so(db):
    with pytest.raises(SyncSeries.DoesNotExist):
        services.meeting_prepare(series_id=987654, week_start=date(2026, 11, 23))
    assert services.meetings_prepare(due=[(987654, date(2026, 11, 23))]) == []
