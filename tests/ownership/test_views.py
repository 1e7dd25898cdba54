from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from roleplan.ownership.models import Asset, Handover
from roleplan.people import display_name
from tests.factories import AssetFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def asset(owner, editor):
    # editor plays the deputy here: the deputy may view but not hand over
    return AssetFactory(
        name="Release process",
        slug="release-process",
        owner=owner,
        deputy=editor,
        confirmed_at=timezone.now(),
    )


def handover_data(asset, new_owner, **extra):
    """The confirmed handover (the second step: the summary's "Hand over to …")."""
    return {
        "new_owner": new_owner.pk,
        "reason": "Team change",
        "expected_owner": asset.owner_id,
        "confirm": "yes",
        **extra,
    }


# -- who may act -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 302), ("staff", 302), ("editor", 403), ("outsider", 403)]
)
def test_handover_permissions_for_owner_staff_deputy_and_others(
    client, request, asset, who, status, viewer
):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]), handover_data(asset, viewer)
    )
    assert response.status_code == status
    asset.refresh_from_db()
    assert (asset.owner == viewer) is (status == 302)


def test_anonymous_cannot_hand_over(client, asset, viewer):
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]), handover_data(asset, viewer)
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Asset.objects.get(pk=asset.pk).owner_id == asset.owner_id


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("staff", 200), ("editor", 403), ("outsider", 403)]
)
def test_edit_page_permissions(client, request, asset, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("ownership:edit", args=[asset.slug])).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 302), ("staff", 403), ("editor", 403), ("outsider", 403)]
)
def test_only_the_owner_can_say_still_mine(client, request, asset, who, status):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("ownership:confirm", args=[asset.slug]))
    assert response.status_code == status


@pytest.mark.parametrize("who", ["owner", "staff", "editor", "outsider"])
def test_everyone_signed_in_may_view_the_registry_and_asset(client, request, asset, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("ownership:index")).status_code == 200
    assert client.get(asset.get_absolute_url()).status_code == 200


def test_unknown_asset_is_404(client, outsider):
    client.force_login(outsider)
    assert client.get("/ownership/no-such-thing/").status_code == 404


def test_hand_over_button_only_for_those_who_may(client, asset, editor, owner):
    client.force_login(editor)
    assert "Hand over" not in client.get(reverse("ownership:index")).content.decode()
    client.force_login(owner)
    assert "Hand over" in client.get(reverse("ownership:index")).content.decode()


# -- handover through the pages ------------------------------------------------------------------


def test_htmx_handover_from_a_row_answers_with_the_new_row_and_an_event(
    client, asset, owner, viewer
):
    client.force_login(owner)
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]),
        handover_data(asset, viewer, where="row"),
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="asset-{asset.pk}"')
    assert viewer.get_full_name() in html
    assert "ownerChanged" in response["HX-Trigger"]
    assert Handover.objects.filter(asset=asset, to_owner=viewer, reason="Team change").exists()


def test_htmx_handover_from_the_asset_page_says_so_in_the_panel(client, asset, owner, viewer):
    client.force_login(owner)
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]),
        handover_data(asset, viewer, where="page"),
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode().strip()
    assert html.startswith('<section id="handover-panel"')
    assert f"Release process is now owned by {viewer.get_full_name()}." in html
    assert "You no longer own Release process." in html
    assert "<form" not in html
    assert "ownerChanged" in response["HX-Trigger"]


def test_htmx_handover_from_the_page_with_a_stale_owner_keeps_the_form_and_reason(
    client, asset, owner, staff, viewer, outsider
):
    seen = asset.owner_id
    client.force_login(staff)
    client.post(reverse("ownership:handover", args=[asset.slug]), handover_data(asset, viewer))
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]),
        {"new_owner": outsider.pk, "reason": "Mine", "expected_owner": seen, "where": "page"},
        **HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone was faster" in html
    assert 'value="Mine"' in html
    assert f'name="expected_owner" value="{viewer.pk}"' in html  # the next try is based on now


def test_htmx_handover_with_a_stale_owner_is_409_with_the_conflict_shown(
    client, asset, owner, staff, viewer, outsider
):
    seen = asset.owner_id
    client.force_login(staff)
    client.post(
        reverse("ownership:handover", args=[asset.slug]),
        handover_data(asset, viewer, reason="First"),
    )
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]),
        {"new_owner": outsider.pk, "reason": "Second", "expected_owner": seen, "where": "row"},
        **HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone was faster" in html
    assert viewer.get_full_name() in html
    assert "“First”" in html
    assert Asset.objects.get(pk=asset.pk).owner == viewer
    assert Handover.objects.filter(asset=asset).count() == 2


def test_plain_post_with_a_stale_owner_is_409_and_keeps_the_reason(
    client, asset, staff, viewer, outsider
):
    seen = asset.owner_id
    client.force_login(staff)
    client.post(reverse("ownership:handover", args=[asset.slug]), handover_data(asset, viewer))
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]),
        {"new_owner": outsider.pk, "reason": "My careful reason", "expected_owner": seen},
    )
    assert response.status_code == 409
    assert "My careful reason" in response.content.decode()


def test_handover_without_reason_is_422_with_message_and_choice_kept(client, asset, owner, viewer):
    client.force_login(owner)
    response = client.post(
        reverse("ownership:handover", args=[asset.slug]),
        {"new_owner": viewer.pk, "reason": "", "expected_owner": owner.pk, "where": "page"},
        **HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "This field is required" in html
    assert f'value="{viewer.pk}" selected' in html
    assert Asset.objects.get(pk=asset.pk).owner == owner


def test_handover_form_page_renders_for_plain_browsers(client, asset, owner):
    client.force_login(owner)
    response = client.get(reverse("ownership:handover", args=[asset.slug]))
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()


def test_asset_page_shows_history_newest_first(client, asset, owner, viewer):
    client.force_login(owner)
    client.post(
        reverse("ownership:handover", args=[asset.slug]),
        handover_data(asset, viewer, reason="Parental leave"),
    )
    html = client.get(asset.get_absolute_url()).content.decode()
    assert html.index("Parental leave") < html.index("Registered with")


def test_asset_page_regions_refresh_by_htmx_target(client, asset, owner):
    client.force_login(owner)
    response = client.get(
        asset.get_absolute_url(), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="history"
    )
    html = response.content.decode().strip()
    assert html.startswith('<section id="history"')
    assert "<html" not in html


def test_still_mine_sets_confirmation_and_answers_htmx_with_the_region(client, owner):
    asset = AssetFactory(owner=owner, confirmed_at=None)
    client.force_login(owner)
    response = client.post(
        reverse("ownership:confirm", args=[asset.slug]), {"where": "page"}, **HTMX
    )
    assert response.status_code == 200
    assert response.content.decode().strip().startswith('<section id="accountability"')
    asset.refresh_from_db()
    assert asset.confirmed_at is not None
    assert "Unconfirmed" not in response.content.decode()


def test_confirm_redirect_ignores_foreign_next_urls(client, owner):
    asset = AssetFactory(owner=owner)
    client.force_login(owner)
    response = client.post(
        reverse("ownership:confirm", args=[asset.slug]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == asset.get_absolute_url()


# -- create and edit -----------------------------------------------------------------------------


def test_register_a_process(client, owner, editor):
    client.force_login(owner)
    response = client.post(
        reverse("ownership:create"),
        {
            "kind": "process",
            "name": "Incident response",
            "owner": owner.pk,
            "deputy": editor.pk,
            "team": "SRE",
        },
    )
    asset = Asset.objects.get(name="Incident response")
    assert response["Location"] == asset.get_absolute_url()
    assert (asset.owner, asset.deputy, asset.team) == (owner, editor, "SRE")


def test_register_with_duplicate_name_keeps_input_and_says_why(client, owner, asset):
    client.force_login(owner)
    response = client.post(
        reverse("ownership:create"),
        {
            "kind": "process",
            "name": "release PROCESS",
            "owner": owner.pk,
            "team": "Platform",
            "description": "keep me",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "already exists" in html
    assert 'value="Platform"' in html
    assert "keep me" in html


def test_register_with_owner_as_deputy_is_refused_next_to_the_field(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("ownership:create"),
        {"kind": "system", "name": "Mailer", "owner": owner.pk, "deputy": owner.pk},
    )
    assert response.status_code == 422
    assert "The deputy cannot be the owner." in response.content.decode()


def test_products_cannot_be_registered_from_the_registry(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("ownership:create"), {"kind": "product", "name": "Sneaky", "owner": owner.pk}
    )
    assert response.status_code == 422
    assert not Asset.objects.filter(name="Sneaky").exists()


def test_the_edit_form_starts_from_what_is_saved(client, asset, owner, editor):
    client.force_login(owner)
    html = client.get(reverse("ownership:edit", args=[asset.slug])).content.decode()
    assert 'value="Release process"' in html
    assert f'<option value="{editor.pk}" selected>' in html
    assert 'name="version" value="1"' in html


def test_stale_edit_is_refused_showing_their_change_and_keeping_yours(client, asset, owner, staff):
    client.force_login(staff)
    client.post(
        reverse("ownership:edit", args=[asset.slug]),
        {"name": asset.name, "team": "Platform team", "description": "", "version": 1},
    )
    client.force_login(owner)
    response = client.post(
        reverse("ownership:edit", args=[asset.slug]),
        {"name": asset.name, "team": "Release guild", "description": "mine", "version": 1},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert f"{staff.get_full_name()} saved a change while you were editing" in html
    conflict = response.context["conflict"]
    assert [(d.label, d.saved, d.yours) for d in conflict.differences] == [
        ("Team", "Platform team", "Release guild"),
        ("Description", "—", "mine"),
    ]
    assert "<td>Platform team</td><td>Release guild</td>" in html
    assert 'value="Release guild"' in html
    assert 'name="version" value="2"' in html
    assert Asset.objects.get(pk=asset.pk).team == "Platform team"
    # saving again now applies the user's change on top
    response = client.post(
        reverse("ownership:edit", args=[asset.slug]),
        {"name": asset.name, "team": "Release guild", "description": "mine", "version": 2},
    )
    assert response.status_code == 302
    assert Asset.objects.get(pk=asset.pk).team == "Release guild"


# -- the registry list ---------------------------------------------------------------------------


@pytest.fixture
def registry(owner, editor):
    AssetFactory(
        name="Billing", slug="billing", kind="system", owner=owner, confirmed_at=timezone.now()
    )
    AssetFactory(
        name="Email platform",
        slug="email-platform",
        kind="product",
        owner=editor,
        confirmed_at=timezone.now(),
    )
    AssetFactory(
        name="Onboarding", slug="onboarding", kind="process", owner=owner, confirmed_at=None
    )


def names_in(response) -> list[str]:
    return [a.name for a in response.context["assets"]]


def test_registry_filters_by_kind_owner_gap_and_name(client, registry, owner, editor):
    client.force_login(owner)
    url = reverse("ownership:index")
    assert names_in(client.get(url, {"kind": "system"})) == ["Billing"]
    assert names_in(client.get(url, {"owner": editor.username})) == ["Email platform"]
    assert names_in(client.get(url, {"gap": "unconfirmed"})) == ["Onboarding"]
    assert names_in(client.get(url, {"q": "mail"})) == ["Email platform"]
    assert names_in(client.get(url, {"q": "zzz"})) == []


def test_registry_sorts_by_column_both_ways(client, registry, owner):
    client.force_login(owner)
    url = reverse("ownership:index")
    assert names_in(client.get(url)) == ["Billing", "Email platform", "Onboarding"]
    assert names_in(client.get(url, {"sort": "-name"})) == [
        "Onboarding",
        "Email platform",
        "Billing",
    ]
    assert names_in(client.get(url, {"sort": "kind"})) == [
        "Onboarding",
        "Email platform",
        "Billing",
    ]
    assert (
        names_in(client.get(url, {"sort": "confirmed"}))[0] == "Onboarding"
    )  # never confirmed first


def test_registry_ignores_bad_filter_values(client, registry, owner):
    client.force_login(owner)
    response = client.get(
        reverse("ownership:index"), {"sort": "evil", "page": "-3", "kind": "gadget"}
    )
    assert response.status_code == 200
    assert len(names_in(response)) == 3


def test_htmx_search_returns_only_the_registry_region(client, registry, owner):
    client.force_login(owner)
    response = client.get(reverse("ownership:index"), {"q": "bill"}, **HTMX)
    html = response.content.decode().strip()
    assert html.startswith('<section id="registry"')
    assert "Billing" in html
    assert "Onboarding" not in html


def test_registry_paginates_with_filters_kept(client, owner):
    for n in range(55):
        AssetFactory(name=f"System {n:02d}", slug=f"system-{n:02d}", kind="system", owner=owner)
    client.force_login(owner)
    response = client.get(reverse("ownership:index"), {"kind": "system"})
    assert len(names_in(response)) == 50
    html = response.content.decode()
    assert "kind=system&amp;page=2" in html
    assert len(names_in(client.get(reverse("ownership:index"), {"kind": "system", "page": 2}))) == 5


def make_assets(start: int, stop: int, people: list) -> None:
    Asset.objects.bulk_create(
        Asset(
            name=f"Asset {n:04d}",
            slug=f"asset-{n:04d}",
            kind=("process", "system", "product")[n % 3],
            owner=people[n % 5],
            deputy=people[(n + 1) % 5],
            team="T",
        )
        for n in range(start, stop)
    )


def test_registry_query_count_is_the_same_with_10_and_1000_assets(client, owner):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    people = [UserFactory() for _ in range(5)]
    client.force_login(owner)
    counts = []
    for start, stop in [(0, 10), (10, 1000)]:
        make_assets(start, stop, people)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("ownership:index"), {"sort": "owner", "gap": "any"})
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert Asset.objects.count() == 1000
    assert counts[0] == counts[1], counts
    assert counts[1] <= 8, counts


def test_csv_export_follows_the_filters_and_neutralises_formulas(client, registry, owner):
    AssetFactory(name='=HYPERLINK("http://x")', slug="formula", kind="system", owner=owner)
    client.force_login(owner)
    response = client.get(reverse("ownership:export"), {"kind": "system"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(r["name"] for r in rows) == sorted(["Billing", '\'=HYPERLINK("http://x")'])
    billing = next(r for r in rows if r["name"] == "Billing")
    assert billing["owner"] == owner.username
    assert billing["url"].endswith("/ownership/billing/")


def test_csv_link_on_the_page_carries_the_current_filters(client, registry, owner):
    client.force_login(owner)
    html = client.get(reverse("ownership:index"), {"kind": "system", "q": "bi"}).content.decode()
    assert "/ownership/export.csv?q=bi&amp;kind=system" in html


def test_deactivated_owner_shows_as_ownerless_in_the_registry(client, owner, viewer):
    AssetFactory(
        name="Legacy", slug="legacy", kind="system", owner=viewer, confirmed_at=timezone.now()
    )
    User.objects.filter(pk=viewer.pk).update(is_active=False)
    client.force_login(owner)
    html = client.get(reverse("ownership:index"), {"gap": "ownerless"}).content.decode()
    assert "Legacy" in html
    assert "Ownerless" in html
    assert "deactivated" in html


def test_dashboard_lists_what_you_own_with_gaps(client, owner):
    AssetFactory(name="Onboarding", slug="onboarding", owner=owner, confirmed_at=None)
    client.force_login(owner)
    html = client.get("/").content.decode()
    assert "Onboarding" in html
    assert "Unconfirmed" in html
    assert "Still mine" in html


def test_a_former_owner_saying_still_mine_in_a_row_is_told_who_owns_it_now(client, owner, staff):
    """The registry row's button of a page left open: the row as it is now, naming the owner,
    with 409, and nothing confirmed."""
    heir = UserFactory(first_name="Hugo", last_name="Heir")
    asset = AssetFactory(owner=heir, confirmed_at=None)
    client.force_login(owner)
    response = client.post(
        reverse("ownership:confirm", args=[asset.slug]), {"where": "row"}, **HTMX
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert html.strip().startswith(f'<span id="confirm-{asset.pk}"')
    assert "owned by Hugo Heir" in html
    assert "Still mine" not in html
    asset.refresh_from_db()
    assert asset.confirmed_at is None


def test_the_api_refuses_a_confirmation_by_someone_else_naming_the_owner(client, owner, editor):
    asset = AssetFactory(owner=owner, confirmed_at=None)
    client.force_login(editor)
    response = client.post(f"/api/v1/assets/{asset.slug}/confirmation")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert display_name(owner) in response.json()["detail"]
    asset.refresh_from_db()
    assert asset.confirmed_at is None
