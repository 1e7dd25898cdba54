"""The structure of an MSPDI (Microsoft Project XML) document, for validating exports in tests.

Written down from Microsoft's "Project XML Data Interchange Schema Reference" (mspdi_pj12.xsd):
the element sequences of Project, Calendar, WeekDay, Task and PredecessorLink, in schema order,
with each element's type and occurrence. MS Project refuses a file whose elements are out of
sequence, so order is checked as strictly as the schema does. Only the complex elements our
export writes are described in depth; the other children are known by name and simple type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

NS = "http://schemas.microsoft.com/project"

INTEGER = re.compile(r"^-?\d+$")
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")
BOOLEAN = re.compile(r"^(0|1|true|false)$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
TIME = re.compile(r"^\d{2}:\d{2}:\d{2}$")
DURATION = re.compile(r"^-?P(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$")
STRING = re.compile(r"^.*$", re.S)


@dataclass(frozen=True)
class El:
    name: str
    kind: object  # a pattern for simple content, or a tuple of El for a complex sequence
    min: int = 0
    max: int | None = 1  # None: unbounded
    enum: tuple[str, ...] = ()
    max_length: int | None = None


DURATION_FORMATS = tuple(
    str(n) for n in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 19, 20, 21, *range(35, 45), 51, 52, 53)
)

PREDECESSOR_LINK = (
    El("PredecessorUID", INTEGER),
    El("Type", INTEGER, enum=("0", "1", "2", "3")),
    El("CrossProject", BOOLEAN),
    El("CrossProjectName", STRING),
    El("LinkLag", INTEGER),
    El("LagFormat", INTEGER, enum=DURATION_FORMATS),
)

WORKING_TIME = (El("FromTime", TIME), El("ToTime", TIME))
WEEK_DAY = (
    El("DayType", INTEGER, min=1, enum=tuple(str(n) for n in range(8))),
    El("DayWorking", BOOLEAN),
    El("TimePeriod", (El("FromDate", DATETIME), El("ToDate", DATETIME))),
    El("WorkingTimes", (El("WorkingTime", WORKING_TIME, max=5),)),
)
CALENDAR = (
    El("UID", INTEGER, min=1),
    El("Name", STRING, max_length=512),
    El("IsBaseCalendar", BOOLEAN),
    El("BaseCalendarUID", INTEGER),
    El("WeekDays", (El("WeekDay", WEEK_DAY, max=None),)),
    El("Exceptions", STRING),
    El("WorkWeeks", STRING),
)

_TASK_SIMPLE = [
    ("UID", INTEGER),
    ("ID", INTEGER),
    ("Name", STRING),
    ("Type", INTEGER),
    ("IsNull", BOOLEAN),
    ("CreateDate", DATETIME),
    ("Contact", STRING),
    ("WBS", STRING),
    ("WBSLevel", STRING),
    ("OutlineNumber", STRING),
    ("OutlineLevel", INTEGER),
    ("Priority", INTEGER),
    ("Start", DATETIME),
    ("Finish", DATETIME),
    ("Duration", DURATION),
    ("DurationFormat", INTEGER),
    ("Work", DURATION),
    ("Stop", DATETIME),
    ("Resume", DATETIME),
    ("ResumeValid", BOOLEAN),
    ("EffortDriven", BOOLEAN),
    ("Recurring", BOOLEAN),
    ("OverAllocated", BOOLEAN),
    ("Estimated", BOOLEAN),
    ("Milestone", BOOLEAN),
    ("Summary", BOOLEAN),
    ("Critical", BOOLEAN),
    ("IsSubproject", BOOLEAN),
    ("IsSubprojectReadOnly", BOOLEAN),
    ("SubprojectName", STRING),
    ("ExternalTask", BOOLEAN),
    ("ExternalTaskProject", STRING),
    ("EarlyStart", DATETIME),
    ("EarlyFinish", DATETIME),
    ("LateStart", DATETIME),
    ("LateFinish", DATETIME),
    ("StartVariance", INTEGER),
    ("FinishVariance", INTEGER),
    ("WorkVariance", DECIMAL),
    ("FreeSlack", INTEGER),
    ("TotalSlack", INTEGER),
    ("FixedCost", DECIMAL),
    ("FixedCostAccrual", INTEGER),
    ("PercentComplete", INTEGER),
    ("PercentWorkComplete", INTEGER),
    ("Cost", DECIMAL),
    ("OvertimeCost", DECIMAL),
    ("OvertimeWork", DURATION),
    ("ActualStart", DATETIME),
    ("ActualFinish", DATETIME),
    ("ActualDuration", DURATION),
    ("ActualCost", DECIMAL),
    ("ActualOvertimeCost", DECIMAL),
    ("ActualWork", DURATION),
    ("ActualOvertimeWork", DURATION),
    ("RegularWork", DURATION),
    ("RemainingDuration", DURATION),
    ("RemainingCost", DECIMAL),
    ("RemainingWork", DURATION),
    ("RemainingOvertimeCost", DECIMAL),
    ("RemainingOvertimeWork", DURATION),
    ("ACWP", DECIMAL),
    ("CV", DECIMAL),
    ("ConstraintType", INTEGER),
    ("CalendarUID", INTEGER),
    ("ConstraintDate", DATETIME),
    ("Deadline", DATETIME),
    ("LevelAssignments", BOOLEAN),
    ("LevelingCanSplit", BOOLEAN),
    ("LevelingDelay", INTEGER),
    ("LevelingDelayFormat", INTEGER),
    ("PreLeveledStart", DATETIME),
    ("PreLeveledFinish", DATETIME),
    ("Hyperlink", STRING),
    ("HyperlinkAddress", STRING),
    ("HyperlinkSubAddress", STRING),
    ("IgnoreResourceCalendar", BOOLEAN),
    ("Notes", STRING),
    ("HideBar", BOOLEAN),
    ("Rollup", BOOLEAN),
    ("BCWS", DECIMAL),
    ("BCWP", DECIMAL),
    ("PhysicalPercentComplete", INTEGER),
    ("EarnedValueMethod", INTEGER),
]
_TASK_ENUMS = {
    "Type": ("0", "1", "2"),
    "DurationFormat": DURATION_FORMATS,
    "ConstraintType": tuple(str(n) for n in range(8)),
    "FixedCostAccrual": ("1", "2", "3"),
}
TASK = (
    *(
        El(
            name,
            kind,
            min=1 if name == "UID" else 0,
            enum=_TASK_ENUMS.get(name, ()),
            max_length=512 if name == "Name" else None,
        )
        for name, kind in _TASK_SIMPLE
    ),
    El("PredecessorLink", PREDECESSOR_LINK, max=None),
    El("ActualWorkProtected", DURATION),
    El("ActualOvertimeWorkProtected", DURATION),
    El("ExtendedAttribute", STRING, max=None),
    El("Baseline", STRING, max=None),
    El("OutlineCode", STRING, max=None),
    El("IsPublished", BOOLEAN),
    El("StatusManager", STRING),
    El("CommitmentStart", DATETIME),
    El("CommitmentFinish", DATETIME),
    El("CommitmentType", INTEGER),
    El("TimephasedData", STRING, max=None),
)

_PROJECT_SIMPLE = [
    ("SaveVersion", INTEGER, 1),
    ("UID", STRING, 0),
    ("Name", STRING, 0),
    ("Title", STRING, 0),
    ("Subject", STRING, 0),
    ("Category", STRING, 0),
    ("Company", STRING, 0),
    ("Manager", STRING, 0),
    ("Author", STRING, 0),
    ("CreationDate", DATETIME, 0),
    ("Revision", INTEGER, 0),
    ("LastSaved", DATETIME, 0),
    ("ScheduleFromStart", BOOLEAN, 0),
    ("StartDate", DATETIME, 0),
    ("FinishDate", DATETIME, 0),
    ("FYStartDate", INTEGER, 0),
    ("CriticalSlackLimit", INTEGER, 0),
    ("CurrencyDigits", INTEGER, 0),
    ("CurrencySymbol", STRING, 0),
    ("CurrencyCode", STRING, 1),
    ("CurrencySymbolPosition", INTEGER, 0),
    ("CalendarUID", INTEGER, 0),
    ("DefaultStartTime", TIME, 0),
    ("DefaultFinishTime", TIME, 0),
    ("MinutesPerDay", INTEGER, 0),
    ("MinutesPerWeek", INTEGER, 0),
    ("DaysPerMonth", INTEGER, 0),
    ("DefaultTaskType", INTEGER, 0),
    ("DefaultFixedCostAccrual", INTEGER, 0),
    ("DefaultStandardRate", DECIMAL, 0),
    ("DefaultOvertimeRate", DECIMAL, 0),
    ("DurationFormat", INTEGER, 0),
    ("WorkFormat", INTEGER, 0),
    ("EditableActualCosts", BOOLEAN, 0),
    ("HonorConstraints", BOOLEAN, 0),
    ("EarnedValueMethod", INTEGER, 0),
    ("InsertedProjectsLikeSummary", BOOLEAN, 0),
    ("MultipleCriticalPaths", BOOLEAN, 0),
    ("NewTasksEffortDriven", BOOLEAN, 0),
    ("NewTasksEstimated", BOOLEAN, 0),
    ("SplitsInProgressTasks", BOOLEAN, 0),
    ("SpreadActualCost", BOOLEAN, 0),
    ("SpreadPercentComplete", BOOLEAN, 0),
    ("TaskUpdatesResource", BOOLEAN, 0),
    ("FiscalYearStart", BOOLEAN, 0),
    ("WeekStartDay", INTEGER, 0),
    ("MoveCompletedEndsBack", BOOLEAN, 0),
    ("MoveRemainingStartsBack", BOOLEAN, 0),
    ("MoveRemainingStartsForward", BOOLEAN, 0),
    ("MoveCompletedEndsForward", BOOLEAN, 0),
    ("BaselineForEarnedValue", INTEGER, 0),
    ("AutoAddNewResourcesAndTasks", BOOLEAN, 0),
    ("StatusDate", DATETIME, 0),
    ("CurrentDate", DATETIME, 0),
    ("MicrosoftProjectServerURL", BOOLEAN, 0),
    ("Autolink", BOOLEAN, 0),
    ("NewTaskStartDate", INTEGER, 0),
    ("DefaultTaskEVMethod", INTEGER, 0),
    ("ProjectExternallyEdited", BOOLEAN, 0),
    ("ExtendedCreationDate", DATETIME, 0),
    ("ActualsInSync", BOOLEAN, 0),
    ("RemoveFileProperties", BOOLEAN, 0),
    ("AdminProject", BOOLEAN, 0),
]
_PROJECT_LENGTHS = {"UID": 16, "Name": 255, "CurrencyCode": 3, "CurrencySymbol": 20}
PROJECT = (
    *(
        El(
            name,
            kind,
            min=minimum,
            max_length=_PROJECT_LENGTHS.get(name, 512 if kind is STRING else None),
        )
        for name, kind, minimum in _PROJECT_SIMPLE
    ),
    El("OutlineCodes", STRING),
    El("WBSMasks", STRING),
    El("ExtendedAttributes", STRING),
    El("Calendars", (El("Calendar", CALENDAR, max=None),)),
    El("Tasks", (El("Task", TASK, max=None),)),
    El("Resources", STRING),
    El("Assignments", STRING),
)


def local(tag: str) -> str:
    if not tag.startswith(f"{{{NS}}}"):
        raise AssertionError(f"{tag} is not in the MSPDI namespace {NS}")
    return tag[len(NS) + 2 :]


def validate_sequence(element: ET.Element, sequence: tuple[El, ...], path: str) -> list[str]:
    """Errors of `element`'s children against a schema sequence (order, occurrence, types)."""
    errors: list[str] = []
    position = 0
    counts: dict[str, int] = {}
    names = [el.name for el in sequence]
    for child in element:
        name = local(child.tag)
        if name not in names:
            errors.append(f"{path}: unknown element <{name}>")
            continue
        index = names.index(name)
        if index < position:
            errors.append(f"{path}: <{name}> is out of sequence (after <{names[position]}>)")
            continue
        position = index
        counts[name] = counts.get(name, 0) + 1
        spec = sequence[index]
        if spec.max is not None and counts[name] > spec.max:
            errors.append(f"{path}: <{name}> occurs more than {spec.max} times")
        child_path = f"{path}/{name}"
        if isinstance(spec.kind, tuple):
            if (child.text or "").strip():
                errors.append(f"{child_path}: complex element has text")
            errors.extend(validate_sequence(child, spec.kind, child_path))
        elif spec.kind is not STRING or spec.max_length:
            text = child.text or ""
            if len(child):
                errors.append(f"{child_path}: simple element has children")
            if not spec.kind.match(text):
                errors.append(f"{child_path}: {text!r} is not a valid value")
            if spec.enum and text not in spec.enum:
                errors.append(f"{child_path}: {text!r} is not one of the allowed values")
            if spec.max_length and len(text) > spec.max_length:
                errors.append(f"{child_path}: longer than {spec.max_length} characters")
    for spec in sequence:
        if counts.get(spec.name, 0) < spec.min:
            errors.append(f"{path}: required <{spec.name}> is missing")
    return errors


def validate(document: bytes) -> list[str]:
    root = ET.fromstring(document)
    if local(root.tag) != "Project":
        return [f"the root element is <{local(root.tag)}>, not <Project>"]
    return validate_sequence(root, PROJECT, "Project")
