"""The asset page: what each person sees of an asset in every state, and what it costs."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from products.models import Product
from projects.models import Project
from roleplan.ownership import services
from roleplan.ownership.models import Asset, Handover
from tests.factories import AssetFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def assets(owner, editor, staff):
    """A product with every gap and a handover, a plain process, an unconfirmed system."""
    nameless = UserFactory(username="no.name", first_name="", last_name="")
    product_asset = AssetFactory(
        name="<b>\"Shop\" & 'co'</b>",
        slug="shop",
        kind="product",
        owner=editor,
        deputy=None,
        team="<T>",
    )
    product = Product.objects.create(asset=product_asset)
    Project.objects.create(
        name="Migration",
        slug="migration",
        product=product,
        manager=owner,
        start_date=date(2026, 1, 1),
        deadline=date(2026, 3, 1),
    )
    services.asset_hand_over(
        asset_id=product_asset.pk,
        expected_owner_id=editor.pk,
        new_owner=owner,
        by=staff,
        reason="<script>x</script> “moves”",
    )
    User.objects.filter(pk=owner.pk).update(is_active=False)
    process = AssetFactory(
        name="Release", kind="process", owner=editor, deputy=nameless, confirmed_at=timezone.now()
    )
    system = AssetFactory(
        name="Billing",
        kind="system",
        owner=nameless,
        deputy=editor,
        confirmed_at=timezone.now() - timedelta(days=400),
        description="Line one\n\nLine <two>",
    )
    return [Asset.objects.get(pk=a.pk) for a in (product_asset, process, system)]


def page_of(client, user, asset, **extra) -> str:
    client.force_login(user)
    response = client.get(reverse("ownership:asset", args=[asset.slug]), **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_a_product_with_every_gap_says_so_with_its_names_escaped(client, assets, editor):
    product = assets[0]
    html = page_of(client, editor, product)
    assert "&lt;b&gt;&quot;Shop&quot; &amp; &#x27;co&#x27;&lt;/b&gt;</h1>" in html
    assert "Team: &lt;T&gt;" in html
    for gap in ("gap-ownerless", "gap-unconfirmed", "gap-role_conflict"):
        assert f'<li class="gap {gap}">' in html
    assert "The product&#x27;s owner also manages one of its projects" in html
    # The owner's account is deactivated: marked as such.
    assert "person-inactive" in html
    assert 'title="This account is deactivated">deactivated</span>' in html
    # The product app links its assets to the product page.
    assert f'href="{reverse("products:detail", args=["shop"])}">Open the product</a>' in html


def test_an_asset_without_gaps_says_so(client, assets, editor):
    html = page_of(client, editor, assets[1])
    assert '<span class="badge badge-ok">No gaps</span>' in html
    assert 'class="gap ' not in html
    assert "Open the product" not in html
    assert "no.name" in html  # a deputy without a name is shown by username


def test_an_unconfirmed_system_shows_its_gap_and_its_description(client, assets, editor):
    html = page_of(client, editor, assets[2])
    assert '<li class="gap gap-unconfirmed">' in html
    assert "(every 90 days)" in html
    assert "<p>Line one</p>" in html
    assert "<p>Line &lt;two&gt;</p>" in html


def test_the_history_lists_every_handover_newest_first_with_who_and_why(
    client, assets, editor, owner, staff
):
    html = page_of(client, editor, assets[0])
    history = html[html.index('<section id="history"') :]
    handed = history.index(
        f"<strong>{editor.get_full_name()}</strong> → <strong>{owner.get_full_name()}</strong>"
    )
    registered = history.index(f"Registered with <strong>{editor.get_full_name()}</strong>")
    assert handed < registered
    assert "“&lt;script&gt;x&lt;/script&gt; “moves””" in history
    assert f"· by {staff.get_full_name()}" in history


@pytest.mark.parametrize("who", ["editor", "staff"])
def test_the_owner_and_staff_open_the_handover_form_with_everyone_active_but_the_owner(
    client, request, assets, who, owner
):
    process = assets[1]  # owned by editor
    html = page_of(client, request.getfixturevalue(who), process)
    start = html.index('<section id="handover-panel"')
    panel = html[start : html.index("</section>", start)]
    handover = reverse("ownership:handover", args=[process.slug])
    # The page offers the form; it is read when asked for (plain link: the handover page).
    assert f'href="{handover}"' in panel
    assert f'hx-get="{handover}?where=page&amp;seen_owner={process.owner_id}"' in panel
    assert "<option" not in panel
    assert "Edit details" in html
    form = client.get(
        handover, {"where": "page", "seen_owner": process.owner_id}, **HTMX
    ).content.decode()
    assert form.lstrip().startswith('<form id="handover-form"')
    assert f'<input type="hidden" name="expected_owner" value="{process.owner_id}">' in form
    assert 'hx-target="#handover-panel"' in form
    assert " autofocus>" in form
    for pk in (
        User.objects.filter(is_active=True)
        .exclude(pk=process.owner_id)
        .values_list("pk", flat=True)
    ):
        assert f'<option value="{pk}">' in form
    assert f'<option value="{process.owner_id}">' not in form
    assert f'<option value="{owner.pk}">' not in form  # deactivated


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_others_see_the_asset_but_no_handover_form(client, request, assets, who):
    html = page_of(client, request.getfixturevalue(who), assets[1])
    assert 'id="handover-panel"' not in html
    assert "<option" not in html
    assert "Edit details" not in html
    assert "Still mine" not in html


def test_only_the_owner_is_asked_to_confirm(client, assets, editor, staff):
    assert "Still mine" in page_of(client, editor, assets[1])
    assert "Still mine" not in page_of(client, staff, assets[1])


def test_an_unknown_asset_is_404(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("ownership:asset", args=["no-such-asset"])).status_code == 404


@pytest.mark.parametrize("target", ["accountability", "history"])
def test_htmx_regions_are_answered_alone(client, assets, editor, target):
    html = page_of(client, editor, assets[1], HTTP_HX_TARGET=target, **HTMX)
    assert html.lstrip().startswith(f'<section id="{target}"')
    assert html.rstrip().endswith("</section>")


def make_history(asset: Asset, people: list[User], count: int) -> None:
    """`count` handovers of `asset` between `people`, the last back to its owner."""
    staff = UserFactory(username="history.staff", is_staff=True)
    for n in range(count):
        current = Asset.objects.get(pk=asset.pk).owner
        target = people[n % len(people)]
        if target == current:
            target = people[(n + 1) % len(people)]
        services.asset_hand_over(
            asset_id=asset.pk,
            expected_owner_id=current.pk,
            new_owner=target,
            by=staff,
            reason=f"handover {n}",
        )


@pytest.mark.parametrize("who", ["owner", "viewer", "staff"])
def test_the_page_reads_the_same_number_of_queries_with_a_long_history_and_many_people(
    client, request, who, django_assert_num_queries
):
    """Session, user, the asset with its people and gaps, and its history with its people:
    nothing per handover or per person (the handover form's people are read when it is opened)."""
    owner = request.getfixturevalue("owner")
    user = request.getfixturevalue(who)
    asset = AssetFactory(owner=owner, slug="counted")
    client.force_login(user)
    url = reverse("ownership:asset", args=[asset.slug])
    for handovers, people in [(1, 3), (30, 60)]:
        crowd = [UserFactory() for _ in range(people)]
        make_history(asset, [owner, *crowd], handovers)
        if Asset.objects.get(pk=asset.pk).owner != owner:
            make_history(asset, [owner], 1)
        with django_assert_num_queries(4):
            response = client.get(url)
        assert response.status_code == 200
    assert Handover.objects.filter(asset=asset).count() > 30
