"""The sync page's agenda entries, action items and select options are written in Python
(roleplan/alignment/markup.py) for speed; the partials agenda-entry and action-item of
templates/alignment/meeting.html are their readable definition. These tests hold the two to the
same bytes, for rows in every state the page shows."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from roleplan.alignment import markup, page, services
from roleplan.alignment.forms import ActionItemForm, DecisionForm
from roleplan.alignment.models import ActionItem, AgendaEntry, Section, SyncMeeting
from tests.alignment.sync_factories import make_series
from tests.factories import UserFactory

TOKEN = "tok<en>&" + "x" * 56  # escaped like any value
TODAY = date(2026, 11, 18)
TITLES = [
    "Plain",
    "<script>alert('x')</script>",
    "Quotes \" and ' & ampersands",
    "Ünïcode ✓ — dash",
]


@pytest.fixture
def meeting(db):
    series = make_series()
    monday = date(2026, 11, 16)
    services.meeting_ensure(series=series, week_start=monday - timedelta(days=7))
    meeting = services.meeting_ensure(series=series, week_start=monday)
    return page.meeting_by_id(meeting.pk)


def template(name: str, context: dict) -> str:
    request = RequestFactory().get("/")
    return render_to_string(f"alignment/meeting.html#{name}", context, request=request)


def writer(meeting: SyncMeeting) -> markup.Writer:
    return markup.Writer(meeting_id=meeting.pk, csrf_token=TOKEN, today=TODAY)


def test_agenda_entries_in_every_state_are_written_as_the_template_writes_them(meeting):
    named = UserFactory(first_name="Ann", last_name="Lee")
    nameless = UserFactory(first_name="", last_name="", username="no.name")
    states = []
    for n in range(24):
        discussed = n % 2 == 0
        states.append(
            AgendaEntry(
                meeting=meeting,
                section=("status", "backlog", "pipeline", "problems")[n % 4],
                key=f"k{n}",
                title=f"{TITLES[n % 4]} {n}",
                detail=["", "due Tue 17 Nov", "<b>bold</b> & co", "x"][n // 4 % 4],
                url=["", "/projects/p/", "/products/a?b=1&c='2'"][n % 3],
                tone=("info", "ok", "warn", "bad")[n % 4],
                position=n,
                discussed=discussed,
                discussed_by=[named, nameless, None][n // 2 % 3] if discussed else None,
                stale=n % 5 == 0,
            )
        )
    AgendaEntry.objects.bulk_create(states)
    rows = {e.pk: e for e in page.entries(meeting.pk)}
    models = AgendaEntry.objects.filter(meeting=meeting).select_related("discussed_by")
    assert len(rows) == 24
    for entry in models:
        expected = template(
            "agenda-entry", {"entry": entry, "meeting": meeting, "csrf_token": TOKEN}
        )
        assert writer(meeting).entry(rows[entry.pk]) == expected


def test_action_items_in_every_state_are_written_as_the_template_writes_them(meeting):
    earlier = SyncMeeting.objects.filter(series_id=meeting.series_id).exclude(pk=meeting.pk).get()
    owners = [
        UserFactory(first_name="Marco", last_name="Rossi"),
        UserFactory(first_name="", last_name="", username="only.username"),
        UserFactory(first_name="<i>Evil</i>", last_name="O'Brien"),
    ]
    done_at = timezone.make_aware(datetime(2026, 11, 17, 9, 0))
    for n in range(18):
        ActionItem.objects.create(
            meeting=[meeting, earlier][n % 2],
            text=f"{TITLES[n % 4]} action {n}",
            owner=owners[n % 3],
            created_by=owners[0],
            due_date=[None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=30)][n % 4],
            done_at=done_at if n % 3 == 0 else None,
            done_by=owners[0] if n % 3 == 0 else None,
        )
    carried, here = page.action_items(meeting)
    rows = {i.pk: i for i in carried + here}
    models = ActionItem.objects.filter(pk__in=rows).select_related("owner", "meeting")
    assert len(rows) == 18
    assert {i.meeting_id for i in carried} == {earlier.pk}
    for item in models:
        context = {"item": item, "meeting": meeting, "csrf_token": TOKEN, "today": TODAY}
        assert writer(meeting).item(rows[item.pk]) == template("action-item", context)


OPTIONS = engines["django"].from_string(
    # What the page's selects were before markup.options wrote them.
    "{% with chosen=form.owner.value|stringformat:'s' %}{% for value, label in "
    'form.owner.field.choices %}<option value="{{ value }}"{% if chosen == value|'
    "stringformat:'s' %} selected{% endif %}>{{ label }}</option>{% endfor %}{% endwith %}"
)
CR_OPTIONS = engines["django"].from_string(
    "{% with chosen=form.change_request.value|stringformat:'s' %}{% for value, label in "
    'form.change_request.field.choices %}<option value="{{ value }}"{% if chosen == value|'
    "stringformat:'s' %} selected{% endif %}>{{ label }}</option>{% endfor %}{% endwith %}"
)


def test_the_owner_select_is_written_as_the_template_wrote_it(meeting):
    UserFactory(first_name="<b>Bold</b>", last_name="& Co")
    UserFactory(first_name="", last_name="", username="nameless")
    UserFactory(first_name="Gone", is_active=False)
    people = page.people(meeting)
    choices = page.owner_choices(meeting)
    assert list(choices) == ActionItemForm(people=people).fields["owner"].choices
    assert [c[0] for c in choices[:2]] == [p.pk for p in meeting.series.participants()]
    for form in (
        ActionItemForm(people=people, initial={"owner": people[1].pk}),
        ActionItemForm({"owner": str(people[2].pk)}, people=people),
        ActionItemForm({"owner": "not a number"}, people=people),
    ):
        form.is_valid()
        chosen = str(form["owner"].value())
        assert markup.options(choices, chosen) == OPTIONS.render({"form": form})


def test_the_change_request_select_is_written_as_the_template_wrote_it(meeting):
    from projects import services as project_services

    project = meeting.series.project
    for title in ("Plain", "<script>x</script> & more"):
        project_services.change_request_create(
            project_id=project.pk, by=project.manager, title=title, description="d", why="w"
        )
    requests = page.change_requests(meeting)
    assert len(requests) == 2
    for data in (None, {"change_request": str(requests[0].pk), "text": "t"}):
        form = DecisionForm(data, change_requests=requests)
        form.is_valid()
        field = form.fields["change_request"]
        html = markup.options(tuple(field.choices), str(form["change_request"].value()))
        assert html == CR_OPTIONS.render({"form": form})


def test_dates_follow_the_active_language(meeting):
    ActionItem.objects.create(
        meeting=meeting,
        text="Check",
        owner=meeting.series.project.manager,
        created_by=meeting.series.project.manager,
        due_date=date(2026, 12, 3),
    )
    _, here = page.action_items(meeting)
    with translation.override("de"):
        html = writer(meeting).item(here[0])
    assert "due 3 Dez" in html
    assert "due 3 Dec" in writer(meeting).item(here[0])


def test_the_page_carries_one_csrf_token_for_all_its_forms(client, meeting):
    for n in range(3):
        AgendaEntry.objects.create(meeting=meeting, section="status", key=f"k{n}", title="t")
    client.force_login(meeting.series.project.manager)
    html = client.get(meeting.get_absolute_url()).content.decode()
    tokens = set()
    for part in html.split('name="csrfmiddlewaretoken" value="')[1:]:
        tokens.add(part.split('"', 1)[0])
    assert len(tokens) == 1
    assert html.count('name="csrfmiddlewaretoken"') >= 3 + 4  # entries + page forms
    assert f'"x-csrftoken": "{tokens.pop()}"' in html


@pytest.mark.parametrize("key", ["status", "backlog", "pipeline", "problems"])
def test_agenda_sections_are_written_as_the_template_writes_them(meeting, key):
    AgendaEntry.objects.create(meeting=meeting, section=key, key="k", title="<Only> one")
    entries = page.entries(meeting.pk)
    label = dict(Section.choices)[key]
    for number, listed in ((1, entries), (4, [])):
        section = {
            "key": key,
            "label": label,
            "entries": listed,
            "html": writer(meeting).entries(listed),
        }
        expected = template("agenda-section", {"section": section, "number": number})
        assert writer(meeting).sections([(key, label, listed)]) == expected.replace(
            '<span class="section-no">4<', '<span class="section-no">1<'
        )
        assert markup.section_html(number, key, label, section["html"]) == expected


def test_blank_forms_are_shown_as_the_forms_would_show_them(rf, meeting):
    """The page builds no blank form: its regions read as with blank forms given."""
    from projects import services as project_services
    from roleplan.alignment.views import meeting_context

    project = meeting.series.project
    project_services.change_request_create(
        project_id=project.pk, by=project.manager, title="More", description="d", why="w"
    )
    request = rf.get(meeting.get_absolute_url())
    request.user = project.manager
    blank = {
        "action_form": ActionItemForm(
            people=page.people(meeting), initial={"owner": project.manager.pk}
        ),
        "decision_form": DecisionForm(change_requests=page.change_requests(meeting)),
    }
    for region in ("actions", "decisions"):
        built = render_to_string(
            f"alignment/meeting.html#{region}",
            meeting_context(request, meeting, **blank),
            request=request,
        )
        none = render_to_string(
            f"alignment/meeting.html#{region}", meeting_context(request, meeting), request=request
        )
        assert "csrfmiddlewaretoken" in none
        assert tokenless(none) == tokenless(built)
    assert "More" in none


def tokenless(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


PAGE_DATES = engines["django"].from_string(
    '{% load tz %}{{ start|date:"j M" }}|{% localtime off %}{{ start|date:"l j F" }}, '
    '{{ start|time:"H:i" }}–{{ end|time:"H:i" }}{% endlocaltime %}'
)


@pytest.mark.parametrize("language", ["en-us", "de"])
@pytest.mark.parametrize("current", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_the_title_and_heading_dates_are_written_as_the_filters_write_them(current, language):
    """The title's day is in the current time zone, the heading's times in the series' zone
    (another day than UTC's here)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Pacific/Auckland")
    start = datetime(2026, 11, 16, 11, 30, tzinfo=ZoneInfo("UTC"))
    end = start + timedelta(minutes=45)
    with translation.override(language), timezone.override(current):
        expected = PAGE_DATES.render({"start": start.astimezone(zone), "end": end.astimezone(zone)})
        title, heading = markup.meeting_dates(
            start, end, zone, timezone.get_current_timezone(), translation.get_language()
        )
    assert f"{title}|{heading}" == expected


def test_the_page_links_are_those_reverse_gives(meeting):
    from django.urls import reverse

    urls = markup.meeting_urls(meeting.pk, meeting.series_id, "a-project", None, 7)
    assert urls == {
        "meeting": reverse("alignment:meeting", args=[meeting.pk]),
        "refresh": reverse("alignment:refresh", args=[meeting.pk]),
        "add_action": reverse("alignment:add_action", args=[meeting.pk]),
        "add_decision": reverse("alignment:add_decision", args=[meeting.pk]),
        "notes": reverse("alignment:notes", args=[meeting.pk]),
        "index": reverse("alignment:index"),
        "series": reverse("alignment:series", args=[meeting.series_id]),
        "project": reverse("projects:detail", args=["a-project"]),
        "previous": "",
        "next": reverse("alignment:meeting", args=[7]),
    }
    urls["next"] = "changed"  # each page gets its own copy
    assert markup.meeting_urls(meeting.pk, meeting.series_id, "a-project", None, 7)["next"] != (
        "changed"
    )
