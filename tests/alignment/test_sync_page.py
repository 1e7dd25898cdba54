"""What a person sees on the sync page (templates/alignment/meeting.html): the agenda's lines,
the action items and the forms' choices in every state, the dates in the right zones, the links,
and a fixed number of queries whatever the size of the agenda."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import escape

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from projects import services as project_services
from projects.models import ChangeStatus
from roleplan.alignment import services
from roleplan.alignment.models import (
    SECTION_CAP,
    ActionItem,
    AgendaEntry,
    Decision,
    MeetingParticipant,
    SyncMeeting,
)
from tests.alignment.sync_factories import make_series, project_of
from tests.factories import UserFactory

TITLES = [
    "Plain",
    "<script>alert('x')</script>",
    "Quotes \" and ' & ampersands",
    "Ünïcode ✓ — dash",
]
SECTIONS = ("status", "backlog", "pipeline", "problems")


@pytest.fixture
def series(db):
    return make_series()


@pytest.fixture
def meeting(series):
    """This week's meeting, after last week's (which has carried-over items to give)."""
    this_week = series.week_start(timezone.now())
    services.meeting_ensure(series=series, week_start=this_week - timedelta(days=7))
    return services.meeting_ensure(series=series, week_start=this_week)


@pytest.fixture
def earlier(meeting):
    return SyncMeeting.objects.filter(series_id=meeting.series_id).exclude(pk=meeting.pk).get()


def page(client, meeting: SyncMeeting, user=None) -> str:
    client.force_login(user or meeting.series.project_manager)
    response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def blocks(html: str, prefix: str) -> dict[int, str]:
    """Each list item whose id starts with `prefix`, by its number."""
    found = {}
    for part in html.split(f'<li id="{prefix}')[1:]:
        number, rest = part.split('"', 1)
        found[int(number)] = rest.split("</li>", 1)[0]
    return found


def test_agenda_lines_in_every_state_show_what_they_are(client, meeting):
    named = UserFactory(first_name="Ann", last_name="Lee")
    nameless = UserFactory(first_name="", last_name="", username="no.name")
    AgendaEntry.objects.bulk_create(
        AgendaEntry(
            meeting=meeting,
            section=SECTIONS[n % 4],
            key=f"k{n}",
            title=f"{TITLES[n % 4]} {n}",
            detail=["", "due Tue 17 Nov", "<b>bold</b> & co", "x"][n // 4 % 4],
            url=["", "/projects/p/", "/products/a?b=1&c='2'"][n % 3],
            tone=("info", "ok", "warn", "bad")[n % 4],
            position=n,
            discussed=n % 2 == 0,
            discussed_by=[named, nameless, None][n // 2 % 3] if n % 2 == 0 else None,
            stale=n % 5 == 0,
        )
        for n in range(24)
    )
    html = page(client, meeting)
    shown = blocks(html, "entry-")
    entries = AgendaEntry.objects.filter(meeting=meeting).select_related("discussed_by")
    assert set(shown) == {e.pk for e in entries}
    for entry in entries:
        li = shown[entry.pk]
        classes = f"entry tone-{entry.tone}"
        classes += " is-discussed" * entry.discussed + " is-stale" * entry.stale
        assert li.startswith(f' class="{classes}">'), li
        assert (
            f'<label for="tick-{entry.pk}" class="entry-title">{escape(entry.title)}</label>' in li
        )
        assert ("checked>" in li) == entry.discussed
        action = reverse("alignment:mark_entry", args=[meeting.pk])
        assert f'value="{entry.pk}" id="tick-{entry.pk}" hx-post="{action}"' in li
        assert f'hx-vals=\'{{"entry": "{entry.pk}"}}\'' in li
        assert "<script>" not in li
        if entry.url:
            assert f'href="{escape(entry.url)}"' in li
            assert f'aria-label="Open {escape(entry.title)}"' in li
        else:
            assert "entry-link" not in li
        if entry.detail:
            assert f'<div class="entry-detail">{escape(entry.detail)}</div>' in li
        assert ("No longer true in the live data." in li) == entry.stale
        by = entry.discussed_by
        if entry.discussed and by:
            assert f'<div class="entry-by">discussed · {by.first_name or by.username}</div>' in li
        else:
            assert "entry-by" not in li
    # Each line sits in its section, the sections in the agenda's order (lines with no product
    # are an agenda from before the pair series: listed under "Earlier agenda").
    assert "Earlier agenda" in html
    starts = [html.index(f'<div class="agenda-section section-{key}">') for key in SECTIONS]
    assert starts == sorted(starts)
    for key in SECTIONS:
        section = html.split(f'<div class="agenda-section section-{key}">')[1]
        section = section.split('<div class="agenda-section')[0].split("</section>")[0]
        keys = {e.pk for e in entries if e.section == key}
        assert set(blocks(section, "entry-")) == keys
    assert "12 of 24 discussed" in html
    # One form for every tick: what was shown and ticked, for a save without JavaScript.
    shown = html.split('name="shown" value="')[1].split('"')[0]
    assert sorted(int(n) for n in shown.split()) == sorted(e.pk for e in entries)


def test_an_empty_agenda_says_why(client, meeting):
    html = page(client, meeting)
    assert "Nothing new since the last sync: the agenda is built a day ahead" in html


def test_action_items_show_their_owner_due_date_and_where_they_come_from(client, meeting, earlier):
    today = timezone.localdate(timezone.now(), meeting.series.tz)
    owners = [
        UserFactory(first_name="Marco", last_name="Rossi"),
        UserFactory(first_name="", last_name="", username="only.username"),
        UserFactory(first_name="<i>Evil</i>", last_name="O'Brien"),
    ]
    done_at = meeting.starts_at + timedelta(minutes=5)  # ticked during the meeting
    items = [
        ActionItem.objects.create(
            meeting=[meeting, earlier][n % 2],
            text=f"{TITLES[n % 4]} action {n}",
            owner=owners[n % 3],
            created_by=owners[0],
            due_date=[None, today - timedelta(days=1), today, today + timedelta(days=30)][n % 4],
            done_at=done_at if n % 3 == 0 else None,
            done_by=owners[0] if n % 3 == 0 else None,
        )
        for n in range(18)
    ]
    # Done before this meeting started: no longer shown.
    gone = ActionItem.objects.create(
        meeting=earlier,
        text="Done last week",
        owner=owners[0],
        created_by=owners[0],
        done_at=meeting.starts_at - timedelta(days=3),
        done_by=owners[0],
    )
    html = page(client, meeting)
    carried_part, here_part = html.split('<h3 class="small-head">From this sync</h3>')
    carried, here = blocks(carried_part, "action-"), blocks(here_part, "action-")
    assert set(carried) == {i.pk for i in items if i.meeting_id == earlier.pk}
    assert set(here) == {i.pk for i in items if i.meeting_id == meeting.pk}
    assert gone.pk not in carried
    for item in items:
        li = (carried | here)[item.pk]
        late = item.due_date is not None and item.due_date < today
        state = " is-done" if item.done_at else (" is-overdue" if late else "")
        assert li.startswith(f' class="item{state}">'), li
        assert f">{escape(item.text)}</label>" in li
        assert ("checked>" in li) == bool(item.done_at)
        owner = item.owner.get_full_name() or item.owner.username
        detail = li.split('<div class="muted small">')[1].split("</div>")[0]
        assert detail.startswith(escape(owner))
        if item.due_date:
            assert f" · due {item.due_date.day} {item.due_date:%b}" in detail
        assert ("overdue</span>" in detail) == (late and not item.done_at)
        week = earlier.week_start
        assert (f" · from {week.day} {week:%b}" in detail) == (item.meeting_id == earlier.pk)
    # Open items first, each list by due date.
    order = [int(n) for n in re.findall(r'<li id="action-(\d+)"', carried_part)]
    assert order == [
        i.pk
        for i in sorted(
            (i for i in items if i.meeting_id == earlier.pk),
            key=lambda i: (i.done_at is not None, i.due_date or date.max, i.pk),
        )
    ]


def test_a_due_date_is_written_in_the_active_language(rf, meeting):
    item = ActionItem.objects.create(
        meeting=meeting,
        text="Check",
        owner=meeting.series.project_manager,
        created_by=meeting.series.project_manager,
        due_date=date(2026, 12, 3),
    )
    request = rf.get("/")
    context = {"item": item, "meeting": meeting, "today": date(2026, 11, 18)}
    with translation.override("de"):
        german = render_to_string("alignment/meeting.html#action-item", context, request=request)
    english = render_to_string("alignment/meeting.html#action-item", context, request=request)
    assert "due 3 Dez" in german
    assert "due 3 Dec" in english


def test_the_owner_select_offers_the_two_people_first_then_everyone_active(client, meeting):
    bold = UserFactory(first_name="<b>Bold</b>", last_name="& Co")
    nameless = UserFactory(first_name="", last_name="", username="nameless")
    gone = UserFactory(first_name="Gone", is_active=False)
    pm, manager = meeting.series.product_manager, meeting.series.project_manager
    html = page(client, meeting, pm)
    select = html.split('<select name="owner"')[1].split("</select>")[0]
    options = re.findall(r'<option value="(\d+)"( selected)?>([^<]*)</option>', select)
    values = [int(value) for value, _, _ in options]
    assert values[:2] == [pm.pk, manager.pk]
    assert {bold.pk, nameless.pk} <= set(values)
    assert gone.pk not in values
    assert [int(v) for v, chosen, _ in options if chosen] == [pm.pk]  # the viewer, by default
    labels = {int(value): label for value, _, label in options}
    assert labels[bold.pk] == escape("<b>Bold</b> & Co")
    assert labels[nameless.pk] == "nameless"


def test_the_change_request_select_offers_open_requests_and_those_settled_here(client, meeting):
    project = project_of(meeting.series)
    requests = [
        project_services.change_request_create(
            project_id=project.pk, by=project.manager, title=title, description="d", why="w"
        )
        for title in ("Plain", "<script>x</script> & more", "Settled here", "Closed elsewhere")
    ]
    type(requests[0]).objects.filter(pk__in=[r.pk for r in requests[2:]]).update(
        status=ChangeStatus.REJECTED
    )
    Decision.objects.create(
        meeting=meeting, text="No", made_by=project.manager, change_request=requests[2]
    )
    html = page(client, meeting)
    select = html.split('<select name="change_request"')[1].split("</select>")[0]
    assert '<option value="" selected>— none —</option>' in select
    offered = re.findall(r'<option value="(\d+)">([^<]*)</option>', select)
    assert [int(pk) for pk, _ in offered] == [requests[2].pk, requests[1].pk, requests[0].pk]
    label = f"{project.name}: CR-2 <script>x</script> & more"
    assert dict(offered)[str(requests[1].pk)] == escape(label)


def test_without_a_change_request_to_settle_the_decision_form_offers_none(client, meeting):
    html = page(client, meeting)
    assert 'name="change_request"' not in html
    assert "Record decision" in html


def test_the_page_carries_one_csrf_token_for_all_its_forms(client, meeting):
    for n in range(3):
        AgendaEntry.objects.create(meeting=meeting, section="status", key=f"k{n}", title="t")
    html = page(client, meeting)
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 1
    # The ticks, refresh, notes, topics, action items and decisions.
    assert html.count('name="csrfmiddlewaretoken"') >= 6
    assert f'"x-csrftoken": "{tokens.pop()}"' in html


@pytest.mark.parametrize(
    ("viewer_zone", "title_day"),
    [("UTC", "16 Nov"), ("America/Los_Angeles", "16 Nov"), ("Asia/Kolkata", "17 Nov")],
)
def test_the_title_is_in_the_viewers_zone_and_the_heading_in_the_series_zone(
    client, db, viewer_zone, title_day
):
    """Monday 16 November 20:30 UTC is Tuesday 09:30 in Auckland, where the series meets: the
    heading says so, in the series' zone; the title says the viewer's day."""
    series = make_series(time_zone="Pacific/Auckland", duration_minutes=45)
    meeting = SyncMeeting.objects.create(
        series=series,
        week_start=date(2026, 11, 16),
        starts_at=datetime(2026, 11, 16, 20, 30, tzinfo=UTC),
    )
    for person in series.participants():  # who may read it: who took part
        MeetingParticipant.objects.create(meeting=meeting, user=person)
    with timezone.override(viewer_zone):
        html = page(client, meeting)
    pair = f"{series.product_manager.get_full_name()} × {series.project_manager.get_full_name()}"
    assert f"<title>Sync · {escape(pair)} · {title_day}" in html
    assert "<h1>Tuesday 17 November, 09:30–10:15 <small" in html
    assert "Pacific/Auckland" in html


def test_the_page_links_to_the_weeks_before_and_after_and_to_its_project(client, series):
    monday = series.week_start(timezone.now())
    weeks = [
        services.meeting_ensure(series=series, week_start=monday + timedelta(days=7 * n))
        for n in range(3)
    ]
    first, middle, last = (page(client, m) for m in weeks)
    previous = f'href="{weeks[0].get_absolute_url()}" rel="prev"'
    following = f'href="{weeks[2].get_absolute_url()}" rel="next"'
    assert previous in middle
    assert following in middle
    assert 'rel="prev"' not in first
    assert f'href="{weeks[1].get_absolute_url()}" rel="next"' in first
    assert 'rel="next"' not in last
    for html in (first, middle, last):
        assert f'href="{reverse("alignment:series", args=[series.pk])}"' in html
        assert f'href="{reverse("alignment:index")}"' in html


def test_a_meeting_whose_project_no_longer_serves_a_product_still_opens(client, meeting):
    from projects.models import Project

    Project.objects.filter(pk=project_of(meeting.series).pk).update(product=None)
    html = page(client, meeting)
    series = meeting.series
    assert series.product_manager.get_full_name() in html
    assert series.project_manager.get_full_name() in html


def test_ticking_a_line_answers_with_that_line_ticked(client, meeting):
    entry = AgendaEntry.objects.create(
        meeting=meeting, section="status", key="k", title="<Health>", url="/p/"
    )
    manager = meeting.series.project_manager
    client.force_login(manager)
    url = reverse("alignment:mark_entry", args=[meeting.pk])
    ticked = {"entry": entry.pk, "discussed": entry.pk}
    html = client.post(url, ticked, HTTP_HX_REQUEST="true").content.decode()
    li = blocks(html, "entry-")[entry.pk]
    assert li.startswith(' class="entry tone-info is-discussed">')
    assert f"discussed · {manager.first_name}" in li
    assert "&lt;Health&gt;</label>" in li
    html = client.post(url, {"entry": entry.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "entry-by" not in html
    assert "checked" not in html


def test_the_tick_form_without_javascript_changes_only_what_the_person_changed(client, meeting):
    """The other person ticked line B meanwhile; this page showed A and B unticked and the
    person ticks A: A is ticked, B stays ticked."""
    a, b = (
        AgendaEntry.objects.create(meeting=meeting, section="status", key=k, title=k) for k in "ab"
    )
    manager = meeting.series.project_manager
    services.entry_mark(entry_id=b.pk, discussed=True, by=meeting.series.product_manager)
    client.force_login(manager)
    url = reverse("alignment:mark_entry", args=[meeting.pk])
    response = client.post(url, {"shown": f"{a.pk} {b.pk}", "was": "", "discussed": [a.pk]})
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.discussed, b.discussed) == (True, True)


# --- queries: the same number whatever the size -------------------------------------------------


def fill(meeting: SyncMeeting, entries: int, items: int, decisions: int) -> None:
    manager, pm = meeting.series.project_manager, meeting.series.product_manager
    AgendaEntry.objects.bulk_create(
        AgendaEntry(
            meeting=meeting,
            section=SECTIONS[n % 4],
            key=f"q{n}",
            title=f"Entry {n}",
            url="/p/" if n % 2 else "",
            discussed=n % 2 == 0,
            discussed_by=manager if n % 2 == 0 else None,
            position=n,
        )
        for n in range(entries)
    )
    ActionItem.objects.bulk_create(
        ActionItem(
            meeting=meeting,
            text=f"Action {n}",
            owner=[pm, manager][n % 2],
            created_by=pm,
            due_date=date(2026, 1, 1) if n % 2 else None,
        )
        for n in range(items)
    )
    Decision.objects.bulk_create(
        Decision(meeting=meeting, text=f"Decision {n}", made_by=pm) for n in range(decisions)
    )
    project = project_of(meeting.series)
    for n in range(decisions // 3):
        request = project_services.change_request_create(
            project_id=project.pk, by=manager, title=f"CR {n}", description="d", why="w"
        )
        Decision.objects.create(meeting=meeting, text="CR", made_by=pm, change_request=request)
    UserFactory.create_batch(items // 2)


# session, user; the meeting with its people and neighbours; entries; topics; action items;
# people for the owner select; decisions; change requests for the decision form; the
# reminder's schedule (sent yet? whose reminders are off?).
SYNC_PAGE_QUERIES = 11


@pytest.mark.parametrize(("entries", "items", "decisions"), [(5, 1, 1), (62, 20, 12)])
def test_the_sync_page_reads_the_same_queries_for_5_or_62_agenda_lines(
    client, meeting, earlier, django_assert_num_queries, entries, items, decisions
):
    fill(meeting, entries, items, decisions)
    fill(earlier, 0, items, 0)  # carried over
    client.force_login(meeting.series.project_manager)
    with django_assert_num_queries(SYNC_PAGE_QUERIES):
        response = client.get(meeting.get_absolute_url())
    html = response.content.decode()
    per_section = [len(range(n, entries, len(SECTIONS))) for n in range(len(SECTIONS))]
    assert html.count('<li id="entry-') == sum(min(n, SECTION_CAP) for n in per_section)
    assert html.count(">and ") == sum(n > SECTION_CAP for n in per_section)  # "and N more"
    assert html.count('<li id="action-') == 2 * items
    assert html.count('<li class="decision">') == decisions + decisions // 3


@pytest.mark.parametrize(
    ("region", "queries"),
    [("action-list", 4), ("decision-list", 4), ("agenda", 4), ("actions", 5), ("notes", 3)],
)
@pytest.mark.parametrize("size", [1, 20])
def test_a_polled_region_reads_only_what_it_shows(
    client, meeting, django_assert_num_queries, region, queries, size
):
    fill(meeting, size, size, size)
    client.force_login(meeting.series.project_manager)
    with django_assert_num_queries(queries):
        response = client.get(
            meeting.get_absolute_url(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET=region
        )
    html = response.content.decode().strip()
    assert re.match(rf'<(div|section) id="{region}"', html)
    assert "<html" not in html


# --- the sync index and the profile page at two sizes --------------------------------------------


def syncs_of(manager, n: int) -> None:
    """n more series of `manager`, each with last week's and this week's meeting and a
    reminder to the manager for each, and n active projects of theirs without a series."""
    from roleplan.alignment.models import Delivery, DeliveryKind, SyncSeries
    from tests.projects.factories import approved_project

    for _ in range(n):
        series = make_series(manager=manager)
        monday = series.week_start(timezone.now())
        for week in (monday - timedelta(days=7), monday):
            meeting = services.meeting_ensure(series=series, week_start=week)
            Delivery.objects.create(kind=DeliveryKind.REMINDER, meeting=meeting, recipient=manager)
    for _ in range(n):
        orphan = approved_project(manager=manager)
        SyncSeries.objects.filter(
            product_manager=orphan.product.asset.owner, project_manager=manager
        ).delete()


# session, user; series; the projects they cover; upcoming and past meetings; pairs without a
# series.
INDEX_QUERIES = 7
# session, user; the calendar token; the feed's series, meetings, projects and milestones; the
# latest deliveries.
PROFILE_QUERIES = 8


@pytest.mark.parametrize("n", [1, 6])
def test_the_sync_index_reads_the_same_queries_for_1_or_6_syncs(
    client, db, django_assert_num_queries, n
):
    manager = UserFactory()
    syncs_of(manager, n)
    client.force_login(manager)
    with django_assert_num_queries(INDEX_QUERIES):
        html = client.get(reverse("alignment:index")).content.decode()
    assert html.count("Open the next sync</button>") == n
    assert html.count("Set up weekly sync</button>") == n


@pytest.mark.parametrize("n", [1, 6])
def test_the_profile_page_reads_the_same_queries_for_1_or_6_syncs(
    client, db, django_assert_num_queries, n
):
    from roleplan.alignment import calendar

    manager = UserFactory()
    syncs_of(manager, n)
    calendar.calendar_token_regenerate(user=manager)
    client.force_login(manager)
    with django_assert_num_queries(PROFILE_QUERIES):
        html = client.get(reverse("alignment:profile")).content.decode()
    assert html.count("Reminder · ") == min(2 * n, 8)
