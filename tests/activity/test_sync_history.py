"""History of the weekly sync (issue 20, point 5): the rows a person edits in a sync (its
settings, topics, action items, decisions) record who changed which field from what to what;
their history is read by those who may read the sync and is a 404 to everyone else; a page of
it costs the same queries at 3 and at 30 rows."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from roleplan.activity.models import (
    HistoricalActionItem,
    HistoricalDecision,
    HistoricalSyncMeeting,
    HistoricalSyncSeries,
    HistoricalTopic,
)
from roleplan.alignment import services
from roleplan.alignment.models import ActionItem, Decision, SyncSeries, Topic
from roleplan.people import display_name

HX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(strip_tags(response.content.decode()).split())


def history_url(kind: str, pk: int) -> str:
    return reverse("activity:history", args=[kind, pk])


def test_series_settings_changed_through_the_page_record_author_from_and_to(world, owner):
    series = world.series
    url = reverse("alignment:series", args=[series.pk])
    settings_page = client_for(owner).get(url).content.decode()
    assert f'hx-get="{history_url("sync-series", series.pk)}"' in settings_page
    response = client_for(owner).post(
        url,
        {
            "weekday": 3,
            "time": "15:30",
            "time_zone": series.time_zone,
            "duration_minutes": 45,
            "version": series.version,
        },
    )
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.sequence >= 1  # the invitation's bookkeeping moved with the edit...
    latest = HistoricalSyncSeries.objects.filter(id=series.pk).order_by("-history_id")
    # ...in the same save: one history row for one edit, by its author.
    assert latest.count() == 2
    assert latest[0].history_user == owner
    assert latest[0].history_type == "~"
    text = page_text(client_for(owner).get(history_url("sync-series", series.pk)))
    assert f"{display_name(owner)} changed" in text
    assert "Weekday Tuesday → to Thursday" in text
    assert "Duration (minutes) 30 → to 45" in text
    # Quiet: the invitation's fields are not listed as changes.
    assert "Sequence" not in text
    assert "Schedule from" not in text


def test_an_action_item_created_and_done_names_its_authors(world, owner, editor):
    meeting = world.meeting
    response = client_for(owner).post(
        reverse("alignment:add_action", args=[meeting.pk]),
        {"text": "Warm up the new sending IPs", "owner": editor.pk, "due_date": ""},
        **HX,
    )
    assert response.status_code == 200
    item = ActionItem.objects.get(meeting=meeting)
    client_for(editor).post(
        reverse("alignment:action_done", args=[meeting.pk, item.pk]), {"done": "on"}, **HX
    )
    rows = HistoricalActionItem.objects.filter(id=item.pk).order_by("history_id")
    assert [(r.history_type, r.history_user) for r in rows] == [("+", owner), ("~", editor)]
    text = page_text(client_for(owner).get(history_url("action-item", item.pk)))
    assert f"{display_name(owner)} created" in text
    assert f"{display_name(editor)} changed" in text
    assert f"Done by — → to {display_name(editor)}" in text


def test_a_topic_and_a_decision_name_their_authors(world, owner, editor):
    meeting = world.meeting
    client_for(editor).post(
        reverse("alignment:add_topic", args=[meeting.pk]), {"text": "Freeze dates"}, **HX
    )
    topic = Topic.objects.get(meeting=meeting)
    client_for(owner).post(
        reverse("alignment:topic_done", args=[meeting.pk]),
        {"topic": topic.pk, "done": "on"},
        **HX,
    )
    topics = HistoricalTopic.objects.filter(id=topic.pk).order_by("history_id")
    assert [(r.history_type, r.history_user) for r in topics] == [("+", editor), ("~", owner)]
    services.decision_add(
        meeting=meeting, text="Freeze on 20 November", change_request=None, by=owner
    )
    decision = Decision.objects.get(meeting=meeting)
    assert HistoricalDecision.objects.get(id=decision.pk).history_user == owner
    text = page_text(client_for(editor).get(history_url("topic", topic.pk)))
    assert f"Discussed by — → to {display_name(owner)}" in text
    # The meeting's page loads the history of what was raised in it.
    meeting_history = history_url("meeting", meeting.pk)
    assert (
        f'hx-get="{meeting_history}"'
        in client_for(owner).get(meeting.get_absolute_url()).content.decode()
    )
    whole = page_text(client_for(editor).get(meeting_history))
    assert f"{display_name(owner)} created decision Freeze on 20 November" in whole
    assert f"{display_name(editor)} created topic Freeze dates" in whole


def test_only_those_who_may_read_the_sync_read_its_history(
    world, owner, editor, viewer, outsider, staff
):
    meeting = world.meeting
    topic = services.topic_add(meeting=meeting, text="Freeze dates", by=owner)
    item = services.action_item_add(
        meeting=meeting, text="Warm up IPs", owner=editor, due_date=None, by=owner
    )
    decision = services.decision_add(
        meeting=meeting, text="Freeze on 20 November", change_request=None, by=owner
    )
    addresses = [
        history_url("sync-series", world.series.pk),
        history_url("meeting", meeting.pk),
        history_url("topic", topic.pk),
        history_url("action-item", item.pk),
        history_url("decision", decision.pk),
        history_url("sync-notes", meeting.pk),
    ]
    for url in addresses:
        for reader in (owner, editor, staff):
            assert client_for(reader).get(url).status_code == 200, (url, reader)
        for stranger in (viewer, outsider):  # a stakeholder of the product, and no one
            assert client_for(stranger).get(url).status_code == 404, (url, stranger)
    for kind in ("sync-series", "meeting", "topic", "action-item", "decision", "sync-notes"):
        assert client_for(staff).get(history_url(kind, 999999)).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_a_meetings_history_costs_the_same_queries_at_3_and_30_rows(
    world, owner, editor, count, django_assert_max_num_queries
):
    meeting = world.meeting
    for n in range(count):
        item = services.action_item_add(
            meeting=meeting, text=f"Step {n}", owner=editor, due_date=None, by=owner
        )
        services.action_item_set_done(item_id=item.pk, done=True, by=editor)
        services.topic_add(meeting=meeting, text=f"Topic {n}", by=editor)
        services.decision_add(meeting=meeting, text=f"Decided {n}", change_request=None, by=owner)
    client = client_for(editor)
    with django_assert_max_num_queries(14):
        text = page_text(client.get(history_url("meeting", meeting.pk)))
    assert f"Decided {count - 1}" in text
    with django_assert_max_num_queries(10):
        page_text(client.get(history_url("sync-series", world.series.pk)))
    assert SyncSeries.objects.filter(pk=world.series.pk).exists()


def test_the_shared_notes_keep_who_wrote_what_over_what(world, owner, editor):
    """A meeting is made in bulk with no history copy: the first save of its notes keeps one of
    the notes as they were, so even that first edit says what it changed from."""
    meeting = world.meeting
    before = meeting.notes
    url = reverse("alignment:notes", args=[meeting.pk])
    first = client_for(owner).post(
        url, {"text": "Freeze from 20 November.", "version": meeting.notes_version}, **HX
    )
    assert first.status_code == 200
    meeting.refresh_from_db()
    second = client_for(editor).post(
        url,
        {"text": "Freeze from 20 November. IPs warmed by 1 Nov.", "version": meeting.notes_version},
        **HX,
    )
    assert second.status_code == 200
    copies = list(HistoricalSyncMeeting.objects.filter(id=meeting.pk).order_by("history_id"))
    assert [(c.history_type, c.history_user, c.notes) for c in copies] == [
        ("+", None, before),
        ("~", owner, "Freeze from 20 November."),
        ("~", editor, "Freeze from 20 November. IPs warmed by 1 Nov."),
    ]
    text = page_text(client_for(owner).get(history_url("meeting", meeting.pk)))
    assert f"{display_name(editor)} changed the shared notes" in text
    assert "Freeze from 20 November. → to Freeze from 20 November. IPs warmed by 1 Nov." in text
    # A meeting moved with its series is the agenda's business, not a change of the notes.
    series = world.series
    services.series_update(
        series_id=series.pk,
        expected_version=series.version,
        weekday=(series.weekday + 1) % 7,
        time=series.time,
        time_zone=series.time_zone,
        duration_minutes=series.duration_minutes,
        paused=False,
        by=owner,
    )
    assert HistoricalSyncMeeting.objects.filter(id=meeting.pk).count() == 3
