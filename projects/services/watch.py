"""Noting a project's health as it changes, for whoever reacts to it (webhooks, chat).

A project's health is computed from its figures (projects.health), never stored as the truth;
what is stored is the health last noted (HealthRecord), so a change can be announced once:
after every write on a project's plan (plan._lock_project queues a check once it commits) and
by a periodic sweep for what changes with the calendar alone (a milestone becoming overdue).
The first noting of a project is silent: it is news to the record, not a change."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from projects import health
from projects.models import HealthRecord, Project, ProjectStatus
from roleplan.events import Event, announce

WATCHED = (ProjectStatus.PROPOSED, ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)


@transaction.atomic
def health_note(*, project_ids: list[int] | None = None, today: date | None = None) -> list[int]:
    """Note the health of the projects (every watched one when `project_ids` is None) and
    announce PROJECT_HEALTH_CHANGED for each that changed since it was last noted. The records
    are locked first, so two checks at once announce a change once. Returns the changed ids."""
    today = today or timezone.localdate()
    projects = Project.objects.filter(status__in=WATCHED).order_by("pk")
    if project_ids is not None:
        projects = projects.filter(pk__in=project_ids)
    projects = list(projects)
    ids = [p.pk for p in projects]
    now = timezone.now()
    # A record for each project (the ones new to it get none yet: noted silently below), locked.
    records = {
        r.project_id: r for r in HealthRecord.objects.select_for_update().filter(project_id__in=ids)
    }
    figures = health.figures_for_projects(projects, today)
    new, changed = [], []
    for project in projects:
        status = health.assess(figures[project.pk].facts).status
        record = records.get(project.pk)
        if record is None:
            new.append(HealthRecord(project=project, status=status, changed_at=now))
        elif record.status != status:
            record.status, record.changed_at = status, now
            changed.append(record)
    # A concurrent first noting may have written the row since: its status stands.
    HealthRecord.objects.bulk_create(new, ignore_conflicts=True)
    HealthRecord.objects.bulk_update(changed, ["status", "changed_at"])
    for record in changed:
        announce(Event.PROJECT_HEALTH_CHANGED, project_id=record.project_id)
    return [record.project_id for record in changed]
