"""Reading an MS Project XML plan (MSPDI, as MS Project, ProjectLibre and MPXJ write it) into a
proposal: what importing it would create, with a warning for everything that is not kept as
it was. Nothing is written here; projects.services.plan_import writes a proposal, all of it or
nothing. The browser's import and `manage.py import_mspdi` both go through read() and then
that service.

Safety: the file is parsed by defusedxml with DTDs forbidden, so no external entity is fetched
and no entity is expanded (a plan needs neither); a file over MAX_BYTES or with over MAX_TASKS
tasks is refused before anything is built from it. Every refusal is an Unreadable with a
message for the person who chose the file.

Mappings, and why:
- a task becomes a deliverable: its start, finish, work (as the estimate, in person-days),
  notes; its percent complete its status (0 planned, 1–99 in progress, 100 done, on its actual
  finish);
- a task with Milestone=1 becomes a milestone, done when 100% complete;
- summary tasks are not work of their own: each becomes the group of the deliverables under it,
  "Phase › Work package" for nested ones (roleplan's scope is a flat list with a group label;
  the export rebuilds the summary tasks from it);
- a finish-to-start link (Type 1) between two tasks becomes a dependency with its lag, converted
  from tenths of minutes into days of the file's working day (or of 24 hours for an elapsed
  lag); between two milestones, a milestone dependency (which has no lag). Start-to-start,
  finish-to-finish and start-to-finish links, links between a task and a milestone or to a
  summary, to another project, or closing a loop, cannot be said in roleplan: each is refused
  with a warning naming it;
- costs: the project's budget is the project summary task's baseline cost (what was committed),
  else its cost, else the tasks' costs added up; each task's cost becomes a planned cost line
  named after it, with its actual cost once spent (dated by today at the latest: spent money is
  dated when it was spent). The cost lines belong to the project, as all of roleplan's;
- baselines: a baseline in roleplan is what its product's owner approved in roleplan, so an
  imported project is proposed and has none; each task's baseline dates and cost are kept in
  its description as text, and a task that moved from its baseline is pointed out;
- resources: people are matched by email, then by full name, then by username (active
  accounts only); the matched resource with the most work on a task owns the deliverable;
  unmatched resources are listed. Cost and material resources are not people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower

from projects.models import GROUP_SEP, MAX_LAG_DAYS, DeliverableStatus
from projects.services.dependencies import loop_through
from roleplan.dates import LATEST, OUT_OF_RANGE, validate_date_in_range

NS = "{http://schemas.microsoft.com/project}"
MAX_BYTES = 5 * 1024 * 1024
MAX_TASKS = 5000
MAX_RESOURCES = 5000
MAX_ASSIGNMENTS = 20000
TITLE_MAX = 200
LINK_TYPES = {"0": "finish-to-finish", "1": "finish-to-start", "2": "start-to-finish"}
LINK_TYPES["3"] = "start-to-start"
# LagFormat values whose lag runs on the clock (elapsed) rather than on working time, and those
# that are a percentage of the predecessor's duration.
ELAPSED_FORMATS = {"4", "6", "8", "10", "12", "36", "38", "40", "42", "44"}
PERCENT_FORMATS = {"19", "20", "51", "52", "53"}
DURATION = re.compile(
    r"^-?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


class Unreadable(Exception):
    """The file cannot be imported at all; the message says why, for the person who chose it."""


@dataclass
class Note:
    """A warning about one item (or about the whole file, with `item` empty)."""

    item: str
    text: str


@dataclass
class ProposedTask:
    uid: str
    name: str
    group: str = ""
    start: date | None = None
    finish: date | None = None
    status: str = DeliverableStatus.PLANNED
    done_on: date | None = None
    estimate_days: Decimal | None = None
    description: str = ""
    owner: User | None = None
    also_assigned: list[str] = field(default_factory=list)
    predecessors: list[str] = field(default_factory=list)  # names, for the preview

    @property
    def status_label(self) -> str:
        return DeliverableStatus(self.status).label


@dataclass
class ProposedLink:
    predecessor: str  # task UIDs
    successor: str
    lag_days: int = 0


@dataclass
class ProposedCost:
    description: str
    category: str
    planned: Decimal
    actual: Decimal | None
    date: date


@dataclass
class Resource:
    name: str
    email: str = ""
    person: User | None = None
    why_unmatched: str = ""


@dataclass
class Proposal:
    name: str
    start: date
    deadline: date
    currency: str
    budget: Decimal
    budget_from: str
    deliverables: list[ProposedTask] = field(default_factory=list)
    milestones: list[ProposedTask] = field(default_factory=list)
    links: list[ProposedLink] = field(default_factory=list)
    milestone_links: list[ProposedLink] = field(default_factory=list)
    costs: list[ProposedCost] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    @property
    def matched(self) -> list[Resource]:
        return [r for r in self.resources if r.person]

    @property
    def unmatched(self) -> list[Resource]:
        return [r for r in self.resources if not r.person]


# Reading values -------------------------------------------------------------------------------


def text(element: Element, tag: str) -> str:
    child = element.find(NS + tag)
    return (child.text or "").strip() if child is not None else ""


def day(value: str) -> date | None:
    try:
        parsed = datetime.fromisoformat(value).date() if value else None
    except ValueError:
        return None
    try:
        validate_date_in_range(parsed)  # the rule of every date the app stores
    except ValidationError:
        raise Unreadable(f"The file has the date {parsed.isoformat()}: {OUT_OF_RANGE}") from None
    return parsed


def minutes(value: str) -> Decimal | None:
    match = DURATION.match(value or "")
    if not match:
        return None
    years, months, days, h, m, s = (Decimal(g) if g else Decimal(0) for g in match.groups())
    if years or months:
        return None  # calendar lengths a plan does not use; not guessed
    total = days * 24 * 60 + h * 60 + m + s / 60
    return -total if value.startswith("-") else total


def amount(value: str) -> Decimal:
    """A currency value as MSPDI writes it, in hundredths."""
    try:
        return (Decimal(value) / 100).quantize(Decimal("0.01")) if value else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def whole(value: str, default: int = 0) -> int:
    try:
        return int(Decimal(value)) if value else default
    except InvalidOperation:
        return default


def long_date(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


# The file -------------------------------------------------------------------------------------


def parse(data: bytes) -> Element:
    if len(data) > MAX_BYTES:
        raise Unreadable(
            f"The file is {len(data) / 1024 / 1024:.1f} MB; plans of up to "
            f"{MAX_BYTES // 1024 // 1024} MB are imported. Save a smaller plan (without "
            "timephased data, say) and import that."
        )
    if not data.strip():
        raise Unreadable("The file is empty.")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise Unreadable(
            "The file declares a DTD or entities, which an MS Project plan never needs: it is "
            "refused for safety. Save the plan again from MS Project or ProjectLibre."
        ) from None
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise Unreadable(
            f"The file is not well-formed XML (line {line}, column {column + 1}): it may be cut "
            "short or not XML at all. MS Project saves it with File › Save As › XML Format."
        ) from None
    if root.tag != f"{NS}Project":
        tag = root.tag.split("}")[-1]
        space = root.tag[1:].split("}")[0] if root.tag.startswith("{") else "no namespace"
        raise Unreadable(
            f"This XML is not an MS Project plan: its root is <{tag}> ({space}), where a plan "
            "saved as MS Project XML has <Project> in the namespace "
            "http://schemas.microsoft.com/project."
        )
    return root


def children(root: Element, group: str, tag: str, cap: int, what: str) -> list[Element]:
    container = root.find(NS + group)
    found = [] if container is None else container.findall(NS + tag)
    if len(found) > cap:
        raise Unreadable(
            f"The plan has {len(found):,} {what}; up to {cap:,} are imported. Split the plan."
        )
    return found


def _people(resources: list[Resource]) -> None:
    """Match resources to active accounts in one query: email, then full name, then username."""
    emails = {r.email.lower() for r in resources if r.email}
    names = {r.name.lower() for r in resources}
    if not resources:
        return
    candidates = list(
        User.objects.filter(is_active=True)
        .annotate(
            email_l=Lower("email"),
            full_l=Lower(Concat("first_name", Value(" "), "last_name")),
            username_l=Lower("username"),
        )
        .filter(Q(email_l__in=emails) | Q(full_l__in=names) | Q(username_l__in=names))
        .order_by("pk")
    )
    for r in resources:
        for key, value in (("email_l", r.email.lower()), ("full_l", r.name.lower())):
            found = [u for u in candidates if value and getattr(u, key) == value]
            if len(found) == 1:
                r.person = found[0]
                break
            if len(found) > 1:
                r.why_unmatched = f"{len(found)} people have this {key.split('_')[0]}"
                break
        else:
            found = [u for u in candidates if u.username_l == r.name.lower()]
            if len(found) == 1:
                r.person = found[0]
            else:
                r.why_unmatched = "no account with this email or name"


def _lag(link: Element, minutes_per_day: int, name: str) -> tuple[int, str]:
    """The lag in whole days, and a warning when it was not kept exactly."""
    raw = whole(text(link, "LinkLag"))
    fmt = text(link, "LagFormat")
    if not raw:
        return 0, ""
    if fmt in PERCENT_FORMATS:
        return 0, f"a lag of {raw / 10:g}% of {name} is not kept (roleplan's lag is in days)"
    per_day = 24 * 60 if fmt in ELAPSED_FORMATS else minutes_per_day
    days = Decimal(raw) / 10 / per_day
    kept = int(days.to_integral_value())
    kept = max(-MAX_LAG_DAYS, min(MAX_LAG_DAYS, kept))
    if kept != days:
        return kept, f"its lag of {days:.2f} days is kept as {kept} day{'s' if kept != 1 else ''}"
    return kept, ""


@dataclass
class _Task:
    uid: str
    name: str
    kind: str  # "deliverable", "milestone", "summary"
    element: Element
    proposed: ProposedTask | None = None


def read(data: bytes, *, today: date) -> Proposal:
    """The proposal of a plan's file; Unreadable when it cannot be imported at all."""
    root = parse(data)
    task_elements = children(root, "Tasks", "Task", MAX_TASKS, "tasks")
    resource_elements = children(root, "Resources", "Resource", MAX_RESOURCES, "resources")
    assignment_elements = children(
        root, "Assignments", "Assignment", MAX_ASSIGNMENTS, "assignments"
    )
    minutes_per_day = whole(text(root, "MinutesPerDay"), 480) or 480
    currency = text(root, "CurrencyCode").upper()
    notes: list[Note] = []
    if not (len(currency) == 3 and currency.isalpha()):
        currency = "EUR"

    tasks: dict[str, _Task] = {}
    deliverables: list[ProposedTask] = []
    milestones: list[ProposedTask] = []
    costs: list[ProposedCost] = []
    groups: list[str] = []
    outline: list[str] = []  # the summary names above the current task, by level
    project_cost = project_baseline_cost = Decimal(0)
    for number, element in enumerate(task_elements, start=1):
        uid = text(element, "UID") or f"#{number}"
        level = whole(text(element, "OutlineLevel"), -1)
        if level < 0:
            level = text(element, "OutlineNumber").count(".") + 1
        if uid == "0" or level == 0:
            project_cost = amount(text(element, "Cost"))
            for baseline in element.findall(NS + "Baseline"):
                if text(baseline, "Number") in ("", "0"):
                    project_baseline_cost = amount(text(baseline, "Cost"))
            continue
        if text(element, "IsNull") in ("1", "true"):
            continue
        raw_name = " ".join(text(element, "Name").split())
        name = raw_name[:TITLE_MAX] or f"Task {text(element, 'ID') or uid} (no name)"
        label = f"“{name}”"
        if not raw_name:
            notes.append(Note(label, "it has no name in the file: named after its number"))
        elif len(raw_name) > TITLE_MAX:
            notes.append(Note(label, f"its name is cut to {TITLE_MAX} characters"))
        if text(element, "Summary") in ("1", "true"):
            outline[level - 1 :] = [name]
            groups.append(GROUP_SEP.join(outline)[:TITLE_MAX])
            tasks[uid] = _Task(uid, name, "summary", element)
            continue
        del outline[level - 1 :]
        start, finish = day(text(element, "Start")), day(text(element, "Finish"))
        start, finish = start or finish, finish or start
        if start and finish and finish < start:
            notes.append(Note(label, "it finishes before it starts in the file: due on its start"))
            finish = start
        percent = whole(text(element, "PercentComplete"))
        actual_finish = day(text(element, "ActualFinish"))
        description = text(element, "Notes")
        baseline = next(
            (b for b in element.findall(NS + "Baseline") if text(b, "Number") in ("", "0")), None
        )
        if baseline is not None:
            b_start, b_finish = day(text(baseline, "Start")), day(text(baseline, "Finish"))
            b_cost = amount(text(baseline, "Cost"))
            parts = []
            if b_start or b_finish:
                parts.append(" – ".join(long_date(d) for d in (b_start, b_finish) if d))
            if b_cost:
                parts.append(f"cost {b_cost:,.2f} {currency}")
            if parts:
                line = "Baseline in the imported plan: " + ", ".join(parts) + "."
                description = f"{description}\n\n{line}" if description else line
            if b_finish and finish and finish != b_finish:
                moved = (finish - b_finish).days
                notes.append(
                    Note(
                        label,
                        f"finishes {abs(moved)} day{'s' if abs(moved) != 1 else ''} "
                        f"{'after' if moved > 0 else 'before'} its baseline (kept as text in "
                        "its description: a roleplan baseline is made at approval)",
                    )
                )
        group = GROUP_SEP.join(outline)[:TITLE_MAX]
        proposed = ProposedTask(uid=uid, name=name, group=group, description=description)
        if text(element, "Milestone") in ("1", "true"):
            proposed.finish = finish or start
            if proposed.finish is None:
                notes.append(Note(label, "a milestone without a date in the file: not imported"))
                continue
            proposed.done_on = (actual_finish or proposed.finish) if percent >= 100 else None
            milestones.append(proposed)
            tasks[uid] = _Task(uid, name, "milestone", element, proposed)
            continue
        proposed.start, proposed.finish = start, finish
        if percent >= 100:
            proposed.status = DeliverableStatus.DONE
            proposed.done_on = actual_finish or finish or today
        elif percent > 0:
            proposed.status = DeliverableStatus.IN_PROGRESS
        work = minutes(text(element, "Work"))
        if work and work > 0:
            proposed.estimate_days = (work / minutes_per_day).quantize(Decimal("0.1"))
        deliverables.append(proposed)
        tasks[uid] = _Task(uid, name, "deliverable", element, proposed)
        cost, actual = amount(text(element, "Cost")), amount(text(element, "ActualCost"))
        cost = cost or amount(text(element, "FixedCost"))
        if cost < 0 or actual < 0:
            notes.append(Note(label, "a negative cost is not imported"))
        elif cost or actual:
            when = start or finish or today
            if actual:
                when = min(when, today)  # spent money is dated when it was spent
            costs.append(
                ProposedCost(
                    description=name,
                    category="labour" if work else "other",
                    planned=max(cost, actual),
                    actual=actual or None,
                    date=when,
                )
            )

    if not deliverables and not milestones:
        raise Unreadable("The plan has no tasks to import (only summaries, or nothing at all).")

    links, milestone_links = _links(tasks, minutes_per_day, notes)
    resources = _resources(resource_elements, assignment_elements, tasks, notes)

    dated = [d for t in (*deliverables, *milestones) for d in (t.start, t.finish) if d]
    start = day(text(root, "StartDate")) or (min(dated) if dated else today)
    deadline = day(text(root, "FinishDate")) or (max(dated) if dated else start)
    if deadline <= start:
        deadline = max([start, *dated]) if dated else start
        if deadline <= start:
            deadline = start + timedelta(days=1)
            notes.append(
                Note("", "the plan ends on the day it starts: the deadline is a day later")
            )
    if deadline > LATEST:  # a plan starting on the last day there is: no day after it
        raise Unreadable(f"The plan would end on {deadline.isoformat()}: {OUT_OF_RANGE}")
    task_costs = sum((c.planned for c in costs), Decimal(0))
    if project_baseline_cost > 0:
        budget, budget_from = project_baseline_cost, "the plan's baseline cost"
    elif project_cost > 0:
        budget, budget_from = project_cost, "the plan's cost"
    else:
        budget, budget_from = task_costs, "the tasks' costs added up" if task_costs else "none"
    # MS Project's default title ("Project1") says nothing: the file's name then.
    title = text(root, "Title")
    if re.fullmatch(r"Project\d*", title):
        title = ""
    name = title or re.sub(r"\.(xml|mpp)$", "", text(root, "Name"), flags=re.I)
    return Proposal(
        name=(name or "Imported plan")[:TITLE_MAX],
        start=start,
        deadline=deadline,
        currency=currency,
        budget=budget,
        budget_from=budget_from,
        deliverables=deliverables,
        milestones=milestones,
        links=links,
        milestone_links=milestone_links,
        costs=costs,
        resources=resources,
        notes=notes,
        groups=list(dict.fromkeys(groups)),
    )


def _links(
    tasks: dict[str, _Task], minutes_per_day: int, notes: list[Note]
) -> tuple[list[ProposedLink], list[ProposedLink]]:
    links: list[ProposedLink] = []
    milestone_links: list[ProposedLink] = []
    seen: set[tuple[str, str]] = set()
    index = {uid: n for n, uid in enumerate(tasks)}  # the loop check works on numbers
    edges: dict[str, list[tuple[int, int]]] = {"deliverable": [], "milestone": []}
    for succ in tasks.values():
        for link in succ.element.findall(NS + "PredecessorLink"):
            pred_uid = text(link, "PredecessorUID")
            pred = tasks.get(pred_uid)
            kind = LINK_TYPES.get(text(link, "Type") or "1", "unknown")
            what = f"“{pred.name}” → “{succ.name}”" if pred else f"→ “{succ.name}”"
            if text(link, "CrossProject") in ("1", "true"):
                notes.append(Note(what, "a link to another project's task: not kept"))
                continue
            if pred is None:
                notes.append(Note(what, f"links a task (UID {pred_uid}) not in the file: not kept"))
                continue
            if (pred.uid, succ.uid) in seen:
                continue
            if "summary" in (pred.kind, succ.kind):
                notes.append(
                    Note(
                        what,
                        "a link to or from a summary task: roleplan links deliverables and "
                        "milestones, not groups, so it is not kept",
                    )
                )
                continue
            if kind != "finish-to-start":
                notes.append(
                    Note(
                        what,
                        f"a {kind} link: roleplan's dependencies are finish-to-start, so it is "
                        "not kept",
                    )
                )
                continue
            if pred.kind != succ.kind:
                notes.append(
                    Note(
                        what,
                        "a link between a deliverable and a milestone: roleplan links "
                        "deliverables to deliverables and milestones to milestones, so it is "
                        "not kept",
                    )
                )
                continue
            lag, warning = _lag(link, minutes_per_day, f"“{pred.name}”")
            loop = loop_through(edges[succ.kind], index[pred.uid], index[succ.uid])
            if loop:
                names = list(tasks.values())
                chain = " → ".join(f"“{names[n].name}”" for n in loop)
                notes.append(Note(what, f"it would close a loop ({chain}): not kept"))
                continue
            seen.add((pred.uid, succ.uid))
            edges[succ.kind].append((index[pred.uid], index[succ.uid]))
            if succ.kind == "milestone":
                if lag:
                    warning = f"its lag of {lag} days is not kept (milestone links have none)"
                milestone_links.append(ProposedLink(pred.uid, succ.uid))
            else:
                links.append(ProposedLink(pred.uid, succ.uid, lag))
            succ.proposed.predecessors.append(pred.name + (f" (+{lag} d)" if lag > 0 else ""))
            if warning:
                notes.append(Note(what, warning))
    return links, milestone_links


def _resources(
    resource_elements: list[Element],
    assignment_elements: list[Element],
    tasks: dict[str, _Task],
    notes: list[Note],
) -> list[Resource]:
    resources: dict[str, Resource] = {}
    for element in resource_elements:
        name = " ".join(text(element, "Name").split())
        kind = text(element, "Type") or "1"
        if not name or text(element, "IsNull") in ("1", "true") or kind != "1":
            continue  # the blank resource, and cost or material resources: not people
        resources[text(element, "UID")] = Resource(
            name=name[:200], email=text(element, "EmailAddress")[:254]
        )
    _people(list(resources.values()))
    work: dict[str, list[tuple[Decimal, Resource]]] = {}
    for a in assignment_elements:
        resource = resources.get(text(a, "ResourceUID"))
        task = tasks.get(text(a, "TaskUID"))
        if resource is None or task is None or task.kind != "deliverable":
            continue
        work.setdefault(task.uid, []).append((minutes(text(a, "Work")) or Decimal(0), resource))
    for uid, assigned in work.items():
        people = [(w, r) for w, r in assigned if r.person]
        proposed = tasks[uid].proposed
        if people:
            owner = max(people, key=lambda pair: pair[0])[1]
            proposed.owner = owner.person
            proposed.also_assigned = [r.name for _w, r in assigned if r is not owner]
            if proposed.also_assigned:
                notes.append(
                    Note(
                        f"“{proposed.name}”",
                        f"owned by {owner.name}; also assigned in the file: "
                        f"{', '.join(proposed.also_assigned)} (a deliverable has one owner)",
                    )
                )
        else:
            proposed.also_assigned = [r.name for _w, r in assigned]
    return sorted(resources.values(), key=lambda r: (r.person is None, r.name.lower()))
