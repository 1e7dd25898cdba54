"""MS Project plans written and read by MPXJ (the `mpxj` package: Java through JPype), the
library behind ProjectLibre: what roleplan imports must come from it, and what roleplan exports
must be read by it.

The JVM starts once per test process (start()); JPype cannot start a second one. Run this
module to write the fixture again:  .venv/bin/python -m tests.projects.mpxj_plans
"""

from __future__ import annotations

from pathlib import Path

import jpype
import mpxj  # noqa: F401  (puts MPXJ's jars on the JVM's class path)

FIXTURE = Path(__file__).parent / "files" / "mpxj_plan.xml"


def start() -> None:
    if not jpype.isJVMStarted():
        jpype.startJVM(convertStrings=True)


def write_sample_plan(path: Path) -> None:
    """A plan as a project manager builds it in ProjectLibre: a summary task (Migration) over
    two tasks linked finish-to-start with a 2-day lag, a third task finish-to-start after them
    (and start-to-start after the first), a milestone after the last task, a resource with an
    email on the first two tasks and one nobody in roleplan is, a baseline on the first task and
    a cost on the last."""
    start()
    from java.lang import Double
    from java.time import LocalDateTime
    from org.mpxj import Duration, ProjectFile, Relation, RelationType, TimeUnit
    from org.mpxj.mspdi import MSPDIWriter

    def at(month: int, day: int, hour: int) -> object:
        return LocalDateTime.of(2026, month, day, hour, 0)

    plan = ProjectFile()
    properties = plan.getProjectProperties()
    properties.setProjectTitle("Email platform migration")
    properties.setStartDate(at(8, 3, 8))
    properties.setCurrencyCode("EUR")
    plan.setDefaultCalendar(plan.addDefaultBaseCalendar())

    def task(parent, name: str, first: tuple, last: tuple, days: int):
        t = parent.addTask()
        t.setName(name)
        t.setStart(at(*first, 8))
        t.setFinish(at(*last, 17))
        t.setDuration(Duration.getInstance(days, TimeUnit.DAYS))
        return t

    def link(successor, predecessor, kind, lag_days: int = 0) -> None:
        successor.addPredecessor(
            Relation.Builder()
            .predecessorTask(predecessor)
            .type(kind)
            .lag(Duration.getInstance(lag_days, TimeUnit.DAYS))
        )

    migration = plan.addTask()
    migration.setName("Migration")
    lists = task(migration, "Lists migrated", (8, 3), (8, 14), 10)
    lists.setBaselineStart(at(8, 3, 8))
    lists.setBaselineFinish(at(8, 12, 17))
    lists.setBaselineCost(Double(1200.0))
    lists.setPercentageComplete(Double(100.0))
    lists.setActualStart(at(8, 3, 8))
    lists.setActualFinish(at(8, 14, 17))
    templates = task(migration, "Templates migrated", (8, 19), (8, 28), 8)
    templates.setPercentageComplete(Double(40.0))
    link(templates, lists, RelationType.FINISH_START, 2)
    training = task(plan, "Marketing trained", (8, 31), (9, 4), 5)
    training.setFixedCost(Double(900.0))
    training.setCost(Double(900.0))
    link(training, templates, RelationType.FINISH_START)
    link(training, lists, RelationType.START_START)
    live = plan.addTask()
    live.setName("Go live")
    live.setMilestone(True)
    live.setStart(at(9, 7, 17))
    live.setFinish(at(9, 7, 17))
    live.setDuration(Duration.getInstance(0, TimeUnit.DAYS))
    link(live, training, RelationType.FINISH_START)

    marco = plan.addResource()
    marco.setName("Marco Rossi")
    marco.setEmailAddress("marco.rossi@example.com")
    lists.addResourceAssignment(marco)
    templates.addResourceAssignment(marco)
    outsider = plan.addResource()
    outsider.setName("Vendor Consultant")
    training.addResourceAssignment(outsider)
    MSPDIWriter().write(plan, str(path))


def read(path: Path):
    """The plan as MPXJ reads it (its UniversalProjectReader, as ProjectLibre opens files)."""
    start()
    from org.mpxj.reader import UniversalProjectReader

    return UniversalProjectReader().read(str(path))


if __name__ == "__main__":
    write_sample_plan(FIXTURE)
    print(f"wrote {FIXTURE}")
