"""Minutes stay readable (issue 16, point 4): everyone who took part in a meeting reads it
later, a former owner after a handover included; changing it is for the pair of now."""

from __future__ import annotations

import pytest
from django.urls import reverse

from roleplan.alignment import services
from roleplan.alignment.models import MeetingParticipant
from roleplan.ownership import services as ownership
from tests.alignment.sync_factories import make_series
from tests.factories import UserFactory


@pytest.fixture
def handed_over(db, django_capture_on_commit_callbacks):
    """Priya recorded a decision in the sync, then handed the product over to Sam."""
    priya, marco, sam = UserFactory(), UserFactory(), UserFactory()
    series = make_series(product_owner=priya, manager=marco)
    meeting = services.meeting_prepare_current(series=series)
    services.decision_add(meeting=meeting, text="Keep ABC", change_request=None, by=priya)
    with django_capture_on_commit_callbacks(execute=True):
        ownership.asset_hand_over(
            asset_id=series.project.product.asset_id,
            expected_owner_id=priya.pk,
            new_owner=sam,
            by=priya,
            reason="parental leave",
        )
    return meeting, priya, marco, sam


def test_the_former_owner_still_reads_the_meeting_she_took_part_in(client, handed_over):
    """Priya's pair with Marco shares no project any more: their series ended, and its
    meetings stay theirs to read (and to complete: they are still that pair)."""
    meeting, priya, _marco, _sam = handed_over
    client.force_login(priya)
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    assert "Keep ABC" in response.content.decode()


def test_someone_who_took_part_but_is_not_of_the_pair_reads_and_may_not_change(client, handed_over):
    """A migrated meeting records the owner of its time (ownership's handover log), who may
    no longer be one of its series' two people: she reads it, and gets 403 on a change."""
    meeting, _priya, _marco, _sam = handed_over
    olga = UserFactory()
    MeetingParticipant.objects.create(meeting=meeting, user=olga)
    client.force_login(olga)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Keep ABC" in html
    assert "you can read it but not change it" in html
    assert 'action="' + reverse("alignment:add_decision", args=[meeting.pk]) not in html
    assert "readonly" in html.split('id="notes-text"')[1].split(">")[0]
    for name in ("notes", "add_decision", "add_action", "add_topic", "refresh"):
        url = reverse(f"alignment:{name}", args=[meeting.pk])
        assert client.post(url, {"text": "x", "version": 1}).status_code == 403, name


def test_the_new_owner_meets_the_manager_in_a_new_series_and_outsiders_read_nothing(
    client, handed_over
):
    meeting, _priya, marco, sam = handed_over
    client.force_login(sam)  # not in that meeting: not his to read
    assert client.get(meeting.get_absolute_url()).status_code == 404
    client.force_login(marco)
    assert client.get(meeting.get_absolute_url()).status_code == 200
    assert client.get(reverse("alignment:meeting", args=[987654])).status_code == 404
    people = set(MeetingParticipant.objects.filter(meeting=meeting).values_list("user", flat=True))
    assert sam.pk not in people


def test_the_project_page_shows_the_pairs_next_sync_to_the_pair_only(client, db):
    """projects/extensions.py: alignment registers the panel; projects imports no alignment."""
    series = make_series()
    project = series.project
    client.force_login(series.project_manager)
    html = client.get(project.get_absolute_url()).content.decode()
    assert "Weekly sync" in html
    assert reverse("alignment:prepare", args=[series.pk]) in html  # not prepared yet
    meeting = services.meeting_prepare_current(series=series)
    html = client.get(project.get_absolute_url()).content.decode()
    assert meeting.get_absolute_url() in html
    client.force_login(UserFactory())  # a sync is private to its two people
    assert (
        reverse("alignment:series", args=[series.pk])
        not in client.get(project.get_absolute_url()).content.decode()
    )
