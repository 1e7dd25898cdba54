"""iCalendar and CSV exports of a project. (MS Project XML lives in mspdi.py.)"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from projects.models import Deliverable, Milestone, Project, ProjectRisk
from roleplan.people import display_name


def _host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "roleplan"


def ics(project: Project, milestones: list[Milestone]) -> bytes:
    """All-day events for the milestones and the deadline; stable UIDs so calendar apps
    update events in place when the file is imported again."""
    cal = Calendar()
    cal.add("prodid", "-//roleplan//projects//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{project.name} (roleplan)")
    now = timezone.now()
    url = f"{settings.SITE_URL}{project.get_absolute_url()}"
    for m in milestones:
        event = Event()
        event.add("uid", f"milestone-{m.pk}@{_host()}")
        event.add("dtstamp", now)
        event.add("dtstart", m.due_date)
        event.add("dtend", m.due_date + timedelta(days=1))
        event.add("summary", f"{m.title} · {project.name}")
        predecessors = ", ".join(p.title for p in m.depends_on.all())
        lines = [m.description] if m.description else []
        if predecessors:
            lines.append(f"After: {predecessors}")
        lines.append("Done on " + m.done_on.isoformat() if m.done_on else "Not done yet")
        event.add("description", "\n".join(lines))
        event.add("categories", ["Milestone"])
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    deadline = Event()
    deadline.add("uid", f"project-{project.pk}-deadline@{_host()}")
    deadline.add("dtstamp", now)
    deadline.add("dtstart", project.deadline)
    deadline.add("dtend", project.deadline + timedelta(days=1))
    deadline.add("summary", f"Deadline · {project.name}")
    deadline.add("categories", ["Deadline"])
    deadline.add("url", url)
    deadline.add("transp", "TRANSPARENT")
    cal.add_component(deadline)
    return cal.to_ical()


def cell(value: object) -> str:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ is read as text."""
    text = "" if value is None else str(value)
    return f"'{text}" if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _csv(header: list[str], rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def deliverables_csv(deliverables: list[Deliverable]) -> str:
    return _csv(
        [
            "id",
            "title",
            "status",
            "moscow",
            "in_scope",
            "estimate_days",
            "start_date",
            "due_date",
            "done_on",
            "roadmap_item",
            "kpi",
            "description",
        ],
        (
            [
                d.pk,
                d.title,
                d.status,
                d.moscow,
                "yes" if d.in_scope else "no",
                d.estimate_days if d.estimate_days is not None else "",
                d.start_date or "",
                d.due_date or "",
                d.done_on or "",
                d.roadmap_item.title if d.roadmap_item else "",
                d.roadmap_item.kpi.name if d.roadmap_item and d.roadmap_item.kpi else "",
                d.description,
            ]
            for d in deliverables
        ),
    )


def risks_csv(risks: list[ProjectRisk], today) -> str:
    return _csv(
        [
            "code",
            "title",
            "category",
            "probability",
            "impact",
            "score",
            "level",
            "owner",
            "status",
            "review_date",
            "review_overdue",
            "mitigation",
        ],
        (
            [
                r.code,
                r.title,
                r.category,
                r.probability,
                r.impact,
                r.score,
                r.level,
                display_name(r.owner),
                r.status,
                r.review_date,
                "yes" if r.review_overdue(today) else "no",
                r.mitigation,
            ]
            for r in risks
        ),
    )
