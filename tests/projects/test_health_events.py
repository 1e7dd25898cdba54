"""A project's health noted as it changes (projects.services.watch): announced once per change,
after a write on the plan and by the hourly sweep, and offered to webhooks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from projects import health, services
from projects.models import HealthRecord, Project, ProjectStatus
from projects.services.watch import health_note
from roleplan.events import Event
from roleplan.integrations.models import WebhookDelivery
from roleplan.integrations.services import subscription_create
from tests.projects.factories import START, MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db

TODAY = START + timedelta(days=10)


def noted(project) -> str:
    return HealthRecord.objects.get(project=project).status


def test_the_first_noting_is_silent_and_each_change_is_announced_once(project):
    assert health_note(project_ids=[project.pk], today=TODAY) == []
    assert noted(project) == health.ON_TRACK

    MilestoneFactory(project=project, title="Go-live", due_date=TODAY - timedelta(days=1))
    assert health_note(project_ids=[project.pk], today=TODAY) == [project.pk]
    assert noted(project) == health.AT_RISK
    assert health_note(project_ids=[project.pk], today=TODAY) == []  # no change, no news

    # The calendar alone: seen from before the milestone's date, it is not overdue.
    assert health_note(project_ids=[project.pk], today=TODAY - timedelta(days=5)) == [project.pk]
    assert noted(project) == health.ON_TRACK


def test_the_sweep_watches_open_projects_only(project):
    done = ProjectFactory(product=project.product)
    Project.objects.filter(pk=done.pk).update(status=ProjectStatus.CANCELLED)
    proposed = ProjectFactory(status=ProjectStatus.PROPOSED)
    health_note(today=TODAY)
    assert set(HealthRecord.objects.values_list("project_id", flat=True)) == {
        project.pk,
        proposed.pk,
    }
    assert noted(proposed) == health.NOT_BASELINED
    assert not HealthRecord.objects.filter(project=done).exists()


def test_a_write_on_the_plan_notes_the_health_once_it_commits(
    project, manager, django_capture_on_commit_callbacks
):
    from roleplan.celery import app

    health_note(project_ids=[project.pk])
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.milestone_create(
                project=project,
                by=manager,
                title="Late already",
                due_date=project.start_date,  # before today (frozen or not): overdue
            )
    finally:
        app.conf.task_always_eager = eager
    assert noted(project) == health.AT_RISK


@pytest.mark.postgresql  # the webhook's send is queued on the Redis broker, not run in-process
def test_a_health_change_plans_a_webhook_for_the_projects_subscribers(
    project, manager, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    subscription = subscription_create(
        owner=manager,
        project=project,
        target_url="http://127.0.0.1:9/hook",
        kind="standard",
        events=[str(Event.PROJECT_HEALTH_CHANGED)],
    )
    health_note(project_ids=[project.pk], today=TODAY)
    MilestoneFactory(project=project, title="Go-live", due_date=TODAY - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        health_note(project_ids=[project.pk], today=TODAY)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.event_type == str(Event.PROJECT_HEALTH_CHANGED)
    assert json.loads(delivery.body)["data"]["slug"] == project.slug
