"""The data migration that folds the per-project sync series into one series per pair of people
(roleplan/alignment/migrations/0004_fold_series_into_pairs.py), run on a database built with
the models of before (0002) and read with the models of after (0005)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("alignment", "0002_series_versioned")]
AFTER = [("alignment", "0005_pair_series_constraints")]
# Two past weeks (Mondays) and one to come.
W1, W2 = date(2026, 11, 2), date(2026, 11, 9)
FUTURE = date(2030, 1, 7)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(hour, 0), tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_per_project_series_fold_into_pair_series_keeping_every_minute():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # The other apps stay as they are now: read them at their latest state.
    others = [
        leaf
        for leaf in executor.loader.graph.leaf_nodes()
        if leaf[0] in {"auth", "ownership", "products", "projects"}
    ]
    old = executor.loader.project_state(BEFORE + others).apps
    User = old.get_model("auth", "User")
    Asset = old.get_model("ownership", "Asset")
    Handover = old.get_model("ownership", "Handover")
    Product = old.get_model("products", "Product")
    Project = old.get_model("projects", "Project")
    Series = old.get_model("alignment", "SyncSeries")
    Meeting = old.get_model("alignment", "SyncMeeting")
    Entry = old.get_model("alignment", "AgendaEntry")
    Action = old.get_model("alignment", "ActionItem")
    Decision = old.get_model("alignment", "Decision")
    priya, olga, marco, dana = (
        User.objects.create(username=name) for name in ("priya", "olga", "marco", "dana")
    )

    def product(name: str, owner) -> object:
        asset = Asset.objects.create(kind="product", name=name, slug=name.lower(), owner=owner)
        return Product.objects.create(asset=asset)

    crm, email, solo = product("CRM", priya), product("Email", priya), product("Solo", dana)
    # The CRM was Olga's until she handed it over to Priya after the first week.
    Handover.objects.create(
        asset=crm.asset, from_owner=olga, to_owner=priya, reason="new role", at=at(W1, 12)
    )

    def project(name: str, of, manager) -> object:
        return Project.objects.create(
            name=name,
            slug=name.lower().replace(" ", "-"),
            product=of,
            manager=manager,
            start_date=date(2026, 9, 1),
            deadline=date(2027, 3, 1),
            status="active",
            approved_at=at(W1) - timedelta(days=40),
            approved_by=of.asset.owner,
            benefits="b",
            outcomes="o",
        )

    calls, funnel = project("Calls", crm, marco), project("Funnel", crm, marco)
    mailing = project("Mailing", email, marco)
    own = project("Own", solo, dana)  # Dana owns the product and manages it: no pair

    def series(of, created: datetime, **fields) -> object:
        return Series.objects.create(project=of, created_at=created, **fields)

    first = series(calls, at(W1) - timedelta(days=30), time=time(10, 0))
    second = series(funnel, at(W1) - timedelta(days=20), time=time(11, 0), paused=True)
    third = series(mailing, at(W1) - timedelta(days=10), paused=True)
    lone = series(own, at(W1) - timedelta(days=5))

    def meeting(of, week: date, notes: str = "") -> object:
        return Meeting.objects.create(series=of, week_start=week, starts_at=at(week), notes=notes)

    calls_w1 = meeting(first, W1, "Calls went live.")
    Entry.objects.create(meeting=calls_w1, section="status", key="health", title="Health")
    Entry.objects.create(meeting=calls_w1, section="problems", key="cr:5", title="CR-5")
    Action.objects.create(meeting=calls_w1, text="Book IPs", owner=marco, created_by=marco)
    Decision.objects.create(meeting=calls_w1, text="Keep ABC", made_by=priya)
    funnel_w1 = meeting(second, W1, "Funnel is late.")
    Entry.objects.create(meeting=funnel_w1, section="status", key="health", title="Health")
    Decision.objects.create(meeting=funnel_w1, text="Move the funnel", made_by=olga)
    funnel_w2 = meeting(second, W2)
    Action.objects.create(meeting=funnel_w2, text="Call legal", owner=priya, created_by=marco)
    mailing_future = meeting(third, FUTURE)
    lone_w1 = meeting(lone, W1)  # empty: nothing written in it

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Series = new.get_model("alignment", "SyncSeries")
    Meeting = new.get_model("alignment", "SyncMeeting")
    Entry = new.get_model("alignment", "AgendaEntry")
    Action = new.get_model("alignment", "ActionItem")
    Decision = new.get_model("alignment", "Decision")
    Participant = new.get_model("alignment", "MeetingParticipant")
    try:
        # One series per pair: the earliest kept, with its id and settings; meeting if any of
        # the folded ones did. Dana's "sync with herself" is gone with its empty meeting.
        pair = Series.objects.get()
        assert pair.pk == first.pk
        assert (pair.product_manager_id, pair.project_manager_id) == (priya.pk, marco.pk)
        assert (pair.time, pair.paused) == (time(10, 0), False)
        assert not Meeting.objects.filter(pk__in=[lone_w1.pk, funnel_w1.pk]).exists()
        # Every meeting kept, two of one week merged into the one that was there first.
        weeks = dict(Meeting.objects.values_list("week_start", "pk"))
        assert weeks == {W1: calls_w1.pk, W2: funnel_w2.pk, FUTURE: mailing_future.pk}
        assert set(Meeting.objects.values_list("series_id", flat=True)) == {pair.pk}
        merged = Meeting.objects.get(pk=calls_w1.pk)
        assert merged.notes == "Calls went live.\n\n— Funnel —\nFunnel is late."
        # Nothing written is lost: action items and decisions, all in the pair's meetings.
        assert Action.objects.count() == 2
        assert Decision.objects.count() == 2
        assert set(Decision.objects.values_list("meeting_id", flat=True)) == {calls_w1.pk}
        # Agenda keys scoped by project and product, sections of now; a clash keeps both.
        keys = dict(Entry.objects.filter(meeting=merged).values_list("key", "section"))
        assert keys[f"p{calls.pk}:health"] == "status"
        assert keys[f"p{calls.pk}:cr:5"] == "changes"
        assert any(k.startswith(f"p{funnel.pk}:health") for k in keys)
        # Who took part: the owner at the time (Olga, before the handover) and the manager;
        # Priya is in the merged week too (its later part was hers) only if she owned it then.
        people = set(Participant.objects.filter(meeting=merged).values_list("user_id", flat=True))
        assert people == {olga.pk, marco.pk}
        later = set(
            Participant.objects.filter(meeting_id=funnel_w2.pk).values_list("user_id", flat=True)
        )
        assert later == {priya.pk, marco.pk}
        # A meeting still to come moves to the pair's time (10:00 in the series' zone).
        moved = Meeting.objects.get(pk=mailing_future.pk)
        assert moved.starts_at == datetime(2030, 1, 8, 9, 0, tzinfo=UTC)  # 10:00 CET
        assert not Series.objects.filter(pk__in=[second.pk, third.pk, lone.pk]).exists()
    finally:
        call_command("migrate", verbosity=0)
