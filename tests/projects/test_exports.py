"""Exports that real tools read: MS Project XML checked against the MSPDI structure, the
calendar parsed with icalendar, the CSVs with the csv module."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from xml.etree import ElementTree as ET

import pytest
from django.urls import reverse
from icalendar import Calendar

from projects import services
from projects.models import DeliverableStatus
from tests.projects.factories import DeliverableFactory, MilestoneFactory, RiskFactory
from tests.projects.mspdi_structure import NS, validate

Q = f"{{{NS}}}"


@pytest.fixture
def plan(project, manager):
    contract = MilestoneFactory(project=project, title="Contract signed", due_date=date(2026, 8, 3))
    rehearsal = MilestoneFactory(
        project=project, title="Migration rehearsal", due_date=date(2026, 9, 21)
    )
    live = MilestoneFactory(project=project, title="Go live", due_date=date(2026, 11, 23))
    services.milestone_update(
        milestone_id=rehearsal.pk, expected_version=1, by=manager, changes={}, depends_on=[contract]
    )
    services.milestone_update(
        milestone_id=live.pk,
        expected_version=1,
        by=manager,
        changes={"done_on": None},
        depends_on=[rehearsal, contract],
    )
    DeliverableFactory(
        project=project,
        title="Lists migrated",
        start_date=date(2026, 8, 3),
        due_date=date(2026, 8, 14),
        status=DeliverableStatus.DONE,
        done_on=date(2026, 8, 14),
    )
    DeliverableFactory(project=project, title="Backlog idea", in_scope=False)
    return {"contract": contract, "rehearsal": rehearsal, "live": live}


def tasks_by_name(root: ET.Element) -> dict[str, ET.Element]:
    return {t.findtext(f"{Q}Name"): t for t in root.iter(f"{Q}Task")}


def test_ms_project_xml_is_linked_from_the_project_page_at_an_address_ending_in_xml(
    client, viewer, project
):
    client.force_login(viewer)
    url = reverse("projects:export_mspdi", args=[project.slug, project.slug])
    assert url.endswith(".xml")
    assert url in client.get(project.get_absolute_url()).content.decode()


def test_ms_project_xml_follows_the_mspdi_structure(client, viewer, project, plan):
    client.force_login(viewer)
    response = client.get(reverse("projects:export_mspdi", args=[project.slug, project.slug]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    assert f'filename="{project.slug}.xml"' in response["Content-Disposition"]
    assert validate(response.content) == []


def test_ms_project_xml_has_deliverables_milestones_dates_and_dependencies(
    client, viewer, project, plan
):
    client.force_login(viewer)
    body = client.get(reverse("projects:export_mspdi", args=[project.slug, project.slug])).content
    root = ET.fromstring(body)
    assert root.findtext(f"{Q}Title") == project.name
    assert root.findtext(f"{Q}StartDate") == "2026-07-27T08:00:00"
    assert root.findtext(f"{Q}FinishDate") == "2026-11-23T17:00:00"
    tasks = tasks_by_name(root)
    # In-scope deliverables and milestones; the backlog item is not part of the plan.
    assert "Backlog idea" not in tasks
    assert {"Contract signed", "Migration rehearsal", "Go live", "Lists migrated"} <= set(tasks)
    uids = [t.findtext(f"{Q}UID") for t in tasks.values()]
    assert len(uids) == len(set(uids))

    lists = tasks["Lists migrated"]
    assert lists.findtext(f"{Q}Start") == "2026-08-03T08:00:00"
    assert lists.findtext(f"{Q}Finish") == "2026-08-14T17:00:00"
    assert lists.findtext(f"{Q}Duration") == "PT80H0M0S"  # ten working days of eight hours
    assert lists.findtext(f"{Q}Milestone") == "0"
    assert lists.findtext(f"{Q}PercentComplete") == "100"

    live = tasks["Go live"]
    assert live.findtext(f"{Q}Milestone") == "1"
    assert live.findtext(f"{Q}Duration") == "PT0H0M0S"
    assert live.findtext(f"{Q}Finish") == "2026-11-23T17:00:00"
    links = live.findall(f"{Q}PredecessorLink")
    predecessors = {link.findtext(f"{Q}PredecessorUID") for link in links}
    assert predecessors == {
        tasks["Migration rehearsal"].findtext(f"{Q}UID"),
        tasks["Contract signed"].findtext(f"{Q}UID"),
    }
    assert {link.findtext(f"{Q}Type") for link in links} == {"1"}  # finish-to-start


def test_mspdi_validator_catches_elements_out_of_sequence():
    """The structure check can fail: a Finish before its Start is refused, as MS Project does."""
    bad = (
        f'<Project xmlns="{NS}"><SaveVersion>14</SaveVersion><CurrencyCode>EUR</CurrencyCode>'
        "<Tasks><Task><UID>1</UID><Finish>2026-01-02T17:00:00</Finish>"
        "<Start>2026-01-01T08:00:00</Start><Milestone>yes</Milestone></Task></Tasks></Project>"
    ).encode()
    errors = validate(bad)
    assert any("<Start> is out of sequence" in e for e in errors)
    assert any("Milestone: 'yes'" in e for e in errors)
    missing = f'<Project xmlns="{NS}"><Name>x</Name></Project>'.encode()
    assert "Project: required <SaveVersion> is missing" in validate(missing)


def test_calendar_export_parses_with_icalendar_and_holds_milestones_and_deadline(
    client, viewer, project, plan
):
    client.force_login(viewer)
    url = reverse("projects:export_ics", args=[project.slug, project.slug])
    assert url.endswith(".ics")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e.get("summary")): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"Contract signed · {project.name}",
        f"Migration rehearsal · {project.name}",
        f"Go live · {project.name}",
        f"Deadline · {project.name}",
    }
    live = events[f"Go live · {project.name}"]
    assert live.decoded("dtstart") == date(2026, 11, 23)
    assert live.decoded("dtend") == date(2026, 11, 23) + timedelta(days=1)
    assert "After: Migration rehearsal, Contract signed" in str(live.get("description")) or (
        "After: Contract signed, Migration rehearsal" in str(live.get("description"))
    )
    assert events[f"Deadline · {project.name}"].decoded("dtstart") == project.deadline
    uids = [str(e.get("uid")) for e in events.values()]
    assert len(set(uids)) == 4


def test_deliverables_csv_lists_every_deliverable_with_scope_and_trace(
    client, viewer, project, plan
):
    client.force_login(viewer)
    response = client.get(reverse("projects:export_deliverables", args=[project.slug]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_title = {r["title"]: r for r in rows}
    assert by_title["Backlog idea"]["in_scope"] == "no"
    assert by_title["Lists migrated"]["status"] == "done"
    assert by_title["Lists migrated"]["done_on"] == "2026-08-14"
    assert len(rows) == project.deliverables.count()


def test_risks_csv_has_score_owner_and_overdue_review(client, viewer, project, manager):
    RiskFactory(
        project=project,
        number=1,
        title="=HYPERLINK(evil)",
        probability=4,
        impact=5,
        owner=manager,
        review_date=date(2020, 1, 1),
    )
    client.force_login(viewer)
    response = client.get(reverse("projects:export_risks", args=[project.slug]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["code"] == "R1"
    assert rows[0]["score"] == "20"
    assert rows[0]["level"] == "high"
    assert rows[0]["owner"] == "Marco Rossi"
    assert rows[0]["review_overdue"] == "yes"
    assert rows[0]["title"] == "'=HYPERLINK(evil)"  # a formula is neutralised


def test_an_export_named_after_another_project_is_not_found(client, viewer, project):
    client.force_login(viewer)
    url = reverse("projects:export_mspdi", args=[project.slug, "someone-else"])
    assert client.get(url).status_code == 404
