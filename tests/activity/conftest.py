"""The people and objects of the activity tests: the demo's Black Friday case in miniature.

Five roles (tests/conftest.py): Olivia owns the product (the product manager), Eddie manages
its project (the project manager; with Olivia, the sync's two people), Vera is a stakeholder
who follows the product, Oscar is signed in with no part in anything, Stella is staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.core.cache import cache
from django.utils import timezone

from products.models import Product, RoadmapItem
from projects.models import Project, ProjectStatus
from roleplan.alignment import services as alignment_services
from roleplan.alignment.models import SyncMeeting, SyncSeries
from tests.alignment.delivery_fixtures import smtp_sink, workers  # noqa: F401 - fixtures
from tests.projects.factories import approved_project

NOTES_MARKER = "notes-private-3e9a"


@dataclass
class World:
    product: Product
    item: RoadmapItem
    project: Project
    series: SyncSeries
    meeting: SyncMeeting


@pytest.fixture(autouse=True)
def _empty_cache():
    """The unread counts live in the cache under each person's id: another test's (or run's)
    person with the same id must not lend them theirs."""
    cache.clear()


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Emails are sent by Celery tasks: here they run in the test's process (as under make run),
    except where a real worker is the point (the `workers` fixture)."""
    from roleplan.celery import app

    if "workers" in request.fixturenames:
        yield
        return
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = eager


@pytest.fixture
def world(owner, editor) -> World:
    project = approved_project(
        manager=editor,
        product_owner=owner,
        name="Replace legacy email system before Black Friday",
        slug="replace-legacy-email",
    )
    product = project.product
    product.asset.name = "Email marketing platform"
    product.asset.save(update_fields=["name"])
    Product.objects.filter(pk=product.pk).update(
        vision="By Black Friday every campaign goes out from the new platform."
    )
    item = RoadmapItem.objects.create(
        product=product, title="Abandoned-cart journeys", horizon="now", rank=0
    )
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.ACTIVE)
    alignment_services.series_ensure_for_active_projects()
    series = SyncSeries.objects.get(product_manager=owner, project_manager=editor)
    meeting = alignment_services.meeting_prepare(
        series_id=series.pk, week_start=series.week_start(timezone.now())
    )
    SyncMeeting.objects.filter(pk=meeting.pk).update(
        notes=f"Black Friday freeze agreed. {NOTES_MARKER}"
    )
    return World(
        product=Product.objects.select_related("asset").get(pk=product.pk),
        item=item,
        project=Project.objects.get(pk=project.pk),
        series=series,
        meeting=SyncMeeting.objects.get(pk=meeting.pk),
    )


MONDAY = date(2026, 12, 7)
