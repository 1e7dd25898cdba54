"""The registry at scale: pages of 50 with the filters kept in every link, counts from the
database, and the same queries for 100 assets as for 5,000."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.ownership.models import Asset, AssetKind, Gap
from tests.factories import UserFactory

URL = reverse("ownership:index")


def make_assets(start: int, stop: int, people: list[User]) -> None:
    """Assets numbered start..stop-1: kinds in turn; every 7th never confirmed; every 5th owned
    by the last person (deactivated by the tests that want ownerless assets)."""
    now = timezone.now()
    Asset.objects.bulk_create(
        Asset(
            name=f"Asset {n:05d}",
            slug=f"asset-{n:05d}",
            kind=(AssetKind.PROCESS, AssetKind.SYSTEM, AssetKind.PRODUCT)[n % 3],
            owner=people[n % len(people)],
            deputy=people[(n + 1) % len(people)],
            team="T",
            confirmed_at=None if n % 7 == 0 else now - timedelta(days=1),
        )
        for n in range(start, stop)
    )


@pytest.fixture
def people(db) -> list[User]:
    return [UserFactory(username=f"person{n}") for n in range(5)]


def names(response) -> list[str]:
    return [a.name for a in response.context["assets"]]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"gap": "any", "sort": "owner"},
        {"kind": "system", "q": "asset", "page": "2"},
        {"owner": "person1", "sort": "-confirmed", "gap": "unconfirmed"},
    ],
)
def test_the_registry_reads_the_same_queries_for_100_and_5000_assets(
    client, owner, people, query, django_assert_num_queries
):
    """Session, user, the counts (one aggregate), the page's pks in order, its rows with their
    people and gaps, and the owners of the filter."""
    client.force_login(owner)
    for start, stop in [(0, 100), (100, 5000)]:
        make_assets(start, stop, people)
        with django_assert_num_queries(6):
            response = client.get(URL, query)
        assert response.status_code == 200
        assert response.context["assets"]
    assert len(response.context["assets"]) == 50
    assert Asset.objects.count() == 5000


def test_pages_hold_fifty_with_first_previous_next_and_last_keeping_the_filters(
    client, owner, people
):
    make_assets(0, 300, people)
    client.force_login(owner)
    first = client.get(URL, {"kind": "system", "q": "Asset"})
    assert len(names(first)) == 50
    html = first.content.decode()
    assert "<strong>100</strong> assets match your filters" in html
    assert "Page 1 of 2 · 1–50" in html
    assert 'rel="next" href="?q=Asset&amp;kind=system&amp;page=2"' in html
    assert 'rel="prev"' not in html
    second = client.get(URL, {"kind": "system", "q": "Asset", "page": 2})
    html = second.content.decode()
    assert names(second) == [f"Asset {n:05d}" for n in range(1, 300, 3)][50:]
    assert 'rel="prev" href="?q=Asset&amp;kind=system&amp;page=1"' in html
    assert 'rel="next"' not in html
    middle = client.get(URL, {"sort": "-name", "page": 3}).content.decode()
    assert 'href="?sort=-name"' in middle  # first
    assert 'href="?sort=-name&amp;page=6"' in middle  # last
    assert "Page 3 of 6 · 101–150" in middle


def test_a_page_past_the_end_shows_the_last_page(client, owner, people):
    make_assets(0, 120, people)
    client.force_login(owner)
    response = client.get(URL, {"page": 99})
    assert names(response)[-1] == "Asset 00119"
    assert "Page 3 of 3" in response.content.decode()


def test_sort_links_keep_the_filters_and_go_back_to_the_first_page(client, owner, people):
    make_assets(0, 120, people)
    client.force_login(owner)
    html = client.get(URL, {"kind": "process", "page": 2}).content.decode()
    assert 'href="?kind=process&amp;sort=owner"' in html
    assert 'href="?kind=process&amp;sort=-name"' in html  # name is the current sort


def test_gap_counts_come_from_the_database_for_the_other_filters(client, owner, people):
    make_assets(0, 70, people)
    User.objects.filter(pk=people[-1].pk).update(is_active=False)
    client.force_login(owner)
    response = client.get(URL, {"kind": "process"})
    processes = Asset.objects.filter(kind=AssetKind.PROCESS)
    ownerless = processes.filter(owner=people[-1]).count()
    unconfirmed = processes.filter(confirmed_at__isnull=True).count()
    counts = {c["label"]: c["count"] for c in response.context["gap_counts"]}
    assert counts == {"Ownerless": ownerless, "Unconfirmed": unconfirmed, "Role conflict": 0}
    html = response.content.decode()
    assert (
        f'<a href="?kind=process&amp;gap=ownerless"><strong>{ownerless}</strong> ownerless</a>'
        in html
    )
    assert '<span class="muted">0 role conflict</span>' in html
    # Filtering on a gap keeps the counts of the others and counts the page's total.
    filtered = client.get(URL, {"kind": "process", "gap": "unconfirmed"})
    assert {c["label"]: c["count"] for c in filtered.context["gap_counts"]} == counts
    assert filtered.context["page"].paginator.count == unconfirmed
    assert f"<strong>{unconfirmed}</strong> assets match your filters" in filtered.content.decode()


def test_htmx_pages_answer_with_the_registry_region_only(client, owner, people):
    make_assets(0, 60, people)
    client.force_login(owner)
    response = client.get(URL, {"page": 2}, HTTP_HX_REQUEST="true")
    html = response.content.decode().strip()
    assert html.startswith('<section id="registry"')
    assert html.endswith("</section>")
    assert "Asset 00059" in html
    assert "Asset 00000" not in html


def test_the_rows_show_owner_deputy_confirmation_and_gaps(client, owner, people):
    make_assets(0, 3, people)
    User.objects.filter(pk=people[0].pk).update(is_active=False)
    client.force_login(owner)
    html = client.get(URL).content.decode()
    row = html[html.index('<tr id="asset-') : html.index("</tr>", html.index('<tr id="asset-'))]
    assert "Asset 00000" in row
    assert "person-inactive" in row  # owner people[0], deactivated
    assert people[1].get_full_name() in row  # the deputy
    assert '<span class="muted">never</span>' in row
    assert 'title="The owner\'s account is deactivated">Ownerless</span>' in row
    assert 'title="Not confirmed within 90 days">Unconfirmed</span>' in row


def test_counts_agree_with_the_gap_filters_for_every_mix_of_gaps(client, owner, people):
    """A role conflict alone, with another gap, and assets with the other gaps or none: every
    count equals the number of rows its filter lists."""
    make_assets(0, 40, people)
    User.objects.filter(pk=people[-1].pk).update(is_active=False)
    for n, confirmed in enumerate([timezone.now(), None]):
        asset = Asset.objects.create(
            name=f"Product {n}",
            slug=f"product-{n}",
            kind=AssetKind.PRODUCT,
            owner=people[0],
            confirmed_at=confirmed,
        )
        Project.objects.create(
            name=f"Project {n}",
            slug=f"project-{n}",
            product=Product.objects.create(asset=asset),
            manager=people[0],
            start_date=date(2026, 1, 1),
            deadline=date(2026, 3, 1),
        )
    client.force_login(owner)
    for gap in ["", "any", "ownerless", "unconfirmed", "role_conflict"]:
        response = client.get(URL, {"gap": gap, "q": "o"} if gap else {"q": "o"})
        expected = Asset.objects.filter(name__icontains="o").with_gap(gap or "none").count()
        assert response.context["page"].paginator.count == expected, gap
        if gap and gap != "any":
            counts = {c["label"]: c["count"] for c in response.context["gap_counts"]}
            assert counts[Gap(gap).label] == expected, gap
    assert Asset.objects.with_gap("role_conflict").count() == 2
