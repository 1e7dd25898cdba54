"""Importing MS Project plans: a plan MPXJ writes becomes a proposed project with its
deliverables, milestone, links, groups and owners; files that cannot be a plan are refused with
a clear message and import nothing; the browser's pages and the command go through the same
reader and service."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from projects import mspdi_import, services
from projects.models import (
    CostLine,
    Deliverable,
    DeliverableDependency,
    DeliverableStatus,
    Milestone,
    Project,
    ProjectStatus,
)
from projects.mspdi_import import MAX_BYTES, Unreadable
from tests.projects.factories import grant_planner, make_product
from tests.projects.mpxj_plans import FIXTURE

TODAY = date(2026, 12, 7)
NS = "http://schemas.microsoft.com/project"


def plan_xml(tasks: str, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><Project xmlns="{NS}"><SaveVersion>14</SaveVersion>'
        f"<Title>Small plan</Title><Tasks>{tasks}</Tasks>{extra}</Project>"
    ).encode()


def task(uid: int, name: str, *, level: int = 1, summary: int = 0, links: str = "", **more) -> str:
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in more.items())
    return (
        f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>{level}"
        f"</OutlineLevel><Start>2026-08-03T08:00:00</Start><Finish>2026-08-07T17:00:00</Finish>"
        f"<Summary>{summary}</Summary>{fields}{links}</Task>"
    )


def link(uid: int, kind: int = 1, lag: int = 0, fmt: int = 7) -> str:
    return (
        f"<PredecessorLink><PredecessorUID>{uid}</PredecessorUID><Type>{kind}</Type>"
        f"<LinkLag>{lag}</LinkLag><LagFormat>{fmt}</LagFormat></PredecessorLink>"
    )


@pytest.fixture
def planner(manager):
    grant_planner(manager)
    return manager


# The plan MPXJ writes ----------------------------------------------------------------------------


def test_the_committed_fixture_is_what_mpxj_writes_today(mpxj, tmp_path, db):
    """The fixture cannot drift from MPXJ: written again now, it reads as the same plan."""
    fresh = tmp_path / "plan.xml"
    mpxj.write_sample_plan(fresh)

    def essence(p: mspdi_import.Proposal) -> tuple:
        return (
            p.name,
            p.start,
            p.deadline,
            p.budget,
            [(t.name, t.group, t.start, t.finish, t.status) for t in p.deliverables],
            [(m.name, m.finish) for m in p.milestones],
            [(x.predecessor, x.successor, x.lag_days) for x in p.links],
            [(r.name, r.email) for r in p.resources],
            [(n.item, n.text) for n in p.notes],
        )

    assert essence(mspdi_import.read(fresh.read_bytes(), today=TODAY)) == essence(
        mspdi_import.read(FIXTURE.read_bytes(), today=TODAY)
    )


def test_a_plan_mpxj_writes_imports_with_its_deliverables_milestone_and_links(planner):
    proposal = mspdi_import.read(FIXTURE.read_bytes(), today=TODAY)
    project = services.plan_import(proposal=proposal, by=planner, manager=planner)

    assert project.name == "Email platform migration"
    assert project.status == ProjectStatus.PROPOSED
    assert project.baselines.count() == 0
    deliverables = {d.title: d for d in project.deliverables.all()}
    assert set(deliverables) == {"Lists migrated", "Templates migrated", "Marketing trained"}
    lists = deliverables["Lists migrated"]
    assert (lists.start_date, lists.due_date) == (date(2026, 8, 3), date(2026, 8, 14))
    assert lists.status == DeliverableStatus.DONE
    assert lists.done_on == date(2026, 8, 14)
    assert deliverables["Templates migrated"].status == DeliverableStatus.IN_PROGRESS
    # The summary task is the group of the tasks under it.
    assert lists.group == "Migration"
    assert deliverables["Marketing trained"].group == ""
    # The resource is matched by name: Marco Rossi owns the tasks he is assigned to.
    assert lists.owner == planner
    assert deliverables["Templates migrated"].owner == planner
    assert deliverables["Marketing trained"].owner is None  # the vendor is nobody here
    # The baseline is kept as text: a roleplan baseline is made at approval.
    assert "Baseline in the imported plan: 3 Aug 2026 – 12 Aug 2026" in lists.description
    links = {
        (link.predecessor.title, link.successor.title): link.lag_days
        for link in DeliverableDependency.objects.filter(successor__project=project)
    }
    assert links == {
        ("Lists migrated", "Templates migrated"): 2,  # 9,600 tenths of minutes of 8-hour days
        ("Templates migrated", "Marketing trained"): 0,
    }
    live = Milestone.objects.get(project=project)
    assert (live.title, live.due_date) == ("Go live", date(2026, 9, 7))
    cost = CostLine.objects.get(project=project)
    assert (cost.description, cost.planned) == ("Marketing trained", Decimal("900.00"))


def test_links_the_model_cannot_say_are_refused_one_by_one_with_a_reason(manager):
    proposal = mspdi_import.read(FIXTURE.read_bytes(), today=TODAY)
    notes = {n.item: n.text for n in proposal.notes}
    assert "start-to-start" in notes["“Lists migrated” → “Marketing trained”"]
    assert "not kept" in notes["“Lists migrated” → “Marketing trained”"]
    assert "between a deliverable and a milestone" in notes["“Marketing trained” → “Go live”"]
    assert [r.name for r in proposal.unmatched] == ["Vendor Consultant"]


@pytest.mark.parametrize(
    ("kind", "words"),
    [(0, "finish-to-finish"), (2, "start-to-finish"), (3, "start-to-start")],
)
def test_every_other_link_type_is_named_and_not_kept(db, kind, words):
    data = plan_xml(task(1, "A") + task(2, "B", links=link(1, kind)))
    proposal = mspdi_import.read(data, today=TODAY)
    assert proposal.links == []
    assert any(words in n.text and "not kept" in n.text for n in proposal.notes)


def test_lags_are_converted_from_tenths_of_minutes_and_rounding_is_said(db):
    working = link(1, lag=2400)  # half a day of 8 hours
    elapsed = link(2, lag=28800, fmt=8)  # two elapsed days of 24 hours
    data = plan_xml(task(1, "A") + task(2, "B", links=working) + task(3, "C", links=elapsed))
    proposal = mspdi_import.read(data, today=TODAY)
    assert [(x.successor, x.lag_days) for x in proposal.links] == [("2", 0), ("3", 2)]
    assert any("lag of 0.50 days is kept as 0 days" in n.text for n in proposal.notes)


def test_a_loop_in_the_file_is_refused_at_the_link_that_closes_it(db):
    data = plan_xml(task(1, "A", links=link(2)) + task(2, "B", links=link(1)))
    proposal = mspdi_import.read(data, today=TODAY)
    assert len(proposal.links) == 1
    assert any("close a loop" in n.text for n in proposal.notes)


def test_nested_summaries_make_a_nested_group(db):
    data = plan_xml(
        task(1, "Phase 1", summary=1)
        + task(2, "Migration", level=2, summary=1)
        + task(3, "Lists", level=3)
        + task(4, "Phase 2", summary=1)
        + task(5, "Training", level=2)
    )
    proposal = mspdi_import.read(data, today=TODAY)
    assert [(t.name, t.group) for t in proposal.deliverables] == [
        ("Lists", "Phase 1 › Migration"),
        ("Training", "Phase 2"),
    ]


# Files that are not plans ------------------------------------------------------------------------

XXE = (
    b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<Project xmlns="http://schemas.microsoft.com/project"><Title>&x;</Title></Project>'
)
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    b'<Project xmlns="http://schemas.microsoft.com/project"><Title>&b;</Title></Project>'
)
BAD_FILES = {
    "malformed": (b"<Project><Tasks><Task>", "not well-formed XML"),
    "foreign": (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "not an MS Project"),
    "namespace": (b"<Project><Tasks/></Project>", "not an MS Project plan"),
    "xxe": (XXE, "refused for safety"),
    "bomb": (BOMB, "refused for safety"),
    "empty": (b"", "empty"),
    "no tasks": (plan_xml(""), "no tasks"),
    "oversized": (b"<" + b" " * MAX_BYTES, "5 MB"),
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_file_that_is_not_a_plan_is_refused_with_a_clear_message(db, name):
    data, words = BAD_FILES[name]
    with pytest.raises(Unreadable, match=words):
        mspdi_import.read(data, today=TODAY)


def test_too_many_tasks_are_refused(db, monkeypatch):
    monkeypatch.setattr(mspdi_import, "MAX_TASKS", 3)
    data = plan_xml("".join(task(n, f"T{n}") for n in range(1, 5)))
    with pytest.raises(Unreadable, match="4 tasks; up to 3 are imported"):
        mspdi_import.read(data, today=TODAY)


@pytest.mark.parametrize("name", ["malformed", "foreign", "xxe", "oversized"])
def test_the_import_page_answers_a_bad_file_next_to_the_field_and_imports_nothing(
    client, planner, name
):
    data, words = BAD_FILES[name]
    client.force_login(planner)
    response = client.post(
        reverse("projects:import"),
        {"file": SimpleUploadedFile("plan.xml", data), "manager": planner.pk},
    )
    assert response.status_code == 422
    assert words in response.content.decode()
    assert Project.objects.count() == 0


# The pages ---------------------------------------------------------------------------------------


def test_import_a_plan_is_offered_on_the_projects_list_to_planners_only(client, planner, viewer):
    client.force_login(planner)
    assert reverse("projects:import") in client.get(reverse("projects:index")).content.decode()
    client.force_login(viewer)
    assert reverse("projects:import") not in client.get(reverse("projects:index")).content.decode()
    assert client.get(reverse("projects:import")).status_code == 403


def test_upload_preview_import_and_summary(client, planner, product_owner):
    product = make_product(owner=product_owner, name="Email platform")
    client.force_login(planner)
    response = client.post(
        reverse("projects:import"),
        {
            "file": SimpleUploadedFile("plan.xml", FIXTURE.read_bytes()),
            "product": product.pk,
            "manager": planner.pk,
        },
    )
    assert response.status_code == 302
    preview_url = response["Location"]
    page = client.get(preview_url).content.decode()
    assert Project.objects.count() == 0  # a preview writes nothing
    assert "Preview: Email platform migration" in page
    assert "start-to-start link" in page  # the warnings
    assert "Vendor Consultant" in page
    assert "Not matched" in page
    assert "Lists migrated" in page
    assert "Migration" in page

    done = client.post(preview_url)
    assert done.status_code == 302
    project = Project.objects.get()
    assert project.product == product
    assert project.manager == planner
    summary = client.get(done["Location"]).content.decode()
    assert "Imported: Email platform migration" in summary
    assert project.get_absolute_url() in summary
    assert "Vendor Consultant" in summary  # not matched, listed again
    # A second click finds the import gone: one project.
    assert client.post(preview_url).status_code == 404
    assert Project.objects.count() == 1


def test_someone_else_cannot_open_or_confirm_your_preview(client, planner, editor):
    grant_planner(editor)
    client.force_login(planner)
    upload = client.post(
        reverse("projects:import"),
        {"file": SimpleUploadedFile("plan.xml", FIXTURE.read_bytes()), "manager": planner.pk},
    )
    client.force_login(editor)
    assert client.get(upload["Location"]).status_code == 404
    assert client.post(upload["Location"]).status_code == 404
    assert Project.objects.count() == 0


# The command -------------------------------------------------------------------------------------


def test_the_command_with_dry_run_shows_the_plan_and_writes_nothing(manager, product_owner):
    product = make_product(owner=product_owner, name="Email platform")
    out = StringIO()
    call_command(
        "import_mspdi",
        str(FIXTURE),
        "--product",
        product.asset.slug,
        "--manager",
        manager.username,
        "--dry-run",
        stdout=out,
    )
    text = out.getvalue()
    assert "3 deliverables, 1 milestones, 2 links" in text
    assert "Resource Vendor Consultant: not matched" in text
    assert "start-to-start" in text
    assert "Dry run: nothing was written." in text
    assert Project.objects.count() == 0
    assert Deliverable.objects.count() == 0


def test_the_command_imports_the_plan_for_the_product_and_manager(manager, product_owner):
    product = make_product(owner=product_owner, name="Email platform")
    out = StringIO()
    call_command(
        "import_mspdi",
        str(FIXTURE),
        "--product",
        product.asset.slug,
        "--manager",
        manager.username,
        stdout=out,
    )
    project = Project.objects.get()
    assert (project.product, project.manager) == (product, manager)
    assert project.deliverables.count() == 3
    assert "Imported as the proposed project" in out.getvalue()


def test_the_command_refuses_a_bad_file_with_its_reason(tmp_path, manager, product_owner):
    product = make_product(owner=product_owner)
    bad = tmp_path / "bad.xml"
    bad.write_bytes(XXE)
    with pytest.raises(CommandError, match="refused for safety"):
        call_command(
            "import_mspdi", str(bad), "--product", product.asset.slug, "--manager", manager.username
        )
    with pytest.raises(CommandError, match="No product"):
        call_command("import_mspdi", str(bad), "--product", "nope", "--manager", manager.username)
    assert Project.objects.count() == 0
