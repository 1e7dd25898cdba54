"""The MS Project export of the demo project, read by MPXJ (the reader behind ProjectLibre,
Java through JPype): it finds the baseline dates, the costs, the resources and their
assignments, the links between deliverables and the summary tasks of the groups."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from projects.models import Baseline, DeliverableDependency, Project
from tests.projects.mspdi_structure import validate


@pytest.fixture
def demo_export(db, client, tmp_path):
    call_command("seed_demo", stdout=io.StringIO())
    project = Project.objects.get(slug="replace-legacy-email-system")
    client.force_login(User.objects.get(username="stakeholder"))
    body = client.get(reverse("projects:export_mspdi", args=[project.slug, project.slug])).content
    path = tmp_path / "demo.xml"
    path.write_bytes(body)
    return project, path, body


def day(java_datetime) -> date:
    return date.fromisoformat(str(java_datetime.toLocalDate()))


def test_the_demo_export_follows_the_mspdi_structure(demo_export):
    _project, _path, body = demo_export
    assert validate(body) == []


def test_mpxj_reads_baselines_costs_resources_links_and_groups_from_the_demo_export(
    demo_export, mpxj
):
    project, path, _body = demo_export
    plan = mpxj.read(path)
    tasks = {str(t.getName()): t for t in plan.getTasks()}
    baseline = Baseline.objects.get(project=project, is_current=True)

    # The project summary task: the baseline's dates and budget, the cost lines' cost.
    summary = next(t for t in plan.getTasks() if int(t.getUniqueID()) == 0)
    assert day(summary.getBaselineStart()) == baseline.start_date
    assert day(summary.getBaselineFinish()) == baseline.deadline
    assert float(summary.getBaselineCost()) == float(baseline.budget)
    forecast = sum(c.forecast for c in project.cost_lines.all())
    spent = sum(c.actual for c in project.cost_lines.all() if c.actual is not None)
    assert float(summary.getCost()) == float(forecast)
    assert float(summary.getActualCost()) == float(spent)

    # Each baselined deliverable: its baselined start and finish.
    item = baseline.items.get(title="Lists and consent migrated")
    lists = tasks["Lists and consent migrated"]
    assert day(lists.getBaselineStart()) == item.start_date
    assert day(lists.getBaselineFinish()) == item.due_date
    assert str(lists.getBaselineWork()) == "120.0h"  # 15 person-days of 8 hours

    # Resources (the manager, the owners) and their assignments.
    resources = {str(r.getName()): r for r in plan.getResources() if r.getName()}
    assert {"Marco Rossi", "Dana Kim"} <= set(resources)
    assert str(resources["Dana Kim"].getEmailAddress()) == "dana.kim@example.com"
    assigned = {str(a.getResource().getName()) for a in lists.getResourceAssignments()}
    assert assigned == {"Dana Kim"}

    # Links between deliverables, with their lag, as finish-to-start.
    links = {
        (str(r.getPredecessorTask().getName()), str(r.getSuccessorTask().getName())): (
            str(r.getType()),
            str(r.getLag()),
        )
        for t in plan.getTasks()
        for r in t.getPredecessors()
    }
    for link in DeliverableDependency.objects.filter(successor__project=project).select_related(
        "predecessor", "successor"
    ):
        key = (link.predecessor.title, link.successor.title)
        assert links[key] == ("FS", f"{float(link.lag_days)}d")
    assert links[("Vendor contract signed", "Data migration rehearsal")][0] == "FS"

    # The groups are summary tasks over their deliverables.
    migration = tasks["Migration"]
    assert migration.getSummary()
    children = {str(t.getName()) for t in migration.getChildTasks()}
    assert children == {"Lists and consent migrated", "Templates and automations migrated"}


def test_the_reimported_demo_export_keeps_deliverables_links_groups_and_owners(demo_export):
    from projects import mspdi_import

    project, path, _body = demo_export
    proposal = mspdi_import.read(path.read_bytes(), today=date(2026, 1, 1))
    in_scope = project.deliverables.filter(in_scope=True, due_date__isnull=False)
    assert {t.name for t in proposal.deliverables} == {d.title for d in in_scope}
    assert (
        len(proposal.links)
        == DeliverableDependency.objects.filter(successor__project=project).count()
    )
    groups = {t.name: t.group for t in proposal.deliverables}
    assert groups["Lists and consent migrated"] == "Migration"
    owners = {t.name: t.owner.username for t in proposal.deliverables if t.owner}
    assert owners["Lists and consent migrated"] == "dana.kim"
    assert proposal.budget == project.baselines.get(is_current=True).budget
