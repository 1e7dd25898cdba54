"""MS Project XML (MSPDI, the Project Data Interchange format) of a project's plan, as MS
Project, ProjectLibre and MPXJ read it. (Reading such a file: projects/mspdi_import.py.)

What goes where:
- the project summary task (UID 0) spans the project; its fixed cost is what the cost lines
  will cost (the actual amount of a spent line, the plan of the others) and its actual cost
  what they spent: cost lines are the project's money in roleplan, not any deliverable's, so
  they are the project's cost, not a task's, and each line is listed in the task's notes. Its
  baseline is the current baseline's start, deadline and budget;
- deliverables in scope with a due date become tasks with their start, finish, duration and
  percent complete; a deliverable's group becomes summary tasks above it (one level for each
  part of "Phase › Work package"); its owner is a resource assigned to it, with its estimate
  as work; its baseline (when the current baseline holds it) is the baselined start, due date
  and estimate (as work; a deliverable has no cost of its own to baseline);
- milestones become zero-duration milestone tasks;
- finish-to-start links between deliverables (with their lag) and between milestones become
  predecessor links;
- resources are the project's people: the manager, the editors and the deliverables' owners,
  each with the role in the resource's group.

Elements follow the order of the MSPDI schema's sequences (Project, Task, PredecessorLink,
Baseline, Resource, Assignment), which MS Project enforces. Costs are written in hundredths, as
MSPDI stores currency (1,200.00 EUR is 120000); lags in tenths of minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from xml.etree import ElementTree as ET

from django.contrib.auth.models import User
from django.utils import timezone

from projects.models import (
    GROUP_SEP,
    Baseline,
    BaselineItem,
    CostLine,
    Deliverable,
    DeliverableDependency,
    Milestone,
    Project,
)
from roleplan.people import display_name

NS = "http://schemas.microsoft.com/project"
SAVE_VERSION = "14"  # Project 2010 format, read by every later MS Project and by ProjectLibre
HOURS_PER_DAY = 8
MINUTES_PER_DAY = HOURS_PER_DAY * 60
LINK_FINISH_TO_START = "1"
CONSTRAINT_START_NO_EARLIER_THAN = "4"
DURATION_FORMAT_DAYS = "7"
RESOURCE_WORK = "1"
FIXED_COST_ACCRUAL_PRORATED = "3"


def stamp(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00"


def working_days(first: date, last: date) -> int:
    days, current = 0, first
    while current <= last:
        if current.weekday() < 5:
            days += 1
        current += timedelta(days=1)
    return max(days, 1)


def hours(days: Decimal | int) -> str:
    """A duration of working days as MSPDI writes it (PT80H0M0S for ten days)."""
    minutes = int(Decimal(days) * MINUTES_PER_DAY)
    return f"PT{minutes // 60}H{minutes % 60}M0S"


def money(amount: Decimal) -> str:
    return str(int((amount * 100).to_integral_value()))


def sub(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _calendar(parent: ET.Element) -> None:
    calendars = sub(parent, "Calendars")
    calendar = sub(calendars, "Calendar")
    sub(calendar, "UID", "1")
    sub(calendar, "Name", "Standard")
    sub(calendar, "IsBaseCalendar", "1")
    sub(calendar, "BaseCalendarUID", "-1")
    week = sub(calendar, "WeekDays")
    for day_type in range(1, 8):  # 1 = Sunday … 7 = Saturday
        weekday = sub(week, "WeekDay")
        sub(weekday, "DayType", str(day_type))
        working = day_type not in (1, 7)
        sub(weekday, "DayWorking", "1" if working else "0")
        if working:
            times = sub(weekday, "WorkingTimes")
            for start, end in (("08:00:00", "12:00:00"), ("13:00:00", "17:00:00")):
                slot = sub(times, "WorkingTime")
                sub(slot, "FromTime", start)
                sub(slot, "ToTime", end)


@dataclass
class Link:
    uid: int
    lag_days: int = 0


@dataclass
class TaskBaseline:
    start: date | None
    finish: date
    work_days: Decimal | None = None
    cost: Decimal | None = None


@dataclass
class Task:
    """One task as it is written: the outline decides its place, the rest its content."""

    uid: int
    name: str
    start: date
    finish: date
    level: int
    outline: str = ""
    milestone: bool = False
    summary: bool = False
    done: bool = False
    notes: str = ""
    created: datetime | None = None
    predecessors: list[Link] = field(default_factory=list)
    baseline: TaskBaseline | None = None
    work_days: Decimal | None = None
    fixed_cost: Decimal | None = None
    actual_cost: Decimal | None = None
    constrain: bool = True


def _task(parent: ET.Element, t: Task, *, deadline: date) -> None:
    task = sub(parent, "Task")
    sub(task, "UID", str(t.uid))
    sub(task, "ID", str(t.uid))
    sub(task, "Name", t.name[:512])
    sub(task, "Type", "1")  # fixed duration
    sub(task, "IsNull", "0")
    if t.created:
        sub(task, "CreateDate", t.created.strftime("%Y-%m-%dT%H:%M:%S"))
    sub(task, "WBS", t.outline)
    sub(task, "OutlineNumber", t.outline)
    sub(task, "OutlineLevel", str(t.level))
    sub(task, "Priority", "500")
    if t.milestone:
        sub(task, "Start", stamp(t.finish, 17))
        sub(task, "Finish", stamp(t.finish, 17))
        sub(task, "Duration", "PT0H0M0S")
    else:
        sub(task, "Start", stamp(t.start, 8))
        sub(task, "Finish", stamp(t.finish, 17))
        sub(task, "Duration", hours(working_days(t.start, t.finish)))
    sub(task, "DurationFormat", DURATION_FORMAT_DAYS)
    if t.work_days is not None:
        sub(task, "Work", hours(t.work_days))
    sub(task, "Milestone", "1" if t.milestone else "0")
    sub(task, "Summary", "1" if t.summary else "0")
    if t.fixed_cost is not None:
        sub(task, "FixedCost", money(t.fixed_cost))
        sub(task, "FixedCostAccrual", FIXED_COST_ACCRUAL_PRORATED)
    sub(task, "PercentComplete", "100" if t.done else "0")
    if t.fixed_cost is not None:
        sub(task, "Cost", money(t.fixed_cost))
    if t.actual_cost is not None:
        sub(task, "ActualCost", money(t.actual_cost))
    if t.constrain:
        sub(task, "ConstraintType", CONSTRAINT_START_NO_EARLIER_THAN)
    sub(task, "CalendarUID", "-1")
    if t.constrain:
        sub(task, "ConstraintDate", stamp(t.finish if t.milestone else t.start, 8))
    sub(task, "Deadline", stamp(deadline, 17))
    if t.notes:
        sub(task, "Notes", t.notes)
    for predecessor in t.predecessors:
        link = sub(task, "PredecessorLink")
        sub(link, "PredecessorUID", str(predecessor.uid))
        sub(link, "Type", LINK_FINISH_TO_START)
        sub(link, "CrossProject", "0")
        sub(link, "LinkLag", str(predecessor.lag_days * MINUTES_PER_DAY * 10))
        sub(link, "LagFormat", DURATION_FORMAT_DAYS)
    if t.baseline:
        b = t.baseline
        baseline = sub(task, "Baseline")
        sub(baseline, "Number", "0")
        if b.start and not t.milestone:
            sub(baseline, "Start", stamp(b.start, 8))
        sub(baseline, "Finish", stamp(b.finish, 17))
        if t.milestone:
            sub(baseline, "Duration", "PT0H0M0S")
        elif b.start:
            sub(baseline, "Duration", hours(working_days(b.start, b.finish)))
        if b.start or t.milestone:
            sub(baseline, "DurationFormat", DURATION_FORMAT_DAYS)
        if b.work_days is not None:
            sub(baseline, "Work", hours(b.work_days))
        if b.cost is not None:
            sub(baseline, "Cost", money(b.cost))


@dataclass
class Node:
    """A place in the outline: a group (summary task) with its children, or a task."""

    name: str
    key: tuple
    children: dict[str, Node] = field(default_factory=dict)
    tasks: list[tuple[tuple, Task]] = field(default_factory=list)

    def first(self) -> tuple:
        keys = [key for key, _ in self.tasks] + [c.first() for c in self.children.values()]
        return min(keys)


def _outline(root: Node, next_uid: Iterable[int]) -> list[Task]:
    """The tasks in outline order, summaries first: at each level, groups and tasks by their
    first start; each task numbered (1, 1.1, 1.2, 2, …)."""
    uids = iter(next_uid)
    out: list[Task] = []

    def walk(node: Node, level: int, prefix: str) -> tuple[date, date]:
        entries = [(key, "task", t) for key, t in node.tasks] + [
            (child.first(), "group", child) for child in node.children.values()
        ]
        entries.sort(key=lambda e: e[0])
        spans = []
        for n, (_key, kind, item) in enumerate(entries, start=1):
            number = f"{prefix}{n}"
            if kind == "task":
                item.level, item.outline = level, number
                out.append(item)
                spans.append((item.start, item.finish))
            else:
                summary = Task(
                    uid=next(uids),
                    name=item.name,
                    start=date.min,  # from its children, below
                    finish=date.min,
                    level=level,
                    outline=number,
                    summary=True,
                    constrain=False,
                )
                out.append(summary)
                summary.start, summary.finish = walk(item, level + 1, f"{number}.")
                spans.append((summary.start, summary.finish))
        return min(s for s, _ in spans), max(f for _, f in spans)

    walk(root, 1, "")
    return out


def _resources(parent: ET.Element, people: list[tuple[int, User, str]]) -> None:
    resources = sub(parent, "Resources")
    for uid, person, role in people:
        resource = sub(resources, "Resource")
        sub(resource, "UID", str(uid))
        sub(resource, "ID", str(uid))
        sub(resource, "Name", display_name(person)[:512])
        sub(resource, "Type", RESOURCE_WORK)
        sub(resource, "IsNull", "0")
        sub(resource, "Group", role)
        if person.email:
            sub(resource, "EmailAddress", person.email[:512])


def _assignments(parent: ET.Element, rows: list[tuple[Task, int]]) -> None:
    assignments = sub(parent, "Assignments")
    for uid, (task, resource_uid) in enumerate(rows, start=1):
        assignment = sub(assignments, "Assignment")
        sub(assignment, "UID", str(uid))
        sub(assignment, "TaskUID", str(task.uid))
        sub(assignment, "ResourceUID", str(resource_uid))
        sub(assignment, "Finish", stamp(task.finish, 17))
        sub(assignment, "Start", stamp(task.start, 8))
        sub(assignment, "Units", "1")
        if task.work_days is not None:
            sub(assignment, "Work", hours(task.work_days))


def _people(
    project: Project, editors: list[User], deliverables: list[Deliverable]
) -> list[tuple[int, User, str]]:
    """The project's people as resources: the manager, the editors, the owners; once each."""
    roles: dict[int, tuple[User, str]] = {project.manager_id: (project.manager, "Project manager")}
    for person in editors:
        roles.setdefault(person.pk, (person, "Editor"))
    for d in deliverables:
        if d.owner_id:
            roles.setdefault(d.owner_id, (d.owner, "Deliverable owner"))
    return [(uid, person, role) for uid, (person, role) in enumerate(roles.values(), start=1)]


def _cost_notes(cost_lines: list[CostLine], currency: str) -> str:
    lines = ["Cost lines (planned; actual once spent):"]
    for c in cost_lines:
        spent = f", actual {c.actual} {currency}" if c.actual is not None else ""
        lines.append(
            f"- {c.date.isoformat()} {c.get_category_display()}: {c.description}, "
            f"planned {c.planned} {currency}{spent}"
        )
    return "\n".join(lines)


def build(
    project: Project,
    deliverables: list[Deliverable],
    milestones: list[Milestone],
    *,
    links: list[DeliverableDependency] = (),
    baseline: Baseline | None = None,
    baseline_items: list[BaselineItem] = (),
    cost_lines: list[CostLine] = (),
    editors: list[User] = (),
) -> bytes:
    """The MSPDI document. Milestones need depends_on prefetched, deliverables their owner,
    the project its manager."""
    now = timezone.localtime()
    root = ET.Element(f"{{{NS}}}Project")
    sub(root, "SaveVersion", SAVE_VERSION)
    sub(root, "Name", f"{project.slug}.xml")
    sub(root, "Title", project.name[:512])
    sub(root, "Manager", (display_name(project.manager))[:512])
    sub(root, "CreationDate", project.created_at.strftime("%Y-%m-%dT%H:%M:%S"))
    sub(root, "LastSaved", now.strftime("%Y-%m-%dT%H:%M:%S"))
    sub(root, "ScheduleFromStart", "1")
    sub(root, "StartDate", stamp(project.start_date, 8))
    sub(root, "FinishDate", stamp(project.deadline, 17))
    sub(root, "CurrencyDigits", "2")
    sub(root, "CurrencyCode", project.currency)
    sub(root, "CalendarUID", "1")
    sub(root, "DefaultStartTime", "08:00:00")
    sub(root, "DefaultFinishTime", "17:00:00")
    sub(root, "MinutesPerDay", str(MINUTES_PER_DAY))
    sub(root, "MinutesPerWeek", str(MINUTES_PER_DAY * 5))
    sub(root, "DaysPerMonth", "20")
    _calendar(root)

    scoped = [d for d in deliverables if d.in_scope and d.due_date]
    held = {item.deliverable_ref: item for item in baseline_items}
    # UIDs: deliverables and milestones in date order first (as before), then the summaries.
    entries: list[tuple[date, int, str, Deliverable | Milestone]] = [
        (d.start_date or d.due_date, 0, f"d{d.pk}", d) for d in scoped
    ] + [(m.due_date, 1, f"m{m.pk}", m) for m in milestones]
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    uids = {key: n for n, (_day, _order, key, _obj) in enumerate(entries, start=1)}
    predecessors: dict[str, list[Link]] = {}
    for link in links:
        pred, succ = f"d{link.predecessor_id}", f"d{link.successor_id}"
        if pred in uids and succ in uids:
            predecessors.setdefault(succ, []).append(Link(uids[pred], link.lag_days))

    tree = Node(name="", key=())
    tasks: list[tuple[Task, Deliverable | None]] = []
    for day, order, key, obj in entries:
        if isinstance(obj, Milestone):
            task = Task(
                uid=uids[key],
                name=obj.title,
                start=obj.due_date,
                finish=obj.due_date,
                level=1,
                milestone=True,
                done=obj.is_done,
                notes=obj.description,
                created=obj.created_at,
                predecessors=[Link(uids[f"m{p.pk}"]) for p in obj.depends_on.all()],
            )
            node = tree
        else:
            item = held.get(obj.pk)
            task = Task(
                uid=uids[key],
                name=obj.title,
                start=obj.start_date or obj.due_date,
                finish=obj.due_date,
                level=1,
                done=obj.is_done,
                notes=obj.description,
                created=obj.created_at,
                predecessors=predecessors.get(key, []),
                work_days=obj.estimate_days if obj.owner_id else None,
                baseline=TaskBaseline(
                    start=item.start_date, finish=item.due_date, work_days=item.estimate_days
                )
                if item and item.due_date
                else None,
            )
            node = tree
            for part in filter(None, (p.strip() for p in obj.group.split(GROUP_SEP))):
                node = node.children.setdefault(part, Node(name=part, key=()))
        node.tasks.append(((day, order, key), task))
        tasks.append((task, obj if isinstance(obj, Deliverable) else None))

    spent = sum((c.actual for c in cost_lines if c.actual is not None), Decimal(0))
    project_task = Task(
        uid=0,
        name=project.name,
        start=project.start_date,
        finish=project.deadline,
        level=0,
        outline="0",
        summary=True,
        constrain=False,
        notes=_cost_notes(cost_lines, project.currency) if cost_lines else "",
        fixed_cost=sum((c.forecast for c in cost_lines), Decimal(0)),
        actual_cost=spent,
        baseline=TaskBaseline(
            start=baseline.start_date, finish=baseline.deadline, cost=baseline.budget
        )
        if baseline
        else None,
    )
    ordered = _outline(tree, range(len(entries) + 1, len(entries) * 2 + 2))
    task_list = sub(root, "Tasks")
    for task in [project_task, *ordered]:
        _task(task_list, task, deadline=project.deadline)

    people = _people(project, list(editors), [d for _t, d in tasks if d is not None])
    resource_of = {person.pk: uid for uid, person, _role in people}
    _resources(root, people)
    _assignments(
        root, [(task, resource_of[d.owner_id]) for task, d in tasks if d is not None and d.owner_id]
    )
    ET.register_namespace("", NS)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body).encode()
