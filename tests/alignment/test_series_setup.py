"""A project's weekly series: created when the project becomes active (projects' services), by
the beat task and send_reminders as a safety net, or with the "Set up weekly sync" button of
/sync/. A GET of /sync/ never creates one."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from projects.models import Project
from roleplan import events
from roleplan.alignment import delivery, services
from roleplan.alignment.models import SyncSeries
from tests.alignment.sync_factories import series_of
from tests.factories import UserFactory
from tests.projects.factories import approved_project
from tests.security import snapshot

BUTTON = "Set up weekly sync"


def active_without_series(**fields) -> Project:
    """An active project serving a product whose series is missing (as after a failed or
    skipped creation)."""
    project = approved_project(**fields)
    Project.objects.filter(pk=project.pk).update(status="active")
    series_of(project).delete()
    return project


@pytest.fixture
def project(db):
    return active_without_series()


@pytest.fixture
def product_owner(project):
    return project.product.asset.owner


def setup_url(project: Project) -> str:
    return reverse("alignment:setup", args=[project.slug])


@pytest.mark.postgresql  # tests/security/snapshot reads PostgreSQL's catalogue
@pytest.mark.parametrize("who", ["manager", "product_owner", "staff"])
def test_get_sync_lists_a_missing_series_read_only(client, request, project, staff, who):
    user = project.manager if who == "manager" else request.getfixturevalue(who)
    client.force_login(user)
    before = snapshot.take()
    for query in ("", "?all=1"):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(reverse("alignment:index") + query, **headers)
            assert response.status_code == 200
    assert snapshot.differences(before, snapshot.take()) == []
    assert not SyncSeries.objects.exists()
    html = client.get(reverse("alignment:index") + ("?all=1" if who == "staff" else "")).content
    html = html.decode()
    assert project.name in html
    assert f'action="{setup_url(project)}"' in html
    assert BUTTON in html
    assert "csrfmiddlewaretoken" in html


def test_others_do_not_see_a_missing_series(client, project, outsider, staff):
    client.force_login(outsider)
    assert project.name not in client.get(reverse("alignment:index")).content.decode()
    client.force_login(staff)  # staff see it among all syncs, not among their own
    assert project.name not in client.get(reverse("alignment:index")).content.decode()


@pytest.mark.parametrize("who", ["manager", "product_owner", "staff"])
def test_the_button_sets_up_the_series_and_opens_its_settings(client, request, project, who):
    user = project.manager if who == "manager" else request.getfixturevalue(who)
    client.force_login(user)
    response = client.post(setup_url(project))
    series = series_of(project).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("alignment:series", args=[series.pk])
    # Twice: still one series, and the page no longer offers the button.
    assert client.post(setup_url(project))["Location"] == response["Location"]
    assert series_of(project).count() == 1
    html = client.get(reverse("alignment:index") + "?all=1").content.decode()
    assert BUTTON not in html
    assert project.name in html


@pytest.mark.postgresql  # tests/security/snapshot reads PostgreSQL's catalogue
@pytest.mark.parametrize("who", ["outsider", "editor", "deputy"])
def test_the_button_is_refused_to_everyone_else(client, project, who):
    person = UserFactory()
    if who == "editor":
        project.editors.add(person)
        project.product.editors.add(person)
    elif who == "deputy":
        project.product.asset.deputy = person
        project.product.asset.save(update_fields=["deputy"])
    client.force_login(person)
    before = snapshot.take()
    response = client.post(setup_url(project))
    assert response.status_code == 404
    assert client.post(reverse("alignment:setup", args=["no-such-project"])).status_code == 404
    assert snapshot.differences(before, snapshot.take()) == []


def test_the_button_needs_a_post_with_the_csrf_token(project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(project.manager)
    assert client.get(setup_url(project)).status_code == 405
    assert client.post(setup_url(project)).status_code == 403
    assert not SyncSeries.objects.exists()
    html = client.get(reverse("alignment:index")).content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post(setup_url(project), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert series_of(project).exists()


@pytest.mark.parametrize("change", [{"status": "on_hold"}, {"product": None}])
def test_a_project_that_does_not_meet_gets_no_series(client, project, change):
    Project.objects.filter(pk=project.pk).update(**change)
    client.force_login(project.manager)
    assert project.name not in client.get(reverse("alignment:index")).content.decode()
    response = client.post(setup_url(project), follow=True)
    assert response.redirect_chain[-1][0] == reverse("alignment:index")
    assert "Only an active project that serves a product" in response.content.decode()
    assert not SyncSeries.objects.exists()
    assert services.series_ensure_for_project(project_id=project.pk) is None


def test_series_ensure_for_project_creates_once_and_keeps_the_settings(project):
    series = services.series_ensure_for_project(project_id=project.pk)
    SyncSeries.objects.filter(pk=series.pk).update(weekday=4)
    again = services.series_ensure_for_project(project_id=project.pk)
    assert again.pk == series.pk
    assert again.weekday == 4
    other = active_without_series()
    assert series_of(other).count() == 0  # only the one asked for


def test_the_beat_task_creates_missing_series_as_a_safety_net(project):
    delivery.reminders_due()
    assert series_of(project).count() == 1


def test_send_reminders_creates_missing_series_as_a_safety_net(project):
    call_command("send_reminders", "--no-send", stdout=io.StringIO())
    assert series_of(project).count() == 1


def test_approving_a_project_that_serves_a_product_creates_its_series(
    db, django_capture_on_commit_callbacks
):
    """Approval makes the project active: once it commits, its weekly sync exists."""
    with django_capture_on_commit_callbacks(execute=True):
        project = approved_project()
    series = series_of(project).get()
    assert (series.weekday, series.paused) == (SyncSeries().weekday, False)


def test_approving_a_project_without_a_product_creates_no_series(
    db, django_capture_on_commit_callbacks
):
    from projects import services as project_services
    from tests.projects.factories import ProjectFactory

    project = ProjectFactory(product=None)
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_approve(project_id=project.pk, by=project.manager)
    assert not SyncSeries.objects.exists()


@pytest.mark.parametrize("was", [{"status": "on_hold"}, {"product": None}])
def test_an_edit_that_makes_a_project_meet_creates_its_series(
    project, was, django_capture_on_commit_callbacks
):
    """Back from on hold, or given a product while active: the edit creates the series."""
    from projects import services as project_services

    product = project.product
    pair = series_of(project)
    Project.objects.filter(pk=project.pk).update(**was)
    project.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_update(
            project_id=project.pk,
            expected_version=project.version,
            by=project.manager,
            changes={"status": "active", "product": product},
        )
    assert pair.count() == 1


def test_a_project_changed_event_creates_the_series_once_the_change_commits(
    project, django_capture_on_commit_callbacks
):
    """alignment subscribes to projects' PROJECT_CHANGED (projects imports no alignment): the
    series appears after the announcing transaction commits, never for a rolled-back one, and
    a second announcement changes nothing."""
    with django_capture_on_commit_callbacks() as callbacks:
        events.announce(events.Event.PROJECT_CHANGED, project_id=project.pk)
    assert not SyncSeries.objects.exists()  # not before the commit
    for callback in callbacks:
        callback()
    series = series_of(project).get()
    with django_capture_on_commit_callbacks(execute=True):
        events.announce(events.Event.PROJECT_CHANGED, project_id=project.pk)
    assert list(SyncSeries.objects.all()) == [series]
    other = active_without_series()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        announce_then_roll_back(other.pk)
    assert not series_of(other).exists()


def announce_then_roll_back(project_id: int) -> None:
    with transaction.atomic():
        events.announce(events.Event.PROJECT_CHANGED, project_id=project_id)
        raise RuntimeError("rolled back")
