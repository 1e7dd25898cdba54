from __future__ import annotations

from datetime import date
from html import escape, unescape

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from projects import services as project_services
from roleplan.alignment import services
from roleplan.alignment.forms import TIME_ZONES
from roleplan.alignment.models import ActionItem, Decision, SyncMeeting
from tests.alignment.sync_factories import make_series
from tests.factories import UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def series(db):
    return make_series()


@pytest.fixture
def meeting(series):
    return services.meeting_prepare_current(series=series)


@pytest.fixture
def pm(series):
    return series.product_manager


@pytest.fixture
def manager(series):
    return series.project_manager


@pytest.mark.parametrize(
    ("who", "status"), [("pm", 200), ("manager", 200), ("staff", 200), ("outsider", 404)]
)
def test_only_the_two_managers_and_staff_see_a_sync(client, request, meeting, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(meeting.get_absolute_url()).status_code == status


@pytest.mark.parametrize(
    "name",
    ["refresh", "notes", "add_action", "add_decision"],
)
def test_outsiders_cannot_change_a_sync(client, meeting, outsider, name):
    client.force_login(outsider)
    response = client.post(
        reverse(f"alignment:{name}", args=[meeting.pk]), {"text": "x", "version": 1}
    )
    assert response.status_code == 404
    assert not Decision.objects.exists()
    assert not ActionItem.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, meeting):
    response = client.get(meeting.get_absolute_url())
    assert response["Location"].startswith("/accounts/login/")


def test_sync_page_groups_the_agenda_by_product_then_project(client, meeting, series, pm, manager):
    client.force_login(pm)
    html = client.get(meeting.get_absolute_url()).content.decode()
    product = series.project.product
    assert f'id="agenda-d{product.pk}"' in html
    assert f'id="agenda-p{series.project.pk}"' in html
    assert html.index(f'id="agenda-d{product.pk}"') < html.index(
        f'id="agenda-p{series.project.pk}"'
    )
    for label in ("Status", "Ownership and problems"):
        assert label in html
    assert pm.get_full_name() in html
    assert manager.get_full_name() in html


def test_ticking_an_entry_records_who_and_answers_with_the_entry(client, meeting, manager):
    entry = meeting.entries.first()
    client.force_login(manager)
    response = client.post(
        reverse("alignment:mark_entry", args=[meeting.pk]),
        {"entry": entry.pk, "discussed": entry.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert response.content.decode().strip().startswith(f'<li id="entry-{entry.pk}"')
    entry.refresh_from_db()
    assert entry.discussed
    assert entry.discussed_by == manager


def test_entry_of_another_meeting_is_404(client, meeting, pm, db):
    other = services.meeting_prepare_current(series=make_series(product_owner=pm))
    entry = other.entries.first()
    client.force_login(pm)
    response = client.post(
        reverse("alignment:mark_entry", args=[meeting.pk]),
        {"entry": entry.pk, "discussed": entry.pk},
    )
    assert response.status_code == 404
    # The whole form without JavaScript: a line of another meeting is ignored.
    client.post(
        reverse("alignment:mark_entry", args=[meeting.pk]),
        {"shown": str(entry.pk), "was": "", "discussed": entry.pk},
    )
    entry.refresh_from_db()
    assert not entry.discussed


def test_notes_save_and_a_stale_save_is_refused_showing_theirs(client, meeting, pm, manager):
    url = reverse("alignment:notes", args=[meeting.pk])
    client.force_login(pm)
    response = client.post(url, {"text": "Priya's notes", "version": 1}, **HTMX)
    assert response.status_code == 200
    assert 'name="version" value="2"' in response.content.decode()
    client.force_login(manager)
    response = client.post(url, {"text": "Marco's notes", "version": 1}, **HTMX)
    assert response.status_code == 409
    html = unescape(response.content.decode())
    # The shared conflict region: who saved, their whole text beside mine.
    assert f"{pm.get_full_name()} saved a change while you were editing" in html
    assert "<td>Priya's notes</td><td>Marco's notes</td>" in html
    assert "Your text is still in the box above" in html
    assert 'name="version" value="1"' in html  # still based on the old version until resolved
    meeting.refresh_from_db()
    assert meeting.notes == "Priya's notes"
    # Marco combines both: nothing is lost.
    response = client.post(url, {"text": "Marco's notes", "version": 1, "mode": "combine"}, **HTMX)
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.notes == "Priya's notes\n\nMarco's notes"
    assert meeting.notes_version == 3


def test_keep_mine_overwrites_after_seeing_theirs(client, meeting, pm, manager):
    url = reverse("alignment:notes", args=[meeting.pk])
    client.force_login(pm)
    client.post(url, {"text": "theirs", "version": 1}, **HTMX)
    client.force_login(manager)
    client.post(url, {"text": "mine", "version": 1, "mode": "mine"}, **HTMX)
    meeting.refresh_from_db()
    assert meeting.notes == "mine"


def test_plain_post_of_stale_notes_keeps_the_users_text_on_the_page(client, meeting, pm, manager):
    url = reverse("alignment:notes", args=[meeting.pk])
    client.force_login(pm)
    client.post(url, {"text": "first", "version": 1})
    client.force_login(manager)
    response = client.post(url, {"text": "my long careful text", "version": 1})
    assert response.status_code == 409
    assert "my long careful text" in response.content.decode()


def test_action_items_carry_over_until_done(client, series, pm, manager):
    last_week = services.meeting_prepare(
        series_id=series.pk,
        week_start=series.week_start(timezone.now()) - timezone.timedelta(days=7),
    )
    item = services.action_item_add(
        meeting=last_week, text="Price option B", owner=manager, due_date=None, by=pm
    )
    this_week = services.meeting_prepare_current(series=series)
    client.force_login(pm)
    html = client.get(this_week.get_absolute_url()).content.decode()
    assert "Carried over" in html
    assert "Price option B" in html
    client.post(
        reverse("alignment:action_done", args=[this_week.pk, item.pk]), {"done": "on"}, **HTMX
    )
    item.refresh_from_db()
    assert item.done_by == pm
    next_week = services.meeting_prepare(
        series_id=series.pk,
        week_start=series.week_start(timezone.now()) + timezone.timedelta(days=7),
    )
    assert "Price option B" not in client.get(next_week.get_absolute_url()).content.decode()


def test_adding_an_action_item_without_text_keeps_the_rest(client, meeting, pm, manager):
    client.force_login(pm)
    response = client.post(
        reverse("alignment:add_action", args=[meeting.pk]),
        {"text": "  ", "owner": manager.pk, "due_date": "2026-12-01"},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required" in html or "Say what needs to be done" in html
    assert f'<option value="{manager.pk}" selected' in html
    assert 'value="2026-12-01"' in html


def test_adding_an_action_item_with_a_bad_date_says_so(client, meeting, pm):
    client.force_login(pm)
    response = client.post(
        reverse("alignment:add_action", args=[meeting.pk]),
        {"text": "Call legal", "owner": pm.pk, "due_date": "31/31/2026"},
        **HTMX,
    )
    assert response.status_code == 422
    assert "Enter a valid date" in response.content.decode()
    assert 'value="Call legal"' in response.content.decode()


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2201-01-01"])
def test_an_action_item_due_outside_1900_to_2200_is_refused_next_to_the_field(
    client, meeting, pm, day
):
    """Issue 17, D3: the calendar feed adds a day to a due date; 9999-12-31 would overflow."""
    client.force_login(pm)
    response = client.post(
        reverse("alignment:add_action", args=[meeting.pk]),
        {"text": "Call legal", "owner": pm.pk, "due_date": day},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give a date between 1 Jan 1900 and 31 Dec 2200." in html
    assert 'value="Call legal"' in html
    assert 'min="1900-01-01"' in html
    assert not ActionItem.objects.filter(text="Call legal").exists()


def test_the_database_refuses_an_action_item_due_outside_the_range(meeting, pm):
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.create(
            meeting=meeting, text="Far", owner=pm, due_date=date(9999, 12, 31), created_by=pm
        )


def test_decision_tied_to_a_change_request_of_this_project(client, meeting, series, pm):
    cr = project_services.change_request_create(
        project_id=series.project.pk, by=pm, title="XYZ", description="d", why="w"
    )
    client.force_login(pm)
    response = client.post(
        reverse("alignment:add_decision", args=[meeting.pk]),
        {"text": "Keep ABC, backlog XYZ", "change_request": cr.pk},
        **HTMX,
    )
    assert response.status_code == 200
    assert "decisionRecorded" in response["HX-Trigger"]
    decision = Decision.objects.get()
    assert (decision.change_request, decision.made_by) == (cr, pm)


def test_decision_refuses_a_change_request_of_another_project(client, meeting, pm):
    other = make_series(product_owner=pm)
    cr = project_services.change_request_create(
        project_id=other.project.pk, by=pm, title="Other", description="d", why="w"
    )
    client.force_login(pm)
    response = client.post(
        reverse("alignment:add_decision", args=[meeting.pk]),
        {"text": "Something", "change_request": cr.pk},
        **HTMX,
    )
    assert response.status_code == 422
    assert not Decision.objects.exists()
    assert "Something" in response.content.decode()


def test_index_lists_the_users_series_and_prepares_this_weeks_sync_on_post(client, series, pm):
    client.force_login(pm)
    html = client.get(reverse("alignment:index")).content.decode()
    assert series.project.name in html
    assert not SyncMeeting.objects.exists()  # a GET changes nothing
    response = client.post(reverse("alignment:prepare", args=[series.pk]))
    meeting = SyncMeeting.objects.get()
    assert response["Location"] == meeting.get_absolute_url()
    assert meeting.entries.exists()


def test_index_hides_other_peoples_syncs(client, series, outsider):
    client.force_login(outsider)
    assert series.project.name not in client.get(reverse("alignment:index")).content.decode()
    assert client.post(reverse("alignment:prepare", args=[series.pk])).status_code == 404


def test_series_settings_with_stale_version_show_theirs_and_keep_mine(client, series, pm, manager):
    url = reverse("alignment:series", args=[series.pk])
    data = {
        "weekday": 3,
        "time": "14:00",
        "time_zone": "Europe/Berlin",
        "duration_minutes": 45,
        "version": 1,
    }
    client.force_login(pm)
    assert client.post(url, data).status_code == 302
    client.force_login(manager)
    response = client.post(url, {**data, "weekday": 4, "time": "09:15"})
    assert response.status_code == 409
    html = response.content.decode()
    assert f"{pm.get_full_name()} saved a change while you were editing" in html
    # Saved now beside mine: Thursday 14:00 against Friday 09:15.
    assert "<td>Thursday</td><td>Friday</td>" in html
    assert "<td>14:00:00</td><td>09:15:00</td>" in html
    assert 'value="09:15"' in html
    assert 'name="version" value="2"' in html  # saving again applies mine on purpose
    response = client.post(url, {**data, "weekday": 4, "time": "09:15", "version": 2})
    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.weekday, series.version, series.updated_by) == (4, 3, manager)


def test_the_time_zone_select_shows_the_zone_chosen_now(client, series, pm):
    """The ~600 zones are kept in the cache per chosen zone (alignment/forms.TimeZoneSelect):
    after a change, the page offers every zone with the new one chosen."""
    url = reverse("alignment:series", args=[series.pk])
    client.force_login(pm)

    def zone_select() -> str:
        html = client.get(url).content.decode()
        return html[
            html.index('<select name="time_zone"') : html.index(
                "</select>", html.index('<select name="time_zone"')
            )
        ]

    for zone in ("Europe/Berlin", "America/Sao_Paulo"):
        series.refresh_from_db()
        data = {"weekday": 3, "time": "14:00", "duration_minutes": 45, "time_zone": zone}
        assert client.post(url, {**data, "version": series.version}).status_code == 302
        for _ in range(2):  # drawn, then from the cache
            select = zone_select()
            assert select.count("<option") == len(TIME_ZONES)
            assert select.count(" selected>") == 1
            assert f'<option value="{zone}" selected>' in select


def test_series_settings_refuse_an_unknown_time_zone(client, series, pm):
    client.force_login(pm)
    response = client.post(
        reverse("alignment:series", args=[series.pk]),
        {
            "weekday": 1,
            "time": "10:00",
            "time_zone": "Mars/Olympus",
            "duration_minutes": 30,
            "version": 1,
        },
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()


def test_polled_regions_answer_with_only_their_partial(client, meeting, pm):
    client.force_login(pm)
    for region in ("decision-list", "action-list", "agenda"):
        response = client.get(
            meeting.get_absolute_url(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET=region
        )
        html = response.content.decode().strip()
        assert html.startswith(f'<div id="{region}"') or html.startswith(f'<section id="{region}"')
        assert "<html" not in html


def test_dashboard_shows_the_next_sync_and_my_open_action_items(client, meeting, pm, manager):
    services.action_item_add(
        meeting=meeting, text="Send the options", owner=manager, due_date=None, by=pm
    )
    client.force_login(manager)
    html = client.get("/").content.decode()
    assert str(meeting.series) in html
    assert "Send the options" in html


def test_stranger_never_appears_as_participant(db):
    stranger = UserFactory()
    series = make_series()
    assert stranger.pk not in {p.pk for p in series.participants()}


def test_the_notes_region_alone_posts_to_the_notes_url(client, meeting, pm, manager):
    """The notes region is also rendered alone (GET, and after keep mine or combine): its form
    posts to the notes' URL there as on the page."""
    url = reverse("alignment:notes", args=[meeting.pk])
    form = f'<form method="post" action="{url}" class="notes-form">'
    client.force_login(pm)
    assert form in client.get(meeting.get_absolute_url()).content.decode()
    html = client.get(url, **HTMX).content.decode()
    assert form in html
    assert f'hx-post="{url}" hx-trigger="input' in html
    client.post(url, {"text": "theirs", "version": 1}, **HTMX)
    client.force_login(manager)
    response = client.post(url, {"text": "mine", "version": 1, "mode": "mine"}, **HTMX)
    assert form in response.content.decode()


def test_a_sync_that_is_over_keeps_its_agenda(client, meeting, pm):
    """Once a sync has ended its agenda is the record of that week: the page offers no refresh,
    says so, and a refresh posted from a page opened before the end changes nothing."""
    from datetime import timedelta

    SyncMeeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(hours=2))
    meeting.refresh_from_db()
    prepared, entries = meeting.prepared_at, list(meeting.entries.values_list("pk", "key"))
    client.force_login(pm)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Refresh from live data" not in html
    assert "The agenda as it stood when this sync ended" in html
    url = reverse("alignment:refresh", args=[meeting.pk])
    answer = client.post(url, follow=True)
    assert "This sync is over: its agenda stays as it was." in answer.content.decode()
    partial = client.post(url, **HTMX)
    assert partial.status_code == 200
    assert partial.content.decode().lstrip().startswith('<section id="agenda"')
    meeting.refresh_from_db()
    assert meeting.prepared_at == prepared
    assert list(meeting.entries.values_list("pk", "key")) == entries


def test_a_sync_still_to_come_offers_a_refresh(client, meeting, pm):
    client.force_login(pm)
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Refresh from live data" in html
    assert "Lines struck through are no longer true." in html


def test_the_calendar_and_reminders_page_is_linked_from_the_header_and_the_sync_index(
    client, meeting, pm
):
    profile = reverse("alignment:profile")
    client.force_login(pm)
    for url in (reverse("dashboard"), reverse("alignment:index")):
        html = client.get(url).content.decode()
        assert f'<a class="whoami" href="{profile}"' in html
    assert (
        f'href="{profile}">Calendar &amp; reminders</a>'
        in client.get(reverse("alignment:index")).content.decode()
    )


def test_why_a_series_does_not_meet_is_the_rule_of_running(series):
    """SyncSeries.not_meeting_why says "" exactly for the series running() returns (the ones
    beat prepares and reminds)."""
    from projects.models import Project
    from roleplan.alignment.models import SyncSeries

    project = series.project
    for paused, status, with_product in [
        (False, "active", True),
        (True, "active", True),
        (False, "done", True),
        (False, "cancelled", True),
        (False, "active", False),
    ]:
        product_id = project.product_id if with_product else None
        Project.objects.filter(pk=project.pk).update(status=status, product_id=product_id)
        SyncSeries.objects.filter(pk=series.pk).update(paused=paused)
        loaded = SyncSeries.objects.with_people().get(pk=series.pk)
        runs = SyncSeries.objects.running().filter(pk=series.pk).exists()
        assert (loaded.not_meeting_why == "") == runs, (paused, status, with_product)
        Project.objects.filter(pk=project.pk).update(product_id=project.product_id)


def test_a_pair_sharing_no_active_project_is_listed_as_not_meeting(
    client, meeting, series, manager
):
    from projects.models import Project

    Project.objects.filter(pk=series.project.pk).update(status="done")
    client.force_login(manager)
    html = client.get(reverse("alignment:index")).content.decode()
    assert '<span class="badge badge-warn">no active project shared</span>' in html
    assert "Open the next sync</button>" not in html
    assert "None of your weekly syncs meets now" in html
    assert meeting.get_absolute_url() not in html.split('id="upcoming-h"')[1].split("</section>")[0]
    answer = client.post(reverse("alignment:prepare", args=[series.pk]), follow=True)
    assert "This weekly sync does not meet (no active project shared)" in answer.content.decode()
    assert SyncMeeting.objects.filter(series=series).count() == 1


def test_syncs_of_the_same_person_at_the_same_time_are_flagged(client, series, manager):
    """Marco meets two product managers whose syncs overlap (Tuesday 10:00-10:30 and
    10:15-10:45): both rows say so. A third one at 10:45 touches but does not overlap; a fourth
    with other people at 10:00 is none of Marco's business."""
    from datetime import time

    from roleplan.alignment.views import pair_name
    from tests.alignment.sync_factories import make_series

    overlapping = make_series(manager=manager, time=time(10, 15))
    after = make_series(manager=manager, time=time(10, 45))
    others = make_series()
    series.time = time(10, 0)
    series.save(update_fields=["time"])
    for s in (overlapping, after, others):
        s.weekday, s.time_zone = series.weekday, series.time_zone
        s.save(update_fields=["weekday", "time_zone"])
    client.force_login(manager)
    html = client.get(reverse("alignment:index")).content.decode()
    table = html.split('id="series-h"')[1].split("</table>")[0]
    rows = {
        s.pk: next(
            row for row in table.split("<tr>") if reverse("alignment:series", args=[s.pk]) in row
        )
        for s in (series, overlapping, after)
    }
    assert f"clashes with {escape(pair_name(overlapping))}" in rows[series.pk]
    assert f"clashes with {escape(pair_name(series))}" in rows[overlapping.pk]
    assert "clashes with" not in rows[after.pk]
    assert others.project.name not in html


def test_two_projects_of_one_pair_make_one_row_and_no_clash(client, series, manager):
    """The issue's case: the CRM's product manager and the manager of two of its projects meet
    once, not twice at the same hour flagged as a clash."""
    from tests.alignment.sync_factories import active_project

    second = active_project(product=series.project.product, manager=manager)
    services.series_ensure_for_active_projects()
    client.force_login(manager)
    html = client.get(reverse("alignment:index")).content.decode()
    table = html.split('id="series-h"')[1].split("</table>")[0]
    assert table.count(f'href="{reverse("alignment:series", args=[series.pk])}"') == 1
    assert series.project.name in table
    assert second.name in table
    assert "clashes with" not in table


def test_each_agenda_link_is_named_after_its_line(client, meeting, pm):
    """A screen reader hears "Open Project health: …", not an arrow."""
    import re

    client.force_login(pm)
    html = client.get(meeting.get_absolute_url()).content.decode()
    links = re.findall(r'<a class="entry-link"[^>]*>', html)
    assert links
    for entry in meeting.entries.exclude(url=""):
        assert f'aria-label="Open {escape(entry.title)}"' in html
    assert all("aria-label=" in link for link in links)
