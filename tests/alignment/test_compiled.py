"""Compiled queries (roleplan/compiled.py) return exactly the rows of the QuerySets
they are written as, for any parameter values, in every thread."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from projects import services as project_services
from roleplan.alignment import page, services
from roleplan.alignment.models import ActionItem, AgendaEntry, Decision
from roleplan.compiled import CompiledQuery
from tests.alignment.sync_factories import make_series
from tests.factories import UserFactory


@pytest.fixture
def meetings(db):
    """Two meetings of one series (the second carries the first's open items) and a meeting of
    another series, with entries, action items, decisions and change requests."""
    series = make_series()
    monday = date(2026, 11, 16)
    first = services.meeting_prepare(series_id=series.pk, week_start=monday - timedelta(days=7))
    second = services.meeting_prepare(series_id=series.pk, week_start=monday)
    other = services.meeting_prepare(series_id=make_series().pk, week_start=monday)
    manager = series.project.manager
    request = project_services.change_request_create(
        project_id=series.project_id, by=manager, title="More", description="d", why="w"
    )
    for meeting in (first, second, other):
        for n in range(3):
            ActionItem.objects.create(
                meeting=meeting,
                text=f"item {n}",
                owner=manager,
                created_by=manager,
                due_date=monday if n else None,
            )
        Decision.objects.create(meeting=meeting, text="Decided", made_by=manager)
    Decision.objects.create(meeting=second, text="CR", made_by=manager, change_request=request)
    AgendaEntry.objects.filter(meeting=second).update(discussed=True, discussed_by=manager)
    return first, second, other


QUERIES = [
    (page.ENTRIES, lambda m: {"meeting": m.pk}),
    (page.ACTION_ITEMS, lambda m: {"meeting": m.pk, "series": m.series_id}),
    (page.DECISIONS, lambda m: {"meeting": m.pk}),
    (page.CHANGE_REQUESTS, lambda m: {"meeting": m.pk, "project": m.series.project_id}),
    (page.MEETING_ROW, lambda m: {"meeting": m.pk}),
    (page.ACTIVE_PEOPLE, lambda m: {}),
]


@pytest.mark.parametrize(("query", "params"), QUERIES)
def test_compiled_rows_are_the_querysets_rows(meetings, query, params):
    seen = set()
    for meeting in meetings:
        expected = list(query.build(**params(meeting)))
        assert query(**params(meeting)) == expected
        seen.add(repr(expected))
    assert len(seen) > 1 or query is page.ACTIVE_PEOPLE  # the parameters did change the rows


def test_the_page_reads_match_the_orm(meetings):
    first, second, _ = meetings
    meeting = page.meeting_by_id(second.pk)
    assert meeting.previous_meeting_id == first.pk
    assert meeting.next_meeting_id is None
    assert page.meeting_by_id(first.pk).next_meeting_id == second.pk
    assert page.meeting_by_id(10**9) is None
    assert meeting.series.project.product.asset.owner == second.series.product_manager
    assert meeting.ends_at == second.ends_at
    carried, here = page.action_items(meeting)
    assert [i.pk for i in here] == list(
        ActionItem.objects.filter(meeting=second)
        .order_by("due_date", "id")
        .values_list("pk", flat=True)
    )
    assert {i.meeting_id for i in carried} == {first.pk}
    decisions = page.decisions(meeting)
    assert [d.text for d in decisions] == ["Decided", "CR"]
    assert decisions[1].change_request.get_absolute_url().endswith("/changes/1/")
    assert decisions[0].made_by.get_full_name() == meeting.series.project.manager.get_full_name()


def test_a_compiled_query_is_built_once_per_connection(meetings):
    first, second, _ = meetings
    built = []
    query = CompiledQuery(
        lambda meeting: (
            built.append(meeting)
            or AgendaEntry.objects.filter(meeting_id=meeting).values_list("pk")
        ),
        "meeting",
    )
    with CaptureQueriesContext(connection) as ctx:
        query(meeting=first.pk)
        query(meeting=second.pk)
    assert len(built) == 1
    assert len(ctx.captured_queries) == 2  # and each call is one query

    def in_another_thread():
        try:
            query(meeting=first.pk)
        finally:
            connections.close_all()

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()
    assert len(built) == 2  # that thread's connection compiled its own


def test_a_parameter_the_query_does_not_use_is_refused(db):
    query = CompiledQuery(lambda meeting: User.objects.values_list("pk"), "meeting")
    with pytest.raises(ValueError, match="meeting"):
        query(meeting=1)


def test_values_must_be_listed_in_the_sql_order(db):
    from django.db.models import F

    query = CompiledQuery(
        lambda user: (
            User.objects.filter(pk=user).annotate(name=F("username")).values_list("name", "pk")
        ),
        "user",
    )
    with pytest.raises(ValueError, match="SQL's order"):
        query(user=1)


def test_distinct_ordering_columns_are_cut_off(meetings):
    """DISTINCT with an ordering column outside the values adds it to the SQL's select list:
    the rows still have only the values asked for, as with the QuerySet."""
    user = UserFactory()
    query = CompiledQuery(
        lambda user: (
            User.objects.filter(pk=user).distinct().order_by("username").values_list("first_name")
        ),
        "user",
    )
    assert query(user=user.pk) == list(query.build(user=user.pk)) == [(user.first_name,)]


def test_rows_are_converted_as_the_orm_converts_them(db):
    """A column with a converter on this database (JSON here) comes back converted."""
    from django.db.models import JSONField, Value

    user = UserFactory()
    query = CompiledQuery(
        lambda user: (
            User.objects.filter(pk=user)
            .annotate(data=Value({"a": [1, 2]}, output_field=JSONField()))
            .values_list("pk", "data")
        ),
        "user",
    )
    assert query(user=user.pk) == list(query.build(user=user.pk)) == [(user.pk, {"a": [1, 2]})]


def test_a_meeting_whose_project_no_longer_serves_a_product_still_opens(client, meetings):
    from projects.models import Project

    _, second, _ = meetings
    Project.objects.filter(pk=second.series.project_id).update(product=None)
    meeting = page.meeting_by_id(second.pk)
    assert meeting.series.project.product is None
    assert meeting.series.participants() == [meeting.series.project.manager]
    client.force_login(meeting.series.project.manager)
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert "product manager ·" not in response.content.decode()


def test_read_gives_what_the_single_reads_give_in_one_round_trip(meetings):
    _, second, _ = meetings
    meeting = page.meeting_by_id(second.pk)
    with CaptureQueriesContext(connection) as ctx:
        reads = page.read(meeting)
    assert len(ctx.captured_queries) == 5
    assert reads.entries == page.entries(meeting.pk)
    assert (reads.carried, reads.action_items) == page.action_items(meeting)
    assert [d.text for d in reads.decisions] == [d.text for d in page.decisions(meeting)]
    assert [r.pk for r in reads.change_requests] == [r.pk for r in page.change_requests(meeting)]
    assert reads.owner_choices == page.owner_choices(meeting)
    assert page.read(meeting, owner_choices=False).owner_choices is None


def test_on_postgresql_the_statements_are_prepared(meetings):
    _, second, _ = meetings
    page.read(page.meeting_by_id(second.pk))
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    for table in ("alignment_syncmeeting", "alignment_agendaentry", "alignment_decision"):
        assert any(f'FROM "{table}"' in statement for statement in prepared), table


def test_elsewhere_the_statements_run_through_djangos_cursor(meetings, monkeypatch):
    """Another database (SQLite, the development server's) runs them one after the other."""
    from roleplan.compiled import fetch

    _, second, _ = meetings
    calls = [(page.ENTRIES, {"meeting": second.pk}), (page.DECISIONS, {"meeting": second.pk})]
    expected = fetch(*calls)
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with CaptureQueriesContext(connection) as ctx:
        assert fetch(*calls) == expected
    assert len(ctx.captured_queries) == 2


def test_text_parameters_take_their_values_too(db):
    """A text parameter (a choice's value, say) is a placeholder like an id: one SQL text, any
    value."""
    users = [UserFactory(first_name=name) for name in ("Ada", "Bea", "Ada")]
    query = CompiledQuery(
        lambda first_name: (
            User.objects.filter(first_name=first_name).order_by("pk").values_list("pk")
        ),
        text=("first_name",),
    )
    assert query(first_name="Ada") == [(users[0].pk,), (users[2].pk,)]
    assert query(first_name="Bea") == [(users[1].pk,)]
    assert query(first_name="Cy") == []
    sql = query.compiled.by_connection[1][0]
    assert "Ada" not in sql
    assert "Bea" not in sql
