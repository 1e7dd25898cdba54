"""Search from the top bar: what each role finds, ranking, highlighting, query counts. These run
on both databases (full-text search on PostgreSQL, a word match on SQLite)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from products.models import RoadmapItem
from projects.models import Deliverable
from roleplan.activity import search, services
from roleplan.activity.targets import TARGETS
from roleplan.alignment.models import ActionItem
from tests.activity.conftest import NOTES_MARKER

URL = reverse("activity:search")


def found(user, query: str) -> list[tuple[str, str]]:
    return [(r.kind, "".join(p.text for p in r.title)) for r in search.search(user, query).results]


def test_the_product_manager_finds_the_product_the_project_and_its_sync(world, owner):
    kinds = {kind for kind, _ in found(owner, "Black Friday")}
    assert {"product", "project", "sync"} <= kinds  # the sync: by the project its pair shares
    assert "sync" in {kind for kind, _ in found(owner, world.series.product_manager.last_name)}
    assert "sync" not in {kind for kind, _ in found(owner, "Nothing shared by them")}


def test_the_project_manager_finds_the_meetings_notes(world, editor):
    assert ("meeting", str(world.meeting)) in found(editor, NOTES_MARKER.split("-")[1])


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_someone_outside_the_sync_never_finds_its_notes_action_items_or_sync(
    client, world, owner, who, request
):
    ActionItem.objects.create(
        meeting=world.meeting, text="Black Friday freeze memo", owner=owner, created_by=owner
    )
    person = request.getfixturevalue(who)
    kinds = {kind for kind, _ in found(person, "Black Friday")}
    assert kinds.isdisjoint({"meeting", "action-item", "sync", "sync-decision"})
    assert {"product", "project"} <= kinds
    client.force_login(person)
    html = client.get(URL, {"q": "freeze"}).content.decode()
    assert NOTES_MARKER not in html
    assert "memo" not in html


def test_staff_find_everything(world, staff):
    kinds = {kind for kind, _ in found(staff, "Black Friday")}
    assert {"product", "project", "meeting"} <= kinds
    assert "sync" in {kind for kind, _ in found(staff, world.series.product_manager.last_name)}


def test_comments_are_found_where_their_object_is_visible(world, owner, viewer):
    services.comment_add(
        target=TARGETS["meeting"], obj=world.meeting, by=owner, body="Quarantine the old IPs"
    )
    services.comment_add(
        target=TARGETS["product"], obj=world.product, by=owner, body="Quarantine policy"
    )
    assert [kind for kind, _ in found(owner, "quarantine")] == ["comment", "comment"]
    assert [kind for kind, _ in found(viewer, "quarantine")] == ["comment"]


def test_a_deleted_comment_is_not_found(world, owner):
    first = services.comment_add(
        target=TARGETS["product"], obj=world.product, by=owner, body="Zebra crossing"
    )
    services.comment_delete(comment_id=first.pk, by=owner)
    assert found(owner, "zebra") == []


def test_title_matches_come_before_text_matches(world, owner):
    product = world.product
    RoadmapItem.objects.create(
        product=product, title="Loyalty points", horizon="later", rank=0, problem="Seasonal promo"
    )
    RoadmapItem.objects.create(
        product=product,
        title="Seasonal promo calendar",
        horizon="later",
        rank=1,
        problem="Promo planning",
    )
    Deliverable.objects.create(project=world.project, title="Other", description="seasonal promo")
    titles = [title for _, title in found(owner, "seasonal promo")]
    assert titles[0] == "Seasonal promo calendar"
    assert set(titles[1:]) == {"Loyalty points", "Other"}


def test_matches_are_highlighted_and_the_text_around_them_escaped(client, world, owner):
    RoadmapItem.objects.create(
        product=world.product,
        title="<script>alert(1)</script> Tango launch",
        horizon="later",
        rank=0,
        problem="Tango <b>bold</b> problem",
    )
    client.force_login(owner)
    html = client.get(URL, {"q": "tango"}).content.decode()
    assert "<mark>Tango</mark>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Tango</mark> launch" in html
    assert "<script>alert" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_an_empty_query_shows_the_prompt_and_no_results(client, world, owner):
    client.force_login(owner)
    response = client.get(URL, {"q": "  "})
    assert response.status_code == 200
    assert "Type what you look for" in response.content.decode()


def test_results_come_a_page_at_a_time(client, world, owner):
    for n in range(search.PER_PAGE + 3):
        RoadmapItem.objects.create(
            product=world.product, title=f"Quokka {n}", horizon="later", rank=n
        )
    first = search.search(owner, "quokka")
    second = search.search(owner, "quokka", page=2)
    assert (len(first.results), first.has_next) == (search.PER_PAGE, True)
    assert (len(second.results), second.has_next) == (3, False)
    client.force_login(owner)
    assert "Next" in client.get(URL, {"q": "quokka"}).content.decode()


def fill(world, start: int, stop: int) -> None:
    RoadmapItem.objects.bulk_create(
        RoadmapItem(product=world.product, title=f"Walrus {i}", horizon="later", rank=i)
        for i in range(start, stop)
    )


def count(client, query: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL, {"q": query}).status_code == 200
    return len(captured)


def test_the_search_page_costs_the_same_queries_at_10_and_300_matches(client, world, owner):
    """Session, user, the page of hits (one UNION over every kind), and one read per kind on
    the page (one kind here at both sizes)."""
    client.force_login(owner)
    fill(world, 0, 10)
    client.get(URL, {"q": "walrus"})
    small = count(client, "walrus")
    fill(world, 10, 300)
    large = count(client, "walrus")
    assert small == large
    assert small <= 6
