"""MS Project XML (MSPDI, the Project Data Interchange format) of a project's plan.

Deliverables in scope become tasks with their start, finish and duration; milestones become
zero-duration milestone tasks with their finish-to-start predecessor links; every task carries
the project's deadline. Elements follow the order of the MSPDI schema's sequences (Project,
Calendar, Task, PredecessorLink), which MS Project enforces and ProjectLibre reads.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from xml.etree import ElementTree as ET

from django.utils import timezone

from projects.models import Deliverable, Milestone, Project
from roleplan.people import display_name

NS = "http://schemas.microsoft.com/project"
SAVE_VERSION = "14"  # Project 2010 format, read by every later MS Project and by ProjectLibre
HOURS_PER_DAY = 8
LINK_FINISH_TO_START = "1"
CONSTRAINT_START_NO_EARLIER_THAN = "4"
DURATION_FORMAT_DAYS = "7"


def stamp(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00"


def working_days(first: date, last: date) -> int:
    days, current = 0, first
    while current <= last:
        if current.weekday() < 5:
            days += 1
        current += timedelta(days=1)
    return max(days, 1)


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


def _task(
    parent: ET.Element,
    *,
    uid: int,
    name: str,
    start: date,
    finish: date,
    milestone: bool,
    done: bool,
    deadline: date,
    notes: str,
    predecessors: list[int],
    created: datetime,
) -> None:
    task = sub(parent, "Task")
    sub(task, "UID", str(uid))
    sub(task, "ID", str(uid))
    sub(task, "Name", name[:512])
    sub(task, "Type", "1")  # fixed duration
    sub(task, "IsNull", "0")
    sub(task, "CreateDate", created.strftime("%Y-%m-%dT%H:%M:%S"))
    sub(task, "WBS", str(uid))
    sub(task, "OutlineNumber", str(uid))
    sub(task, "OutlineLevel", "1")
    sub(task, "Priority", "500")
    if milestone:
        sub(task, "Start", stamp(finish, 17))
        sub(task, "Finish", stamp(finish, 17))
        sub(task, "Duration", "PT0H0M0S")
    else:
        sub(task, "Start", stamp(start, 8))
        sub(task, "Finish", stamp(finish, 17))
        sub(task, "Duration", f"PT{working_days(start, finish) * HOURS_PER_DAY}H0M0S")
    sub(task, "DurationFormat", DURATION_FORMAT_DAYS)
    sub(task, "Milestone", "1" if milestone else "0")
    sub(task, "Summary", "0")
    sub(task, "PercentComplete", "100" if done else "0")
    sub(task, "ConstraintType", CONSTRAINT_START_NO_EARLIER_THAN)
    sub(task, "CalendarUID", "-1")
    sub(task, "ConstraintDate", stamp(finish if milestone else start, 8))
    sub(task, "Deadline", stamp(deadline, 17))
    if notes:
        sub(task, "Notes", notes)
    for predecessor in predecessors:
        link = sub(task, "PredecessorLink")
        sub(link, "PredecessorUID", str(predecessor))
        sub(link, "Type", LINK_FINISH_TO_START)
        sub(link, "CrossProject", "0")
        sub(link, "LinkLag", "0")
        sub(link, "LagFormat", DURATION_FORMAT_DAYS)


def build(project: Project, deliverables: list[Deliverable], milestones: list[Milestone]) -> bytes:
    """The MSPDI document; milestones need depends_on prefetched."""
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
    sub(root, "MinutesPerDay", str(HOURS_PER_DAY * 60))
    sub(root, "MinutesPerWeek", str(HOURS_PER_DAY * 60 * 5))
    sub(root, "DaysPerMonth", "20")
    _calendar(root)

    tasks = sub(root, "Tasks")
    scoped = [d for d in deliverables if d.in_scope and d.due_date]
    entries: list[tuple[date, int, str, object]] = [
        (d.start_date or d.due_date, 0, f"d{d.pk}", d) for d in scoped
    ] + [(m.due_date, 1, f"m{m.pk}", m) for m in milestones]
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    uids = {key: n for n, (_day, _order, key, _obj) in enumerate(entries, start=1)}
    for _day, _order, key, obj in entries:
        if isinstance(obj, Milestone):
            _task(
                tasks,
                uid=uids[key],
                name=obj.title,
                start=obj.due_date,
                finish=obj.due_date,
                milestone=True,
                done=obj.is_done,
                deadline=project.deadline,
                notes=obj.description,
                predecessors=[uids[f"m{p.pk}"] for p in obj.depends_on.all()],
                created=obj.created_at,
            )
        else:
            _task(
                tasks,
                uid=uids[key],
                name=obj.title,
                start=obj.start_date or obj.due_date,
                finish=obj.due_date,
                milestone=False,
                done=obj.is_done,
                deadline=project.deadline,
                notes=obj.description,
                predecessors=[],
                created=obj.created_at,
            )
    ET.register_namespace("", NS)
    body = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body).encode()
