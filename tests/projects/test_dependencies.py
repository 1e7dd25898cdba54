"""Dependencies between deliverables: finish-to-start with a lag, one project, no loops (in the
service, on the pages, and under two people linking at once), shown on the scope page and drawn
on the timeline."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from projects import services
from projects.models import DeliverableDependency
from tests.factories import UserFactory
from tests.projects.factories import DeliverableFactory, approved_project


@pytest.fixture
def chain(project):
    a = DeliverableFactory(
        project=project,
        title="Lists migrated",
        start_date=date(2026, 8, 3),
        due_date=date(2026, 8, 14),
    )
    b = DeliverableFactory(
        project=project,
        title="Templates migrated",
        start_date=date(2026, 8, 18),
        due_date=date(2026, 8, 28),
    )
    c = DeliverableFactory(
        project=project, title="Load test", start_date=date(2026, 9, 1), due_date=date(2026, 9, 11)
    )
    return a, b, c


def test_a_deliverable_depends_on_another_with_a_lag_and_linking_again_changes_the_lag(
    chain, manager
):
    a, b, _ = chain
    link = services.deliverable_dependency_add(
        successor_id=b.pk, predecessor_id=a.pk, lag_days=2, by=manager
    )
    assert (link.predecessor, link.successor, link.lag_days) == (a, b, 2)
    services.deliverable_dependency_add(
        successor_id=b.pk, predecessor_id=a.pk, lag_days=3, by=manager
    )
    assert DeliverableDependency.objects.get().lag_days == 3
    services.deliverable_dependency_remove(dependency_id=link.pk, by=manager)
    assert not DeliverableDependency.objects.exists()


def test_a_loop_is_refused_with_a_message_naming_it(chain, manager):
    a, b, c = chain
    services.deliverable_dependency_add(successor_id=b.pk, predecessor_id=a.pk, by=manager)
    services.deliverable_dependency_add(successor_id=c.pk, predecessor_id=b.pk, by=manager)
    with pytest.raises(ValidationError) as refused:
        services.deliverable_dependency_add(successor_id=a.pk, predecessor_id=c.pk, by=manager)
    assert refused.value.message_dict["predecessor"] == [
        "That would make a loop: “Load test” → “Lists migrated” → “Templates migrated” → "
        "“Load test” (each would wait for the one before it)."
    ]
    assert DeliverableDependency.objects.count() == 2


def test_itself_and_another_projects_deliverable_are_refused(chain, manager):
    a, _, _ = chain
    other = DeliverableFactory(project=approved_project())
    with pytest.raises(ValidationError, match="cannot depend on itself"):
        services.deliverable_dependency_add(successor_id=a.pk, predecessor_id=a.pk, by=manager)
    with pytest.raises(ValidationError, match="Choose a deliverable of this project"):
        services.deliverable_dependency_add(successor_id=a.pk, predecessor_id=other.pk, by=manager)


def test_the_database_holds_one_project_no_self_link_and_one_link_per_pair(chain):
    a, b, _ = chain
    other = DeliverableFactory(project=approved_project())
    for pred, succ in ((other, a), (a, a)):
        with pytest.raises(IntegrityError), transaction.atomic():
            DeliverableDependency.objects.create(predecessor=pred, successor=succ)
    DeliverableDependency.objects.create(predecessor=a, successor=b)
    with pytest.raises(IntegrityError), transaction.atomic():
        DeliverableDependency.objects.create(predecessor=a, successor=b)


def test_the_scope_page_says_what_each_deliverable_waits_for(client, viewer, chain, manager):
    a, b, _ = chain
    services.deliverable_dependency_add(
        successor_id=b.pk, predecessor_id=a.pk, lag_days=2, by=manager
    )
    client.force_login(viewer)
    page = client.get(reverse("projects:scope", args=[b.project.slug])).content.decode()
    assert "After</span> Lists migrated" in page
    assert "(+2 d)" in page
    assert "Depends on…" not in page  # a viewer changes nothing


def test_the_editor_opens_in_the_row_and_adds_a_link(client, manager, chain):
    a, b, _ = chain
    client.force_login(manager)
    url = reverse("projects:deliverable_dependencies", args=[b.project.slug, b.pk])
    assert url in client.get(reverse("projects:scope", args=[b.project.slug])).content.decode()
    editor = client.get(url, HTTP_HX_REQUEST="true")
    assert f'id="dependency-editor-{b.pk}"' in editor.content.decode()
    assert "<html" not in editor.content.decode()
    added = client.post(url, {"predecessor": a.pk, "lag_days": 1}, HTTP_HX_REQUEST="true")
    assert added.status_code == 200
    assert "projectChanged" in added["HX-Trigger"]
    assert "Lists migrated" in added.content.decode()
    assert DeliverableDependency.objects.filter(predecessor=a, successor=b, lag_days=1).exists()


def test_without_javascript_the_editor_is_a_page_and_a_post_redirects(client, manager, chain):
    a, b, _ = chain
    client.force_login(manager)
    url = reverse("projects:deliverable_dependencies", args=[b.project.slug, b.pk])
    assert "<html" in client.get(url).content.decode()
    response = client.post(url, {"predecessor": a.pk, "lag_days": 0})
    assert response.status_code == 302
    link = DeliverableDependency.objects.get()
    remove = reverse("projects:dependency_remove", args=[b.project.slug, b.pk, link.pk])
    assert client.post(remove).status_code == 302
    assert not DeliverableDependency.objects.exists()


def test_a_loop_on_the_page_is_refused_next_to_the_field(client, manager, chain):
    a, b, _ = chain
    services.deliverable_dependency_add(successor_id=b.pk, predecessor_id=a.pk, by=manager)
    client.force_login(manager)
    url = reverse("projects:deliverable_dependencies", args=[a.project.slug, a.pk])
    response = client.post(url, {"predecessor": b.pk, "lag_days": 0}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "That would make a loop: “Templates migrated” → “Lists migrated”" in (
        response.content.decode()
    )
    assert DeliverableDependency.objects.count() == 1


def test_viewers_cannot_edit_dependencies(client, viewer, chain):
    a, b, _ = chain
    client.force_login(viewer)
    url = reverse("projects:deliverable_dependencies", args=[b.project.slug, b.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"predecessor": a.pk, "lag_days": 0}).status_code == 403


def test_the_timeline_draws_a_connector_and_flags_a_successor_that_starts_too_early(
    client, viewer, chain, manager
):
    a, b, c = chain
    services.deliverable_dependency_add(successor_id=b.pk, predecessor_id=a.pk, by=manager)
    # Load test starts on 1 Sep: with a 10-day lag after 28 Aug it starts too early.
    services.deliverable_dependency_add(
        successor_id=c.pk, predecessor_id=b.pk, lag_days=10, by=manager
    )
    client.force_login(viewer)
    response = client.get(reverse("projects:timeline", args=[a.project.slug]))
    arrows = response.context["chart"].arrows
    titles = {arrow["title"]: arrow["cls"] for arrow in arrows}
    assert titles["Lists migrated before Templates migrated"] == ""
    assert titles["Templates migrated before Load test, +10 days: it starts before that"] == "late"
    page = response.content.decode()
    assert "starts before “Templates migrated” is finished (+10 days)" in page


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_people_linking_at_once_cannot_make_a_loop_together():
    """A → B and B → A at the same moment, each on its own connection: each alone is no loop;
    the project's lock makes the second see the first, so exactly one is kept."""
    manager = UserFactory()
    project = approved_project(manager=manager, deliverables=0)
    for _ in range(5):
        a = DeliverableFactory(project=project, title="A")
        b = DeliverableFactory(project=project, title="B")
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def run(index: int, pred: int, succ: int, barrier=barrier, results=results) -> None:
            try:
                barrier.wait()
                results[index] = services.deliverable_dependency_add(
                    successor_id=succ, predecessor_id=pred, by=manager
                )
            except Exception as exc:  # the outcome is what we test
                results[index] = exc
            finally:
                connection.close()

        threads = [
            threading.Thread(target=run, args=(0, a.pk, b.pk)),
            threading.Thread(target=run, args=(1, b.pk, a.pk)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        refused = [r for r in results if isinstance(r, ValidationError)]
        assert len(refused) == 1
        assert "That would make a loop" in refused[0].message_dict["predecessor"][0]
        assert DeliverableDependency.objects.filter(successor__in=[a, b]).count() == 1
